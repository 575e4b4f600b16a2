"""Tables without a header row, and participants files with identifying columns: what a participant said or
who they are never reaches an error message, a quarantine reason, the run's Prefect artifact or the report.

Every file here is real (written to tmp_path) and goes through the real readers, flow and command line.
"""

from __future__ import annotations

import pytest
from openpyxl import Workbook
from qualflow.flows.cli import app
from qualflow.models import default_database_url
from qualflow.pipeline.errors import QualflowError, UnreadableFile
from qualflow.pipeline.ingest import read_document
from qualflow.pipeline.participants_file import (
    ID_COLUMNS,
    read_participants,
    read_participants_file,
)
from qualflow.pipeline.units import TEXT, read_units
from test_publish_study import build_study
from typer.testing import CliRunner

# The auditor's first line: a name, then an answer with another name and a phone number.
FIRST_ROW = 'Mary Smith,"My son Tom Jenkins is ill, call me on 07700 900123."\n'
SECOND_ROW = 'Ann Lee,"Work is hard. Write to ann.lee@example.org."\n'
SECRETS = ("Mary", "Smith", "Tom Jenkins", "07700", "900123", "Ann Lee", "ann.lee", "example.org")


def assert_no_cell_content(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


# ------------------------------------------------------------------ tables without a header row

@pytest.mark.slow
def test_headerless_units_csv_fails_on_the_command_line_without_showing_its_cells(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    answers = inbox / "answers.csv"
    answers.write_text(FIRST_ROW + SECOND_ROW, encoding="utf-8")
    data = tmp_path / "data"
    result = CliRunner().invoke(app, ["run", str(answers), "--units", "--data", str(data)])
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())  # however the terminal wrapped it
    assert "answers.csv: no text column found" in output
    assert "(2 filled columns)" in output and "does not look like a header row" in output
    assert ", ".join(TEXT) in output  # the names the units reader accepts
    assert_no_cell_content(result.output)
    reasons = list((data / "quarantine").glob("*.reason.txt"))
    assert len(reasons) == 1
    reason = reasons[0].read_text("utf-8")
    assert "answers.csv: no text column found" in reason and "(2 filled columns)" in reason
    assert_no_cell_content(reason)


@pytest.mark.slow
def test_headerless_turn_tables_fail_in_the_flow_without_showing_their_cells(tmp_path):
    from qualflow.flows.batch import code_interviews
    from qualflow.flows.run_record import run_markdown

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "interview.csv").write_text(FIRST_ROW + SECOND_ROW, encoding="utf-8")
    workbook = Workbook()
    workbook.active.append(["Mary Smith", "My son Tom Jenkins is ill, call me on 07700 900123."])
    workbook.active.append(["Ann Lee", "Work is hard. Write to ann.lee@example.org."])
    workbook.save(inbox / "interview2.xlsx")
    data = tmp_path / "data"
    summary = code_interviews(str(inbox), str(data))
    assert summary.files_seen == 2 and len(summary.failed) == 2
    assert all("no text column found" in line and "(2 filled columns)" in line for line in summary.failed)
    artifact = run_markdown(summary)  # what the run attaches to its Prefect flow run
    assert "## Failed files" in artifact and "interview2.xlsx" in artifact
    assert_no_cell_content(artifact)
    assert_no_cell_content(" ".join(summary.failed))
    reasons = sorted((data / "quarantine").glob("*.reason.txt"))
    assert len(reasons) == 2
    for reason in reasons:
        text = reason.read_text("utf-8")
        assert "no text column found" in text
        assert_no_cell_content(text)


@pytest.mark.parametrize("first_row", [
    'Ann Lee,07700 900123,yes\n',  # a name beside a phone number: the row is data, nothing of it is shown
    'P3,"I look after my mother, Mary Smith."\n',  # a sentence
    'mary.smith@example.org,Nurse\n',  # an e-mail address
    '1984-03-02,Mary Smith\n',  # a date
])
def test_a_first_row_that_is_data_is_counted_not_shown(tmp_path, first_row):
    path = tmp_path / "turns.csv"
    path.write_text(first_row + SECOND_ROW, encoding="utf-8")
    with pytest.raises(UnreadableFile) as caught:
        read_document(path)
    message = str(caught.value)
    assert message.startswith("turns.csv: no text column found: the first row (")
    assert "utterance" in message  # the accepted text column names
    assert_no_cell_content(message)
    assert "Nurse" not in message and "1984" not in message and "P3" not in message
    with pytest.raises(UnreadableFile) as caught:
        read_units(path)
    assert_no_cell_content(str(caught.value))


