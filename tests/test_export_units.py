"""`qualflow export assignments` for a units table (`run FILE --units`): each row carries the unit's own
id from the file and its survey question, so a researcher can join the export back to their table even
where de-identification rewrote the text. An id that holds an identifier (a respondent's name or e-mail
address in a careless table) leaves the study redacted, like any other exported name.

The real CLI, a real units CSV written in tmp_path and a real SQLite study; no mocks.
"""

import csv
import io
import json

from qualflow.flows.cli import app
from qualflow.models import Store, default_database_url
from qualflow.pipeline.report import ASSIGNMENT_COLUMNS
from typer.testing import CliRunner

QUESTION_1, QUESTION_2 = "What takes your time?", "What would help you?"
TIME = ["Home visits take most of my week", "Driving between home visits eats the day",
        "I visit patients at home twice a month", "The home visit schedule is too full",
        "Paperwork after each visit takes another hour", "Notes are written in the car between visits"]
HELP = ["Better pay would keep people in the job", "My salary has not risen in five years",
        "The pay is low for this kind of work", "More training for new staff would help",
        "Training days are always cancelled", "New staff need more supervision and teaching"]
# A careless table: the id column holds the respondent's name or e-mail address.
NAME_ID, EMAIL_ID = "Rebecca Hargreaves", "ann.lee@example.org"
runner = CliRunner()


def write_units(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "participant", "question", "answer"])
        writer.writeheader()
        writer.writerows(rows)


def survey_rows():
    rows = []
    for n in range(2):  # two rounds of answers, so each question has enough units to cluster
        for i, text in enumerate(TIME):
            rows.append({"id": f"t{n}-{i}", "participant": f"R{n * 6 + i + 1}", "question": QUESTION_1,
                         "answer": f"{text}{'.' if n == 0 else ', honestly.'}"})
        for i, text in enumerate(HELP):
            rows.append({"id": f"h{n}-{i}", "participant": f"R{n * 6 + i + 1}", "question": QUESTION_2,
                         "answer": f"{text}{'.' if n == 0 else ', really.'}"})
    return rows


def run_units(source, data):
    result = runner.invoke(app, ["run", str(source), "--units", "--data", str(data)])
    assert result.exit_code == 0, result.output
    return Store(default_database_url(data))


def export(data, output_format):
    result = runner.invoke(app, ["export", "assignments", "--format", output_format, "--data", str(data)])
    assert result.exit_code == 0, result.output
    return result.output


def test_assignments_export_carries_each_units_id_and_question_in_csv_and_json(tmp_path):
    rows = survey_rows()
    write_units(tmp_path / "survey.csv", rows)
    data = tmp_path / "data"
    run_units(tmp_path / "survey.csv", data)
    source = {row["id"]: row for row in rows}

    table = list(csv.DictReader(io.StringIO(export(data, "csv"))))
    assert table, "no statement was exported"
    header = list(table[0])
    # The new columns sit beside the statement's id and its participant; the others keep their order.
    assert header[:5] == ["statement_id", "unit_id", "document", "participant", "question"]
    assert [c for c in header if c not in ("unit_id", "question")] == [
        "statement_id", "document", "participant", "start", "end", "text", "theme_id", "theme_label",
        "parent_theme_id", "parent_theme_label", "parent_theme_status", "similarity", "status",
        "assignment_status", "weak_fit", "outlier"]
    # Every row joins back to the researcher's table by its id: same text, same question, same participant.
    for row in table:
        unit = source[row["unit_id"]]
        assert row["text"] == unit["answer"] and row["question"] == unit["question"]
        assert row["participant"] == unit["participant"]
    assert len({row["unit_id"] for row in table}) == len(table)

    listed = json.loads(export(data, "json"))
    assert [r["statement_id"] for r in listed] == [int(r["statement_id"]) for r in table]
    for row in listed:
        assert list(row) == ASSIGNMENT_COLUMNS  # the JSON keys, in the CSV's order
        unit = source[row["unit_id"]]
        assert row["text"] == unit["answer"] and row["question"] == unit["question"]
    # Themes are found per question: a theme's rows share its question.
    questions = {}
    for row in listed:
        questions.setdefault(row["theme_id"], set()).add(row["question"])
    assert all(len(found) == 1 for found in questions.values())


def test_unit_ids_holding_a_name_or_an_email_address_leave_the_study_redacted(tmp_path):
    rows = survey_rows()
    # The respondent's name as the id, and as the participant: the participant column is pseudonymised,
    # so the study knows the name. An e-mail address as the id, known to the study nowhere else.
    rows[0].update(id=NAME_ID, participant=NAME_ID)
    rows[1].update(id=EMAIL_ID)
    write_units(tmp_path / "survey.csv", rows)
    data = tmp_path / "data"
    run_units(tmp_path / "survey.csv", data)

    csv_text, json_text = export(data, "csv"), export(data, "json")
    for text in (csv_text, json_text):
        for secret in ("Rebecca", "Hargreaves", "ann.lee", "example.org"):
            assert secret not in text, secret
    listed = {row["text"]: row for row in json.loads(json_text)}
    named, mailed, coded = listed[rows[0]["answer"]], listed[rows[1]["answer"]], listed[rows[2]["answer"]]
    # The name becomes the participant's placeholder, the same one the participant column shows.
    assert named["unit_id"] == named["participant"] and named["unit_id"].startswith("[PERSON_")
    assert mailed["unit_id"] == "[EMAIL]"
    assert coded["unit_id"] == rows[2]["id"]  # an ordinary id is exported exactly


def test_statements_cut_from_transcripts_have_an_empty_unit_id_and_question(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "interview_p1.txt").write_text("\n\n".join(
        f"Interviewer: Tell me about your week.\n\nP1: {text}, and that is how it goes every single week."
        for text in TIME + HELP) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    result = runner.invoke(app, ["run", str(inbox), "--data", str(data), "--config", "small-study"])
    assert result.exit_code == 0, result.output

    table = list(csv.DictReader(io.StringIO(export(data, "csv"))))
    assert table and all(row["unit_id"] == "" and row["question"] == "" for row in table)
    listed = json.loads(export(data, "json"))
    assert listed and all(row["unit_id"] is None and row["question"] is None for row in listed)
