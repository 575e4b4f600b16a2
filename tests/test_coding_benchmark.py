"""benchmarks/agreement.py finds its datasets by what their folders hold, not by name."""

import io
import sqlite3
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from agreement import coded_datasets, extract_sources

PROJECT = ('<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Sources>'
           '<TextSource guid="11111111-2222-3333-4444-555555555555" name="talk.txt" plainTextPath="talk.txt"/>'
           "</Sources></Project>")


def make_qdpx(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", PROJECT)
        archive.writestr("sources/talk.txt", "P1: We talked about the weather.\n")
    path.write_bytes(buffer.getvalue())


def test_datasets_are_the_folders_with_a_coding_file_and_its_transcripts(tmp_path):
    (tmp_path / "with_taguette" / "raw").mkdir(parents=True)
    sqlite3.connect(tmp_path / "with_taguette" / "project.sqlite3").execute("CREATE TABLE t (x)").connection.close()
    (tmp_path / "with_qdpx").mkdir()
    make_qdpx(tmp_path / "with_qdpx" / "project.qdpx")
    (tmp_path / "units_only").mkdir()
    (tmp_path / "units_only" / "units.csv").write_text("text,codes\nhello,a\n")
    (tmp_path / "database_without_transcripts").mkdir()
    sqlite3.connect(tmp_path / "database_without_transcripts" / "p.sqlite3").execute("CREATE TABLE t (x)")

    found = coded_datasets(tmp_path, None)
    assert [(name, coding.name, raw is not None) for name, coding, raw in found] == [
        ("with_qdpx", "project.qdpx", False), ("with_taguette", "project.sqlite3", True)]
    with pytest.raises(SystemExit, match="units_only"):
        coded_datasets(tmp_path, ["units_only"])

    inbox = extract_sources(tmp_path / "with_qdpx" / "project.qdpx", tmp_path / "inbox")
    assert (inbox / "talk.txt").read_text("utf-8") == "P1: We talked about the weather.\n"
