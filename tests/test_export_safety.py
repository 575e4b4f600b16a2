"""Exports a researcher opens in Excel and a study that must survive them: the real flow on the
example interviews (small-study), a real SQLite study, the CLI.

- A cell that starts with = + - @ opens as a formula in a spreadsheet (CSV injection): a theme
  name a reviewer typed, a file name, a statement. CSV cells get a leading apostrophe; XLSX
  cells are written as text, exactly as stored.
- An export never overwrites the study database.
"""

import csv
import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import Store, Theme, Transcript, default_database_url
from qualflow.pipeline.coding.importer import import_coding
from qualflow.pipeline.report import assignment_rows
from sqlalchemy import select
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
FORMULA = '=HYPERLINK("http://example.invalid/","open")'
AT_FILE = "@home_visit_p11.txt"
runner = CliRunner()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("export_safety")
    inbox = root / "inbox"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "zh_p5_社区医生.txt"):
        shutil.copy(ROOT / "examples" / name, inbox / name)
    # A file name that starts with "@", as "@home" or "@site" names are written.
    shutil.copy(ROOT / "examples" / "en_p3_new_graduate.txt", inbox / AT_FILE)
    # Text converted from a PDF or Word keeps a form feed at each page break.
    (inbox / "en_p12_pages.txt").write_text(
        "Interviewer: How are the home visits going this year?\n\nP12: The home visits take far longer than they "
        "used to because the caseload keeps growing every month.\fPage 2\fAnd the paperwork after each visit takes "
        "another hour, which nobody counts in the caseload numbers.\vWe write notes in the car between visits "
        "because there is no time at the base.\n", encoding="utf-8")
    data = root / "data"
    summary = code_interviews(str(inbox), str(data), "small-study")
    assert summary.transcripts_added == 5 and not summary.failed
    return data