def test_a_real_header_is_still_named(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("Participant ID,Q2 answer,score\nP1,Mary Smith,5\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"columns: 'Participant ID', 'Q2 answer', 'score'; expected one of"):
        read_units(path)


@pytest.mark.parametrize("first_row, names", [
    ('Mary Smith,Yes\n', ["Mary", "Smith"]),  # two capitalised words beside a one-word answer
    ('Yes,Kwabena Mensah-Bonsu\n', ["Kwabena", "Mensah-Bonsu"]),
    ('Mary,No\n', ["Mary"]),  # one word: the detector knows it for a name
    ('王芳,是\n', ["王芳"]),
])
def test_a_first_row_of_short_cells_that_names_someone_is_not_shown(tmp_path, first_row, names):
    path = tmp_path / "turns.csv"
    path.write_text(first_row + SECOND_ROW, encoding="utf-8")
    with pytest.raises(UnreadableFile) as caught:
        read_document(path)
    message = str(caught.value)
    assert "does not look like a header row" in message
    for name in names:
        assert name not in message


@pytest.mark.parametrize("labels", [
    ["id", "text", "participant", "question"],
    ["Speaker", "Text"],
    ["unit_id", "document", "speaker", "text", "codes"],
    ["编号", "文本"],
    ["说话人", "内容", "时间"],
    ["Participant ID", "Q2 answer", "score"],
    ["Start Time", "Interview Date", "Notes"],  # capitalised word pairs that hold a header word
    ["Start Time", "Speaker Name"],  # the detector alone would take "Name" for a person
    ["speaker name", "date of interview"],
])
def test_header_rows_look_like_headers(labels):
    from qualflow.pipeline.readers._tables import _looks_like_header_row

    assert _looks_like_header_row(labels)


def test_a_chinese_header_without_a_text_column_is_named(tmp_path):
    path = tmp_path / "turns.csv"
    path.write_text("编号,说话人\n1,王芳\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"columns: '编号', '说话人'; expected one of"):
        read_document(path)


# ------------------------------------------------------------------ participants files

HEADERLESS_PARTICIPANTS = ("P1,Anna Reyes,41,F,nurse,anna@x.org,12 High St\n"
                           "P2,Ben Okafor,35,M,doctor,ben@x.org,4 Mill Lane\n"
                           "P3,Chen Li,52,F,nurse,chen@x.org,9 Park Road\n")
PARTICIPANT_SECRETS = ("Anna", "Reyes", "anna@", "High St", "Ben Okafor", "Mill Lane", "Chen Li", "x.org")


@pytest.fixture
def study_data(tmp_path):
    """A data folder holding a small stored study (participants P1–P5), for `qualflow report`."""
    data = tmp_path / "data"
    data.mkdir()
    build_study(default_database_url(data)).dispose()
    return data


def test_headerless_participants_file_is_one_clear_error(study_data, tmp_path):
    parts = tmp_path / "parts_nohdr.csv"
    parts.write_text(HEADERLESS_PARTICIPANTS, encoding="utf-8")
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", "--participants", str(parts), "--out", str(out),
                                      "--data", str(study_data)])
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "qualflow: error: participants file parts_nohdr.csv: no participant-id column" in output
    assert ", ".join(ID_COLUMNS) in output  # which header names are accepted
    assert "(7 columns, none named as an id)" in output
    for secret in PARTICIPANT_SECRETS + ("nurse", "41"):
        assert secret not in result.output, secret
    assert not (out / "report.md").exists()


def test_headerless_participants_xlsx_and_yaml_list_are_refused_too(tmp_path):
    workbook = Workbook()
    for line in HEADERLESS_PARTICIPANTS.splitlines():
        workbook.active.append(line.split(","))
    xlsx = tmp_path / "parts.xlsx"
    workbook.save(xlsx)
    listed = tmp_path / "parts.yaml"
    listed.write_text("- {name: Anna Reyes, age: 41}\n- {name: Ben Okafor, age: 35}\n", encoding="utf-8")
    for path in (xlsx, listed):
        with pytest.raises(QualflowError, match="no participant-id column") as caught:
            read_participants(path)
        for secret in PARTICIPANT_SECRETS:
            assert secret not in str(caught.value), secret


def test_identifying_values_are_not_summarised_whatever_their_header(study_data, tmp_path):
    from docx import Document

    # A missing name, a shared family address, a missing date and phone: the values are not all different,
    # so Table 1's own "a different value for every participant" rule would not catch these columns.
    parts = tmp_path / "participants.csv"
    parts.write_text(
        "id,age,sex,who,contact,born,tel,site\n"
        "P1,30,F,Anna Reyes,anna@x.org,1984-03-02,07700 900123,North\n"
        "P2,40,F,Ben Okafor,family@x.org,1979-11-30,07700 900456,North\n"
        "P3,50,M,Chen Li,family@x.org,,07700 900789,South\n"
        "P4,60,F,Dee Park,dee@x.org,1966-06-06,,South\n"
        "P5,70,M,,eli@x.org,1956-02-29,07700 900654,East\n", encoding="utf-8")
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", "--participants", str(parts), "--out", str(out),
                                      "--data", str(study_data)])
    assert result.exit_code == 0, result.output
    markdown = (out / "report.md").read_text("utf-8")
    html = (out / "report.html").read_text("utf-8")
    docx = "\n".join(cell.text for table in Document(str(out / "report.docx")).tables
                     for row in table.rows for cell in row.cells)
    for text in (markdown, html, docx):
        assert "age, mean (SD)" in text and "sex, n (%)" in text and "site, n (%)" in text  # still summarised
        for column in ("who", "contact", "born", "tel"):
            assert f"{column}, n (%)" not in text and f"{column}, mean (SD)" not in text
        for secret in ("Anna", "Okafor", "Chen Li", "Dee Park", "@x.org", "1984-03-02", "900123"):
            assert secret not in text, secret
    for column in ("who", "contact", "born", "tel"):  # the report says what it left out, by header
        assert f"Left out of Table 1: {column}" in markdown

    read = read_participants_file(parts)
    assert [row["id"] for row in read.rows] == ["P1", "P2", "P3", "P4", "P5"]
    assert {key for row in read.rows for key in row} == {"id", "age", "sex", "site"}
    assert [note.split(":")[0] for note in read.left_out] == ["who", "contact", "born", "tel"]
    assert "e-mail" in read.left_out[1] and "dates" in read.left_out[2] and "phone" in read.left_out[3]
    for secret in PARTICIPANT_SECRETS + ("900123", "1984"):
        assert secret not in " ".join(read.left_out)


