"""CSV files a researcher double-clicks open in Excel with Chinese text intact: every exported CSV
file starts with a UTF-8 byte-order mark (without it Excel on Windows reads the locale's code
page). CSV on stdout has none, so a pipe (`| head`, pandas reading stdin) sees a clean header.
The mark changes nothing else: formula cells still get their apostrophe, `import-coding` takes an
exported codings file back, and `export assignments --format xlsx` writes a workbook.

A real SQLite study (fixtures.review.study: English and Chinese statements) and the real CLI.
"""

import codecs
import csv
import io
import json

import openpyxl
import pytest
from fixtures.review.study import built_study
from qualflow.flows.cli import app
from qualflow.models import Store, default_database_url
from qualflow.pipeline.coding.export_tables import CODEBOOK_COLUMNS, CODING_COLUMNS, TAGUETTE_COLUMNS
from qualflow.pipeline.participants_file import read_participants
from qualflow.pipeline.readers._tables import TEXT_COLUMNS, read_table
from qualflow.pipeline.report import ASSIGNMENT_COLUMNS
from typer.testing import CliRunner

runner = CliRunner()
CHINESE_LABEL = "人手不足"
FORMULA_LABEL = "=SUM(A1:A9)"
EXPORTS = {  # file name -> (export command, the header it must carry)
    "assignments.csv": (["assignments", "--format", "csv"], ASSIGNMENT_COLUMNS),
    "codings.csv": (["codings"], CODING_COLUMNS),
    "codebook.csv": (["codebook"], CODEBOOK_COLUMNS),
    "taguette.csv": (["codebook", "--taguette"], TAGUETTE_COLUMNS),
}


@pytest.fixture
def data(tmp_path):
    (tmp_path / "study").mkdir()
    folder = built_study(tmp_path / "study")
    qualflow(folder, "review", "rename", "T1", CHINESE_LABEL)
    qualflow(folder, "review", "rename", "T2", FORMULA_LABEL)
    return folder


def qualflow(data, *args):
    result = runner.invoke(app, [*args, "--data", str(data)])
    assert result.exit_code == 0, result.output
    return result


def export_all(data, folder) -> dict:
    for name, (command, _) in EXPORTS.items():
        qualflow(data, "export", *command, "-o", str(folder / name))
    return {name: folder / name for name in EXPORTS}


def has_chinese(rows: list[list[str]]) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for row in rows for cell in row for char in cell)


def test_csv_files_start_with_a_bom_and_read_back_exactly(data, tmp_path):
    for name, path in export_all(data, tmp_path).items():
        columns = EXPORTS[name][1]
        assert path.read_bytes().startswith(codecs.BOM_UTF8), name
        rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
        assert rows[0] == columns and has_chinese(rows[1:]), name


def test_csv_on_stdout_has_no_bom(data):
    result = qualflow(data, "export", "assignments", "--format", "csv")
    assert not result.stdout_bytes.startswith(codecs.BOM_UTF8)
    assert result.stdout_bytes.split(b"\n", 1)[0].decode("utf-8") == ",".join(ASSIGNMENT_COLUMNS)


def test_pandas_reads_the_exact_header_of_files_and_stdout(data, tmp_path):
    pandas = pytest.importorskip("pandas")  # not a qualflow dependency; researchers' scripts use it
    for name, path in export_all(data, tmp_path).items():
        # pandas' default encoding (utf-8) skips the mark: scripts reading our files need no option.
        assert list(pandas.read_csv(path).columns) == EXPORTS[name][1], name
    piped = qualflow(data, "export", "assignments", "--format", "csv").stdout  # `qualflow export … | python …`
    table = pandas.read_csv(io.StringIO(piped))
    assert list(table.columns) == ASSIGNMENT_COLUMNS and CHINESE_LABEL in set(table["parent_theme_label"])


def test_formula_cells_keep_their_apostrophe_behind_the_bom(data, tmp_path):
    for name, path in export_all(data, tmp_path).items():
        cells = [cell for row in csv.reader(path.open(encoding="utf-8-sig", newline="")) for cell in row]
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], name
        assert any(cell.startswith("'" + FORMULA_LABEL) or cell.endswith(FORMULA_LABEL) for cell in cells), name


def test_exported_codings_import_back(data, tmp_path):
    path = export_all(data, tmp_path)["codings.csv"]
    spans = len(list(csv.DictReader(path.open(encoding="utf-8-sig", newline=""))))
    report = json.loads(qualflow(data, "import-coding", str(path), "--json").stdout)
    assert report["spans"] == report["well_aligned"] == spans > 0


def test_qualflows_csv_readers_skip_the_bom(tmp_path):
    units = codecs.BOM_UTF8 + "text,participant\n夜班太多，人手不够。,P1\n".encode("utf-8")
    header, rows = read_table(units, "units.csv", ".csv", TEXT_COLUMNS)  # what `run --units` reads
    assert header == ["text", "participant"] and rows == [["夜班太多，人手不够。", "P1"]]
    participants = tmp_path / "participants.csv"
    participants.write_bytes(codecs.BOM_UTF8 + "participant,角色\nP1,护士\n".encode("utf-8"))
    id_column, rows = read_participants(participants)
    assert id_column == "participant" and rows[0]["角色"] == "护士"


def test_assignments_as_xlsx_hold_the_chinese_text(data, tmp_path):
    path = tmp_path / "assignments.xlsx"
    qualflow(data, "export", "assignments", "--format", "xlsx", "-o", str(path))
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    expected = json.loads(qualflow(data, "export", "assignments", "--format", "json").stdout)
    assert list(rows[0]) == ASSIGNMENT_COLUMNS and len(rows) == len(expected) + 1
    text, label = ASSIGNMENT_COLUMNS.index("text"), ASSIGNMENT_COLUMNS.index("parent_theme_label")
    assert [row[text] for row in rows[1:]] == [row["text"] for row in expected]
    assert {CHINESE_LABEL, FORMULA_LABEL} <= {row[label] for row in rows[1:]}  # text, exactly as stored
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("output", [None, "assignments.csv"])
def test_xlsx_needs_an_xlsx_file(data, tmp_path, output):
    args = ["export", "assignments", "--format", "xlsx", "--data", str(data)]
    result = runner.invoke(app, args + (["-o", str(tmp_path / output)] if output else []))
    assert result.exit_code == 2 and "--format xlsx needs --output ending in .xlsx" in result.output
    assert not result.stdout_bytes and (output is None or not (tmp_path / output).exists())


def test_a_workbook_name_needs_the_xlsx_format(data, tmp_path):
    result = runner.invoke(app, ["export", "assignments", "-o", str(tmp_path / "a.xlsx"), "--data", str(data)])
    assert result.exit_code == 2 and "add --format xlsx" in result.output
    assert not (tmp_path / "a.xlsx").exists()