@pytest.fixture
def data(study, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(study, copy)
    return copy


def qualflow(data, *args):
    result = runner.invoke(app, [*args, "--data", str(data)])
    assert result.exit_code == 0, result.output
    return result.output


def formula_cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_csv_exports_keep_formulas_out_of_every_cell(data, tmp_path):
    qualflow(data, "review", "rename", "T1", FORMULA)
    qualflow(data, "review", "rename", "T2.1", "+cmd")
    assignments = list(csv.reader(io.StringIO(qualflow(data, "export", "assignments", "--format", "csv"))))
    tables = {}
    for name, command in (("codings.csv", ["codings"]), ("codebook.csv", ["codebook"]),
                          ("taguette.csv", ["codebook", "--taguette"])):
        qualflow(data, "export", *command, "-o", str(tmp_path / name))
        tables[name] = list(csv.reader((tmp_path / name).open(encoding="utf-8-sig")))
    for rows in [assignments, *tables.values()]:
        assert formula_cells(rows) == []
    # Nothing is lost: the apostrophe is all that was added.
    header = assignments[0]
    by_id = {int(row[0]): dict(zip(header, row)) for row in assignments[1:]}
    with Store(default_database_url(data)).session() as session:
        expected = assignment_rows(session)
    assert len(by_id) == len(expected)
    for row in expected:
        got = by_id[row["statement_id"]]
        for column in ("document", "text", "theme_label", "parent_theme_label"):
            value = row[column] or ""
            assert got[column] == ("'" + value if value[:1] in "=+-@" and value else value)
    assert any(r["document"] == "'" + AT_FILE for r in by_id.values())
    assert any(r["parent_theme_label"] == "'" + FORMULA for r in by_id.values())
    stats = import_coding(Store(default_database_url(data)), tmp_path / "codings.csv")  # still goes back in
    assert stats["well_aligned"] == stats["spans"] == len(expected)
    book = {row[0]: row for row in tables["codebook.csv"][1:]}
    assert book["T1"][1] == "'" + FORMULA and book["T2.1"][1] == "'+cmd"


def test_xlsx_exports_write_text_never_formulas_and_read_back(data, tmp_path):
    qualflow(data, "review", "rename", "T1", FORMULA)
    for name, command in (("codebook.xlsx", ["codebook"]), ("codings.xlsx", ["codings"])):
        qualflow(data, "export", *command, "-o", str(tmp_path / name))
    sheet = openpyxl.load_workbook(tmp_path / "codebook.xlsx").active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert FORMULA in [cell.value for cell in cells]  # the name as typed, as text
    # The codings table goes back in through import-coding, whatever the theme names.
    store = Store(default_database_url(data))
    stats = import_coding(store, tmp_path / "codings.xlsx")
    with store.session() as session:
        expected = len(assignment_rows(session))
    assert stats["well_aligned"] == stats["spans"] == expected


@pytest.mark.parametrize("command", [["assignments", "--format", "json"], ["codings"], ["qdpx"]])
def test_an_export_never_overwrites_the_study_database(data, command):
    database = data / "qualflow.sqlite"
    before = database.read_bytes()
    target = database if command[0] != "codings" else database.with_suffix(".csv")
    if command[0] == "codings":  # the same database under a name the table export accepts
        shutil.copy(database, target)
        before = target.read_bytes()
    result = runner.invoke(app, ["export", *command, "-o", str(target), "--data", str(data)])
    assert result.exit_code == 2 and "SQLite database" in result.output
    assert target.read_bytes() == before
    with Store(default_database_url(data)).session() as session:  # the study still opens
        assert session.scalar(select(Theme.id).limit(1)) is not None
        assert session.scalar(select(Transcript.id).limit(1)) is not None


def test_the_saturation_plot_never_overwrites_the_study_database_nor_makes_folders(data, tmp_path):
    database = data / "qualflow.sqlite"
    before = database.read_bytes()
    result = runner.invoke(app, ["saturation", "--plot", str(database), "--data", str(data)])
    assert result.exit_code == 2 and "--plot" in result.output and "SQLite database" in result.output
    assert database.read_bytes() == before
    result = runner.invoke(app, ["saturation", "--plot", str(tmp_path / "no-such" / "s.png"), "--data", str(data)])
    assert result.exit_code == 2 and "no such folder" in result.output and not (tmp_path / "no-such").exists()
    result = runner.invoke(app, ["saturation", "--plot", str(tmp_path / "s.png"), "--data", str(data)])
    assert result.exit_code == 0 and (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")


def test_qdpx_notes_are_only_memos_on_what_the_project_holds(data, tmp_path):
    import zipfile

    import xmlschema

    qualflow(data, "review", "memo", "--theme", "T2", "Keep this theme.", "--as", "alice")
    qualflow(data, "review", "reject", "T1", "--as", "alice")
    qualflow(data, "review", "memo", "--theme", "T1", "Rejected: too broad.", "--as", "alice")
    path = tmp_path / "project.qdpx"
    qualflow(data, "export", "qdpx", "-o", str(path))
    project = zipfile.ZipFile(path).read("project.qde").decode("utf-8")
    # The project carries its own copy of the REFI-QDA schema (a clean clone has no ../shared).
    xmlschema.XMLSchema(str(ROOT / "pipeline" / "coding" / "schemas" / "Project.xsd")).validate(project)
    assert "Keep this theme." in project and project.count("<NoteRef ") == 1
    assert "Rejected: too broad." not in project and project.count("<Note ") == 1


def test_xlsx_codings_take_a_statement_with_a_page_break(data, tmp_path):
    with Store(default_database_url(data)).session() as session:
        rows = assignment_rows(session)
    paged = [r for r in rows if "\f" in r["text"] or "\v" in r["text"]]
    assert paged, "the fixture should give a statement across a page break"
    path = tmp_path / "codings.xlsx"
    qualflow(data, "export", "codings", "-o", str(path))
    sheet = openpyxl.load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    texts = {(row[header.index("document")], row[header.index("start")]): row[header.index("text")]
             for row in sheet.iter_rows(min_row=2, values_only=True)}
    for row in paged:
        written = texts[(row["document"], row["start"])]
        assert len(written) == len(row["text"]) and written == row["text"].replace("\f", " ").replace("\v", " ")
    stats = import_coding(Store(default_database_url(data)), path)
    assert stats["well_aligned"] == stats["spans"] == len(rows)
