"""`qualflow run` on an inbox with nothing to read: for a study that is already there it is a night with
nothing new (exit 0, one line), as for a scheduled run; with no study yet nothing can be made (exit 2)."""

import sqlite3

import pytest
from fixtures.cli import one_line_error
from fixtures.review.study import built_study
from qualflow.flows.cli import app
from typer.testing import CliRunner

runner = CliRunner()
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n"


def qualflow(*args):
    return runner.invoke(app, [str(arg) for arg in args])


@pytest.fixture
def study(tmp_path):
    (tmp_path / "study").mkdir()
    return built_study(tmp_path / "study")


def transcripts(data):
    with sqlite3.connect(data / "qualflow.sqlite") as db:
        return db.execute("SELECT id, source_name FROM transcripts ORDER BY id").fetchall()


def nothing_new(result, *expected: str) -> None:
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("nothing new:"), result.output
    assert "error" not in result.output and "Traceback" not in result.output
    for text in expected:
        assert text in result.output, result.output


def test_an_empty_inbox_for_an_existing_study_is_a_night_with_nothing_new(study, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    before = transcripts(study)
    nothing_new(qualflow("run", inbox, "--data", study),
                "no transcript files (.txt, .md", f"under {inbox}", f"the study in {study} is unchanged")
    assert transcripts(study) == before


def test_an_inbox_with_only_files_qualflow_does_not_read_says_so_and_exits_0_for_an_existing_study(study, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "P2.pdf").write_bytes(PDF)
    nothing_new(qualflow("run", inbox, "--data", study),
                "only 1 file of a type qualflow does not read (.pdf)")


def test_units_on_an_inbox_without_tables_for_an_existing_study_is_nothing_new(study, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    nothing_new(qualflow("run", inbox, "--units", "--data", study), "no units files (.csv, .xlsx)")


def test_a_study_named_by_url_counts_and_an_empty_database_does_not(study, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    nothing_new(qualflow("run", inbox, "--data", tmp_path / "elsewhere", "--db",
                         f"sqlite:///{study / 'qualflow.sqlite'}"), "is unchanged")
    sqlite3.connect(tmp_path / "blank.sqlite").close()  # a database, but no study in it
    one_line_error(qualflow("run", inbox, "--data", tmp_path / "elsewhere", "--db",
                            f"sqlite:///{tmp_path / 'blank.sqlite'}"), "no transcript files", "nothing was made")


def test_an_empty_inbox_with_no_study_yet_is_still_refused(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    one_line_error(qualflow("run", inbox, "--data", tmp_path / "data"), "no transcript files", "nothing was made")
    assert not (tmp_path / "data" / "qualflow.sqlite").exists()
