"""A UTF-8 coding table with a curly quote pasted from Word as one Windows-1252 byte: the
stray Windows-1252 byte is read as the character it was (pipeline/readers/_text.py), and
`import-coding` says so in one content-free line naming the line, as `qualflow run` does for
transcripts. Real SQLite study, the real CLI."""

import json
from pathlib import Path

from fixtures.review.study import built_study
from qualflow.flows.cli import app
from typer.testing import CliRunner

runner = CliRunner()
HEADER = b"document,text,code,coder\r\n"


def import_coding(data: Path, table: Path, *extra: str):
    result = runner.invoke(app, ["import-coding", str(table), "--data", str(data), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_import_coding_notes_a_stray_byte_with_its_line_and_no_text(tmp_path):
    data = built_study(tmp_path)
    table = tmp_path / "team.csv"
    table.write_bytes(HEADER + "p1.txt,How is work?,Staff\u2019s workload,dana\r\n".encode()
                      + b"p1.txt,How is work?,Team\x92s pay,dana\r\n")
    output = " ".join(import_coding(data, table).split())  # the terminal wraps long lines
    note = ("note: team.csv: 1 byte was not UTF-8 and was read as Windows-1252 (line 3); check those characters")
    assert output.count("Windows-1252") == 1 and note in output
    assert "pay" not in output


def test_the_note_is_in_the_json_and_absent_for_clean_utf8(tmp_path):
    data = built_study(tmp_path)
    stray = tmp_path / "stray.csv"
    stray.write_bytes(HEADER + b"p1.txt,How is work?,Team\x92s pay,dana\r\n"
                      + "p1.txt,How is work?,Caf\u00e9,dana\r\n".encode())
    clean = tmp_path / "clean.csv"
    clean.write_bytes(HEADER + "p1.txt,How is work?,Team\u2019s pay,dana\r\n".encode())
    assert json.loads(import_coding(data, stray, "--json"))["reading_notes"] == [
        "stray.csv: 1 byte was not UTF-8 and was read as Windows-1252 (line 2); check those characters"]
    assert json.loads(import_coding(data, clean, "--json"))["reading_notes"] == []
    assert "Windows-1252" not in import_coding(data, clean)
