"""Pre-segmented units (`qualflow run FILE --units`): no segmentation, themes per question."""

import csv
import json

from qualflow.flows.cli import app
from qualflow.models import Statement, Store, Theme, Turn, default_database_url
from qualflow.pipeline.units import read_units
from sqlalchemy import select
from typer.testing import CliRunner

VISITS = ["Home visits take most of my week", "Driving between home visits eats the day",
          "I visit patients at home twice a month", "The home visit schedule is too full"]
SAFETY = ["I do not feel safe visiting alone at night", "We go in pairs because of safety worries",
          "A patient once threatened me with a knife", "Personal alarms make us feel a bit safer"]
TRAINING = ["The training course was far too short", "I never had training in crisis work",
            "New staff need more supervision and teaching", "Training days are always cancelled"]
PAY = ["The pay is low for this kind of work", "My salary has not risen in five years",
       "Better pay would keep people in the job", "We earn less than hospital nurses"]


def write_rows(path, fieldnames, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)


def run_units(source, data):
    result = CliRunner().invoke(app, ["run", str(source), "--units", "--data", str(data)])
    assert result.exit_code == 0, result.output
    return Store(default_database_url(data))


def write_survey(path, questions=("What takes your time?", "What would help you?")):
    rows = []
    for n in range(3):  # three respondents' variations of each answer
        for i, text in enumerate(VISITS + SAFETY):
            rows.append({"id": f"a{n}-{i}", "participant": f"R{n * 8 + i % 8 + 1}", "question": questions[0],
                         "answer": f"{text}{'.' if n == 0 else ', honestly.' if n == 1 else ', really.'}"})
        for i, text in enumerate(TRAINING + PAY):
            rows.append({"id": f"b{n}-{i}", "participant": f"R{n * 8 + i % 8 + 1}",
                         "question": questions[1], "answer": f"{text}{'.' if n == 0 else ' too.' if n == 1 else '!'}"})
    write_rows(path, ["id", "participant", "question", "answer"], rows)
    return rows


def test_read_units_finds_columns_by_name(tmp_path):
    rows = write_survey(tmp_path / "survey.csv")
    units = read_units(tmp_path / "survey.csv")
    assert len(units) == len(rows)
    assert units[0].unit_id == "a0-0" and units[0].question == "What takes your time?"
    assert units[0].text == rows[0]["answer"] and units[0].participant == "R1"


def test_a_comment_column_is_the_text_as_survey_tools_name_it(tmp_path):
    """A survey export whose open answers are headed "Comment" was refused (a researcher's audit)."""
    (tmp_path / "survey.csv").write_text("ID,Comment\n1,The rota changes too often.\n2,Pay is fine.\n",
                                         encoding="utf-8")
    assert [u.text for u in read_units(tmp_path / "survey.csv")] == ["The rota changes too often.", "Pay is fine."]


def test_units_run_as_whole_statements_with_themes_per_question(tmp_path):
    rows = write_survey(tmp_path / "survey.csv")
    data = tmp_path / "data"
    result = CliRunner().invoke(app, ["run", str(tmp_path / "survey.csv"), "--units", "--data", str(data)])
    assert result.exit_code == 0, result.output
    store = Store(default_database_url(data))
    with store.session() as session:
        statements = session.scalars(select(Statement)).all()
        # One statement per unit, never cut, pointing at its exact words.
        assert sorted(s.text for s in statements) == sorted(r["answer"] for r in rows)
        assert all(s.transcript.text[s.start : s.end] == s.text and s.significant for s in statements)
        themes = session.scalars(select(Theme)).all()
        assert {t.question for t in themes} == {"What takes your time?", "What would help you?"}
        assert all(t.code.startswith(("Q1-T", "Q2-T")) for t in themes)
    listed = json.loads(CliRunner().invoke(app, ["themes", "--json", "--data", str(data)]).output)
    for theme in listed:
        shown = json.loads(CliRunner().invoke(app, ["show", theme["code"], "--json", "--data", str(data)]).output)
        questions = {r["text"] in {row["answer"] for row in rows if row["question"] == theme["question"]}
                     for r in shown["statements"]}
        assert questions == {True}  # a theme only holds answers to its own question


