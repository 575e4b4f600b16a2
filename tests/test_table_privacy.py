"""Tables without a header row, and participants files with identifying columns: what a participant said or
who they are never reaches an error message, a quarantine reason, the run's Prefect artifact or the report.

Every file here is real (written to tmp_path) and goes through the real readers, flow and command line.
"""

from __future__ import annotations

import re

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
    ["受访者编号", "发言人", "开始时间"],  # Chinese header words run together
    ["Q1", "Q2", "participant_id"],
    ["Interviewer", "Respondent", "Timestamp"],
])
def test_header_rows_look_like_headers(labels):
    from qualflow.pipeline.readers._tables import _looks_like_header_row

    assert _looks_like_header_row(labels)


def test_a_chinese_header_without_a_text_column_is_named(tmp_path):
    path = tmp_path / "turns.csv"
    path.write_text("编号,说话人\n1,王芳\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"columns: '编号', '说话人'; expected one of"):
        read_document(path)


# A first row the name detector does not recognise as names (the auditor's): only plain header words are quoted.
HEADERLESS_CHINESE = "林小雨,好的\n访谈者,您平时工作忙吗？\n林小雨,挺忙的，每天都要跑好几个社区，回来还要写记录。\n"


@pytest.mark.parametrize("first_row, cells", [
    ("林小雨,好的\n", ["林小雨", "好的"]),
    ("Whitfield,Okay\n", ["Whitfield", "Okay"]),
    ("Kowalczyk,Sure thing\n", ["Kowalczyk", "Sure thing"]),
    ("Zara-2,Fine\n", ["Zara", "Fine"]),
    ("Rebecca,Yes\n", ["Rebecca"]),
])
def test_a_first_row_is_shown_only_when_it_is_made_of_header_words(tmp_path, first_row, cells):
    path = tmp_path / "turns.csv"
    path.write_text(first_row + "访谈者,您平时工作忙吗？\n", encoding="utf-8")
    for read in (read_document, read_units):
        with pytest.raises(UnreadableFile) as caught:
            read(path)
        message = str(caught.value)
        assert "no text column found: the first row (2 filled columns) does not look like a header row" in message
        for text in cells:
            assert text not in message, text


@pytest.mark.slow
def test_a_headerless_chinese_table_quotes_nothing_in_the_run_its_quarantine_or_its_artifact(tmp_path):
    from qualflow.flows.batch import code_interviews
    from qualflow.flows.run_record import run_markdown

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "headerless.csv").write_text(HEADERLESS_CHINESE, encoding="utf-8")
    workbook = Workbook()
    for line in HEADERLESS_CHINESE.splitlines():
        workbook.active.append(line.split(",", 1))
    workbook.save(inbox / "headerless2.xlsx")
    data = tmp_path / "data"
    summary = code_interviews(str(inbox), str(data))
    assert len(summary.failed) == 2
    texts = [run_markdown(summary), " ".join(summary.failed)]
    texts += [reason.read_text("utf-8") for reason in sorted((data / "quarantine").glob("*.reason.txt"))]
    assert len(texts) == 4
    for text in texts:
        assert "no text column found" in text and "(2 filled columns)" in text
        for secret in ("林小雨", "好的", "忙"):
            assert secret not in text, secret


@pytest.mark.parametrize("labels", [
    ["林小雨", "好的"],
    ["Whitfield", "Okay"],
    ["Rebecca", "Yes"],
    ["Mary"],
    ["王芳", "内容"],  # one header word does not make the other cell one
])
def test_cells_that_are_not_header_words_do_not_look_like_headers(labels):
    from qualflow.pipeline.readers._tables import _looks_like_header_row

    assert not _looks_like_header_row(labels)


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
    # A minimum cell of 2, so that sex (F 3, M 2) and site are summarised next to the columns left out.
    result = CliRunner().invoke(app, ["report", "--participants", str(parts), "--out", str(out),
                                      "--data", str(study_data), "--min-cell-size", "2"])
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


# The auditor's participants file: an all-numeric record number, an 18-digit ID card number, and notes given
# for one participant only.
AUDIT_PARTICIPANTS = ("participant,age,gender,hospital_no,id_card,notes\n"
                      "P1,34,F,4410237,110105198403120417,\n"
                      "P2,41,M,4410992,110105197911250031,\n"
                      "P3,29,F,4411305,110105199506020028,\"Lives with husband Tom Whitfield at 14 Acacia Avenue\"\n"
                      "P4,52,F,4412876,110105197205140026,\n"
                      "P5,38,M,4413018,110105198608230013,\n")
AUDIT_SECRETS = ("4410237", "4413018", "4411685", "110105", "Tom Whitfield", "Acacia", "Lives with")