def test_ordinary_attributes_of_a_small_study_stay(tmp_path):
    # Four participants, three roles (one shared): an attribute, not an identifier; ages all differ but are numbers.
    parts = tmp_path / "participants.csv"
    parts.write_text("participant,age,role\nP1,34,nurse\nP2,41,social worker\nP5,45,doctor\nP6,38,nurse\n",
                     encoding="utf-8")
    read = read_participants_file(parts)
    assert read.left_out == [] and read.id_column == "participant"
    assert read.rows[1] == {"id": "P2", "age": "41", "role": "social worker"}


def test_participants_file_errors_quote_no_cell(tmp_path):
    twice = tmp_path / "twice.csv"
    twice.write_text("participant,age\nAnna Reyes,30\nAnna Reyes,31\n", encoding="utf-8")
    with pytest.raises(QualflowError, match=r"an id appears twice \(participants 1 and 2\)") as caught:
        read_participants(twice)
    assert "Anna" not in str(caught.value)
    broken = tmp_path / "broken.yaml"
    broken.write_text("P1: {name: Anna Reyes, age: 41\nP2: [\n", encoding="utf-8")
    with pytest.raises(QualflowError, match="cannot read the participants file broken.yaml") as caught:
        read_participants(broken)
    assert "Anna" not in str(caught.value)
