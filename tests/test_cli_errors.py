"""Errors a user can fix are one line and exit 2, never a traceback: a missing export folder, a
file as the data folder, a malformed database URL, a study locked by a run. And Prefect's
INFO run logs only with -v."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.cli import one_line_error
from fixtures.review.study import built_study
from qualflow.flows.cli import app
from qualflow.models import Memo, Store, default_database_url
from sqlalchemy import func, select
from typer.testing import CliRunner

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
QUALFLOW = Path(sys.executable).parent / "qualflow"


@pytest.fixture
def data(tmp_path):
    study = tmp_path / "study"  # beside it, tmp_path has room for folders the tests name
    study.mkdir()
    return built_study(study)


@pytest.mark.parametrize("command", [["assignments"], ["assignments", "--format", "json"], ["qdpx"], ["qdc"],
                                     ["codings"], ["codebook"]])
def test_exporting_into_a_missing_folder_is_one_error(data, tmp_path, command):
    missing = tmp_path / "no-such-folder"
    suffix = {"qdpx": ".qdpx", "qdc": ".qdc"}.get(command[0], ".csv")
    result = runner.invoke(app, ["export", *command, "-o", str(missing / f"out{suffix}"), "--data", str(data)])
    one_line_error(result, "--output: no such folder", str(missing))
    assert not missing.exists()  # no folder is made for a mistyped path


def test_a_file_as_the_data_folder_is_one_error_before_any_work(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    result = runner.invoke(app, ["run", str(EXAMPLES / "en_p1_nurse.txt"), "--data", str(afile)])
    one_line_error(result, "--data", "is a file, not a folder")
    result = runner.invoke(app, ["run", str(EXAMPLES / "en_p1_nurse.txt"), "--data", str(afile / "below")])
    one_line_error(result, "--data", "cannot make the folder")
    assert afile.read_text() == "not a folder"


def test_a_malformed_database_url_names_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("QUALFLOW_DB", "postgresql//someone:secret@host/study")  # a colon short
    result = runner.invoke(app, ["themes", "--data", str(tmp_path)])
    one_line_error(result, "$QUALFLOW_DB is not a database URL")
    assert "secret" not in result.output


def test_a_review_while_a_run_holds_the_write_lock_is_one_line_and_echoes_nothing(data):
    memo = "She said her son Tom drinks every night"
    # Another process holds SQLite's write lock, as a batch run storing its results does.
    hold = ("import sqlite3, sys, time\n"
            "connection = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "connection.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(data / "qualflow.sqlite")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = runner.invoke(app, ["review", "memo", memo, "--statement", "5", "--data", str(data)])
    finally:
        holder.kill()
        holder.wait()
    one_line_error(result, "busy", "try again")
    assert "Tom" not in result.output
    with Store(default_database_url(data)).session() as session:
        assert session.scalar(select(func.count()).select_from(Memo)) == 0


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """`qualflow` in a new process: Prefect sets its logging up when first imported, which in this
    test process has long happened (and conftest sets PREFECT_LOGGING_LEVEL for every test)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_LOGGING_LEVEL", "PREFECT_SERVER_LOGGING_LEVEL")}
    return subprocess.run([str(QUALFLOW), *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_prefect_run_logs_only_with_verbose(tmp_path):
    # An empty file: the flow runs (and Prefect logs it) but quarantines the file at once, with no
    # embedding or clustering to wait for. A run whose only file failed exits 2.
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    data = tmp_path / "data"
    quiet = run_cli("run", str(empty), "--data", str(data))
    assert quiet.returncode == 2 and "the file is empty" in quiet.stderr, quiet.stderr
    assert "| INFO" not in quiet.stderr + quiet.stdout
    assert "Finished in state" not in quiet.stderr + quiet.stdout
    loud = run_cli("run", "-v", str(empty), "--data", str(data))
    assert loud.returncode == 2, loud.stderr
    assert "| INFO" in loud.stderr and "Finished in state" in loud.stderr


@pytest.mark.parametrize("command", [["confirm", "99999999999999999999999"],
                                     ["take-out", "99999999999999999999999"]])
def test_a_number_too_large_to_be_an_id_is_one_error(data, command):
    result = runner.invoke(app, ["review", *command, "--data", str(data)])
    one_line_error(result, "too large to be an id")


GARBAGE = b"This was qualflow.sqlite until a sync tool overwrote it.\n" * 200


def corrupt(data: Path) -> bytes:
    """Overwrite the study's database file with bytes that are not a SQLite database (as a bad copy,
    a sync conflict or a truncation leaves it), with no WAL beside it to recover from."""
    database = data / "qualflow.sqlite"
    for beside in data.glob("qualflow.sqlite-*"):
        beside.unlink()
    database.write_bytes(GARBAGE)
    return GARBAGE


def not_a_database_error(result, data: Path) -> None:
    one_line_error(result, str(data / "qualflow.sqlite"), "not a readable SQLite database", "backup")
    assert "Traceback" not in result.output
    assert (data / "qualflow.sqlite").read_bytes() == GARBAGE  # never repaired, replaced or written to


@pytest.mark.parametrize("command", [["themes"], ["export", "assignments", "--format", "json"], ["deid-report"],
                                     ["review", "accept", "T1"], ["review", "memo", "Tom drinks", "--statement", "5"],
                                     ["review", "serve", "--port", "1"], ["audit", "T1"], ["compare"], ["report"],
                                     ["saturation"], ["export", "codebook", "-o", "OUT/codebook.csv"]])
def test_a_database_file_that_is_not_a_database_is_one_line_naming_it(data, tmp_path, command):
    corrupt(data)
    command = [part.replace("OUT", str(tmp_path)) for part in command]
    result = runner.invoke(app, [*command, "--data", str(data)])
    not_a_database_error(result, data)
    assert "Tom" not in result.output
    assert not (tmp_path / "codebook.csv").exists()


def test_a_run_on_a_database_that_is_not_one_stops_before_any_work(data, tmp_path):
    corrupt(data)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    transcript = inbox / "p1.txt"
    transcript.write_bytes((EXAMPLES / "en_p1_nurse.txt").read_bytes())
    before = transcript.read_bytes()
    result = runner.invoke(app, ["run", str(inbox), "--data", str(data)])
    not_a_database_error(result, data)
    assert transcript.read_bytes() == before and sorted(inbox.iterdir()) == [transcript]
    assert not (data / "quarantine").exists()  # the user's transcripts were not blamed for the database
    # A schedule on it fails at once too, before it asks for a Prefect server, not in every scheduled run.
    result = runner.invoke(app, ["serve", "--inbox", str(inbox), "--interval", "3600", "--data", str(data)])
    not_a_database_error(result, data)
    assert sorted(inbox.iterdir()) == [transcript] and not (data / "quarantine").exists()


def test_a_database_url_to_a_file_that_is_not_a_database_names_the_file(tmp_path, monkeypatch):
    garbage = tmp_path / "elsewhere.sqlite"
    garbage.write_bytes(GARBAGE)
    monkeypatch.setenv("QUALFLOW_DB", f"sqlite:///{garbage}")
    result = runner.invoke(app, ["themes", "--data", str(tmp_path)])
    one_line_error(result, str(garbage), "not a readable SQLite database", "backup")
    assert garbage.read_bytes() == GARBAGE


def test_a_database_damaged_inside_is_one_line_too(data):
    # The file opens (its first pages are fine) but the themes table's first page is garbage: SQLite
    # finds out only when a command reads it ("database disk image is malformed").
    import sqlite3

    database = data / "qualflow.sqlite"
    connection = sqlite3.connect(database)
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'themes'").fetchone()[0]
    connection.close()
    with open(database, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * page_size)
    damaged = database.read_bytes()
    Store(default_database_url(data)).dispose()  # it still opens: the damage shows in the middle of a command
    for command in (["themes"], ["review", "accept", "T1"], ["export", "assignments"]):
        result = runner.invoke(app, [*command, "--data", str(data)])
        one_line_error(result, str(database), "not a readable SQLite database", "malformed", "backup")
        assert database.read_bytes() == damaged


def test_a_database_url_with_a_bad_port_is_one_line_without_the_password(tmp_path, monkeypatch):
    # SQLAlchemy reads the port with int(): "abc" raised a ValueError traceback.
    monkeypatch.setenv("QUALFLOW_DB", "postgresql://someone:secret@host:abc/study")
    result = runner.invoke(app, ["themes", "--data", str(tmp_path)])
    one_line_error(result, "$QUALFLOW_DB is not a database URL")
    assert "secret" not in result.output


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, where no folder can be made")
def test_a_data_folder_that_cannot_be_made_is_one_error_before_any_work(tmp_path):
    # As root every folder is writable; /proc refuses a new folder to anyone. The flow's mkdir was a traceback.
    data = Path("/proc/qualflow-cannot-be-here")
    result = runner.invoke(app, ["run", str(EXAMPLES / "en_p1_nurse.txt"), "--data", str(data)])
    one_line_error(result, "--data: cannot make or write in", str(data))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    result = runner.invoke(app, ["serve", "--inbox", str(inbox), "--interval", "3600", "--data", str(data)],
                           env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    one_line_error(result, "--data: cannot make or write in", str(data))


def test_the_writability_check_leaves_no_trace(tmp_path):
    data = tmp_path / "new" / "study"
    result = runner.invoke(app, ["run", str(tmp_path / "missing.txt"), "--data", str(data)])
    one_line_error(result, "no such file or folder")
    from qualflow.flows.cli import _cannot_write

    assert _cannot_write(data) is None
    assert not (tmp_path / "new").exists()
