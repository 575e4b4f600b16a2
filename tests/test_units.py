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