def test_questions_are_numbered_in_the_order_the_file_asks_them(tmp_path):
    # Asked first but alphabetically last: Q1 must still be the first question, as in Table 2.
    write_survey(tmp_path / "survey.csv", questions=("Why do you stay?", "Anything else to add?"))
    with run_units(tmp_path / "survey.csv", tmp_path / "data").session() as session:
        prefixes = {q: {t.code.split("-")[0] for t in session.scalars(select(Theme).where(Theme.question == q))}
                    for q in ("Why do you stay?", "Anything else to add?")}
    assert prefixes == {"Why do you stay?": {"Q1"}, "Anything else to add?": {"Q2"}}


def test_question_codes_start_at_q1_beside_units_without_a_question(tmp_path):
    folder = tmp_path / "units"
    folder.mkdir()
    write_survey(folder / "survey.csv")
    plain = [{"id": f"c{i}", "answer": f"{text}, as I said before."} for i, text in enumerate(VISITS + PAY)]
    write_rows(folder / "plain.csv", ["id", "answer"], plain)
    with run_units(folder, tmp_path / "data").session() as session:
        codes = {q: {t.code.split("-")[0] if "-" in t.code else "" for t in session.scalars(
            select(Theme).where(Theme.question.is_(None) if q is None else Theme.question == q))}
            for q in (None, "What takes your time?", "What would help you?")}
    assert codes[None] and all(not c.startswith("Q") for c in codes[None])
    assert codes["What takes your time?"] == {"Q1"} and codes["What would help you?"] == {"Q2"}


def test_survey_questions_are_deidentified_with_the_answers_placeholders(tmp_path):
    question = "What was it like to be seen by Dr Margaret Thompson?"
    rows = [{"id": str(i), "participant": f"R{i}", "question": question, "answer": answer}
            for i, answer in enumerate(["Margaret Thompson listened to me for an hour.", "She was kind and patient.",
                                        "The waiting room was cold.", "I felt rushed at the end.",
                                        "Margaret Thompson explained every pill.", "Too long a wait, again."], 1)]
    path = tmp_path / "survey.csv"
    write_rows(path, ["id", "participant", "question", "answer"], rows)
    with run_units(path, tmp_path / "data").session() as session:
        stored = {(t.meta or {}).get("question") for t in session.scalars(select(Turn))}
        answers = " ".join(s.text for s in session.scalars(select(Statement)))
        themes = {t.question for t in session.scalars(select(Theme))}
    assert len(stored) == 1 and themes == stored
    (clean,) = stored
    assert "Thompson" not in clean and "Margaret" not in clean
    placeholder = clean.removeprefix("What was it like to be seen by Dr ").removesuffix("?")
    assert placeholder.startswith("[PERSON_") and placeholder in answers  # the answers' placeholder