def test_record_numbers_and_sparse_notes_are_not_in_table_1(study_data, tmp_path):
    from docx import Document

    parts = tmp_path / "participants.csv"
    parts.write_text(AUDIT_PARTICIPANTS, encoding="utf-8")
    out = tmp_path / "report"
    # A minimum cell of 2, so that gender (F 3, M 2) is summarised next to the columns left out.
    result = CliRunner().invoke(app, ["report", "--participants", str(parts), "--out", str(out),
                                      "--data", str(study_data), "--min-cell-size", "2"])
    assert result.exit_code == 0, result.output
    markdown = (out / "report.md").read_text("utf-8")
    html = re.sub(r"data:image/png;base64,[^\"']*", "", (out / "report.html").read_text("utf-8"))  # the figures
    docx = "\n".join(cell.text for table in Document(str(out / "report.docx")).tables
                     for row in table.rows for cell in row.cells)
    for text in (markdown, html, docx, result.output):
        for secret in AUDIT_SECRETS:
            assert secret not in text, secret
    for text in (markdown, html, docx):
        assert "age, mean (SD)" in text and "range" not in text.replace("no range is shown", "")  # no extremes
        assert "gender, n (%)" in text
        for column in ("hospital_no", "id_card", "notes"):
            assert f"{column}, n (%)" not in text and f"{column}, mean (SD)" not in text
    for column in ("hospital_no", "id_card", "notes"):  # said, by header only
        assert f"Left out of Table 1: {column}: " in markdown

    read = read_participants_file(parts)
    assert {key for row in read.rows for key in row} == {"id", "age", "gender"}
    reasons = dict(note.split(": ", 1) for note in read.left_out)
    assert set(reasons) == {"hospital_no", "id_card", "notes"}
    assert "identification numbers" in reasons["hospital_no"] and "identification numbers" in reasons["id_card"]
    assert "free text" in reasons["notes"]


def test_one_participant_s_free_text_is_never_a_level_but_a_single_category_value_is(study_data, tmp_path):
    from qualflow.models import Store
    from qualflow.pipeline.placements import live_codebook
    from qualflow.pipeline.tables import participant_table

    parts = tmp_path / "participants.csv"
    parts.write_text(
        "id,age,gender,site,comment,income\n"
        "P1,30,Female,North,none,35000\n"
        "P2,40,Female,North,none,35000\n"
        "P3,50,Male,South,none,42000\n"
        "P4,60,Female,South,\"Cares for her son, who was sectioned in 2019 at St Ann's\",42000\n"
        "P5,70,Female,East,none,50000\n", encoding="utf-8")
    read = read_participants_file(parts)
    raw = [{"id": "P1", "hospital_no": 4410237, "notes": "Lives with husband Tom Whitfield at 14 Acacia Avenue"},
           {"id": "P2", "hospital_no": 4410992, "notes": ""}, {"id": "P3", "hospital_no": 4411305, "notes": None}]
    with Store(default_database_url(study_data)).session() as session:
        table = participant_table(session, live_codebook(session), read.rows)
        # Rows that did not come through `read_participants_file`: Table 1 drops such columns itself.
        unread = participant_table(session, live_codebook(session), raw)
    assert unread["attributes"] == [] and [note.split(":")[0] for note in unread["left_out"]] == ["hospital_no", "notes"]
    assert "Whitfield" not in str(unread) and "4410237" not in str(unread)
    attributes = {a["name"]: a for a in table["attributes"]}
    levels = {name: {lv["value"]: lv["count"] for lv in a.get("levels", [])} for name, a in attributes.items()}
    # Groups under the minimum cell size (3) are pooled unnamed, and a pool under it takes in the next
    # smallest values (tests/test_table1_small_cells.py): the single "Male" next to "Female 4" of 5 would be
    # 5 - 4, so gender is left out, as is the one carer's story next to "none 4"; the sites of 2, 2 and 1
    # are each under the minimum, and "Other 5 (100%)" would read as everyone's site: left out too.
    assert [name for name, attribute in attributes.items() if attribute["kind"] == "categorical"] == []
    assert {note.split(":")[0] for note in table["left_out"]} >= {"gender", "comment", "site"}
    # Income: five-digit numbers, not identifiers (repeated), but amounts to the pound.
    assert "income" not in attributes
    assert any(note.startswith("income: ") for note in table["left_out"] + read.left_out)
    assert set(attributes["age"]) == {"name", "kind", "n", "missing", "mean", "sd"}  # no min, no max
    for note in table["left_out"] + read.left_out:
        assert "35000" not in note and "sectioned" not in note