def test_named_respondents_become_placeholders_and_respondent_codes_stay(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("id,respondent,answer\n1,Mary Smith,The pay is too low for this work.\n"
                    "2,R17,I never get any supervision at all.\n3,mary smith,We work long hours every week.\n"
                    "4,j.carter@example.org,Mary Smith covers my shifts when I am ill.\n", encoding="utf-8")
    with run_units(path, tmp_path / "data").session() as session:
        by_text = {s.text: s.participant for s in session.scalars(select(Statement))}
    assert by_text["I never get any supervision at all."] == "R17"
    mary = by_text["The pay is too low for this work."]
    assert mary.startswith("[PERSON_") and by_text["We work long hours every week."] == mary
    # The same person named in an answer gets the same placeholder.
    assert by_text[f"{mary} covers my shifts when I am ill."].startswith("[PERSON_")
    assert not any("smith" in (p or "").lower() or "@" in (p or "") for p in by_text.values())


def test_unit_tables_without_text_or_rows_say_why(tmp_path):
    import pytest
    from qualflow.pipeline.errors import UnreadableFile

    no_text = tmp_path / "no_text.csv"
    no_text.write_text("id,score\n1,5\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"no_text.csv: no text column found \(columns: 'id', 'score'"):
        read_units(no_text)
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="empty.csv: the file is empty"):
        read_units(empty)
    blank_answers = tmp_path / "blank.csv"
    blank_answers.write_text("id,answer\n1,\n2,  \n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="no units with text"):
        read_units(blank_answers)


def test_unit_tables_obey_the_size_limit_and_the_archive_checks(tmp_path):
    import openpyxl
    import pytest
    from qualflow.pipeline.errors import UnreadableFile

    path = tmp_path / "survey.csv"
    write_survey(path)
    with pytest.raises(UnreadableFile, match=r"survey.csv: [\d,]+ bytes is over the 104 byte limit \(ingest.max_file_mb"):
        read_units(path, max_file_mb=0.0001)
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(UnreadableFile, match="locked.xlsx: not a readable .xlsx file .it is a password-protected"):
        read_units(locked)
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "answer"])
    workbook.active.append(["1", "A long answer about home visits."])
    workbook.save(tmp_path / "small.xlsx")
    with pytest.raises(UnreadableFile, match=r"small.xlsx: refused: it would unpack to .* over the 0.001 MB limit"):
        read_units(tmp_path / "small.xlsx", max_unpacked_mb=0.001)
    # A run applies the study's own limits, not the defaults.
    (tmp_path / "tiny.yaml").write_text("ingest:\n  max_file_mb: 0.0001\n", "utf-8")
    result = CliRunner().invoke(app, ["run", str(path), "--units", "--config", str(tmp_path / "tiny.yaml"),
                                      "--data", str(tmp_path / "data")])
    assert result.exit_code != 0 and "over the 104 byte limit" in result.output, result.output


def test_unit_formulas_without_a_saved_result_refuse_the_file(tmp_path):
    import openpyxl
    import pytest
    from qualflow.pipeline.errors import UnreadableFile

    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "answer"])
    workbook.active.append(["1", "The night shifts were exhausting."])
    workbook.active.append(["2", '=CONCATENATE("Supervision ","helped a lot.")'])
    path = tmp_path / "answers.xlsx"
    workbook.save(path)
    with pytest.raises(UnreadableFile, match="answers.xlsx: cell B3 holds a formula with no saved result"):
        read_units(path)
    # A run reports it and quarantines it like any other failure; nothing is stored from it.
    data = tmp_path / "data"
    result = CliRunner().invoke(app, ["run", str(path), "--units", "--data", str(data)])
    assert "cell B3 holds a formula with no saved result" in result.output
    reason = (data / "quarantine" / "answers.xlsx.reason.txt").read_text("utf-8")
    assert "cell B3 holds a formula with no saved result" in reason


def test_unit_ids_must_be_unique_and_missing_ids_never_collide(tmp_path):
    import pytest
    from qualflow.pipeline.errors import UnreadableFile

    duplicated = tmp_path / "dup.csv"
    rows = [{"id": str(n % 7), "answer": f"Secret answer number {n}."} for n in range(20)]
    write_rows(duplicated, ["id", "answer"], rows)
    with pytest.raises(UnreadableFile) as caught:
        read_units(duplicated)
    message = str(caught.value)
    assert message == ("dup.csv: 7 unit ids used more than once ('0', '1', '2', '3', '4' and 2 more); "
                       "give each unit its own id")
    assert "Secret" not in message
    # Row 2 has no id; its fallback must not take the id that row 3 gives, nor "row 2" that row 1 gives.
    missing = tmp_path / "missing.csv"
    write_rows(missing, ["id", "answer"], [{"id": "row 2", "answer": "First."}, {"id": "", "answer": "Second."},
                                           {"id": "2", "answer": "Third."}, {"id": "", "answer": "Fourth."}])
    ids = [unit.unit_id for unit in read_units(missing)]
    assert ids == ["row 2", "row 2 (no id)", "2", "row 4"]
    assert len(set(ids)) == len(ids)
    # A long survey table: the respondent's id heads each of their answers, once per question.
    long = tmp_path / "long.csv"
    write_rows(long, ["id", "question", "answer"],
               [{"id": r, "question": q, "answer": f"Answer of {r} to {q}."} for r in ("7", "8") for q in ("Q1", "Q2")])
    assert [unit.unit_id for unit in read_units(long)] == ["7", "7", "8", "8"]
    write_rows(long, ["id", "question", "answer"],
               [{"id": "7", "question": "Q1", "answer": "One."}, {"id": "7", "question": "Q1", "answer": "Two."}])
    with pytest.raises(UnreadableFile, match=r"1 unit id used more than once for one question \('7'\)"):
        read_units(long)
