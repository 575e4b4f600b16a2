"""A read-only study (an archived or shared copy, a read-only mount, a file owned by someone else) can
still be read; a command that must write says so in one line (exit 2), and a run never blames (or
quarantines) a transcript for a database it cannot write.

Tests run as root, where chmod stops no write and a read-only mount needs privileges, so the read-only
study is made with what root cannot write through either: SQLite opened read-only (`?mode=ro`, through
$QUALFLOW_DB or --db) and, for a folder nothing can be made in, a folder where each lock file would go
(opening it for writing fails, as it does in a read-only folder)."""

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from fixtures.cli import one_line_error
from fixtures.review.study import built_study
from qualflow.flows.cli import app
from qualflow.models.store import LOCKS_FOLDER, sqlite_lock_file
from typer.testing import CliRunner

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def data(tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    return built_study(study)


def no_lock_can_be_made(data: Path) -> None:
    """Every lock file the store takes (schema, ingest, cluster) cannot be opened for writing."""
    database = data / "qualflow.sqlite"
    for old in (data / LOCKS_FOLDER).glob("qualflow.sqlite.*.lock"):
        old.unlink()
    for name in ("schema", "ingest", "cluster"):
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        Path(sqlite_lock_file(str(database), key)).mkdir(parents=True)


def read_only_url(data: Path) -> str:
    return f"sqlite:///file:{data / 'qualflow.sqlite'}?mode=ro&uri=true"


@pytest.fixture
def uri_locks_resolve(tmp_path, monkeypatch):
    """Before the fix, the store put the locks of a `file:` URL at the path `file:/...` relative to the
    working folder: made here, so that the code before the fix reaches the defect these tests are about."""
    cwd = tmp_path / "cwd"
    (cwd / "file:" / str(tmp_path / "study").lstrip("/")).mkdir(parents=True)
    monkeypatch.chdir(cwd)


def snapshot(data: Path) -> bytes:
    connection = sqlite3.connect(data / "qualflow.sqlite")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return (data / "qualflow.sqlite").read_bytes()


@pytest.mark.parametrize("command", [["themes"], ["statements"], ["export", "assignments", "--format", "json"],
                                     ["audit", "T1"], ["deid-report"]])
def test_a_study_where_no_lock_can_be_made_can_still_be_read(data, command):
    before = snapshot(data)
    no_lock_can_be_made(data)
    result = runner.invoke(app, [*command, "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert (data / "qualflow.sqlite").read_bytes() == before


def test_a_read_only_study_can_be_read_and_a_write_is_one_line(data, monkeypatch):
    before = snapshot(data)
    no_lock_can_be_made(data)
    monkeypatch.setenv("QUALFLOW_DB", read_only_url(data))
    result = runner.invoke(app, ["themes", "--data", str(data)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["review", "accept", "T1", "--data", str(data)])
    one_line_error(result, str(data / "qualflow.sqlite"), "read-only", "nothing was saved")
    result = runner.invoke(app, ["withdraw", "P1", "--yes", "--data", str(data)])
    one_line_error(result, str(data / "qualflow.sqlite"), "cannot be written", "Is a directory")
    assert (data / "qualflow.sqlite").read_bytes() == before


def test_a_read_only_study_that_needs_an_upgrade_is_one_line_and_left_as_it_is(data):
    connection = sqlite3.connect(data / "qualflow.sqlite")
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = '0006'")
    connection.close()
    before = snapshot(data)
    no_lock_can_be_made(data)
    result = runner.invoke(app, ["themes", "--data", str(data)])
    one_line_error(result, str(data / "qualflow.sqlite"), "needs an upgrade", "Is a directory")
    assert (data / "qualflow.sqlite").read_bytes() == before


def test_a_run_on_a_read_only_study_file_stops_before_any_work(data, tmp_path, uri_locks_resolve):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox / "en_p1_nurse.txt")
    before = snapshot(data)
    result = runner.invoke(app, ["run", str(inbox), "--data", str(data), "--db", read_only_url(data)])
    one_line_error(result, str(data / "qualflow.sqlite"), "cannot be written", "read-only")
    assert not (data / "quarantine").exists()  # the transcript was not blamed for the database
    assert (data / "qualflow.sqlite").read_bytes() == before


def test_a_database_that_fails_while_storing_stops_the_run_and_blames_no_file(data, tmp_path, uri_locks_resolve):
    # The flow itself (a scheduled run comes this way too, past the CLI's check): the database refuses
    # the write of a good transcript. The run stops with one message; the file is not quarantined.
    from qualflow.flows.batch import code_interviews
    from qualflow.pipeline.errors import QualflowError

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox / "en_p1_nurse.txt")
    before = snapshot(data)
    with pytest.raises(QualflowError) as raised:
        code_interviews(str(inbox), str(data), database_url=read_only_url(data))
    message = str(raised.value)
    assert "could not be written" in message and "read-only" in message and "not quarantined" in message
    assert "en_p1" not in message  # Prefect keeps this message: no file name in it
    assert not (data / "quarantine").exists()
    assert (data / "qualflow.sqlite").read_bytes() == before


def test_the_review_app_on_a_read_only_study_shows_it_and_says_a_decision_cannot_be_saved(data, monkeypatch):
    # A reviewer opening an archived copy can read every page; a decision gets a page that says why it
    # was not saved (not the generic "could not be read or written", which sends them to the server's log).
    import re

    from fastapi.testclient import TestClient
    from qualflow.models import Store
    from qualflow.models.queries import theme_by_code
    from qualflow.review.server import create_app

    with Store(f"sqlite:///{data / 'qualflow.sqlite'}").session() as session:
        theme = theme_by_code(session, "T1")
        theme_id, version = theme.id, theme.version
    before = snapshot(data)
    no_lock_can_be_made(data)
    monkeypatch.setenv("QUALFLOW_DB", read_only_url(data))
    client = TestClient(create_app(data, login=False), base_url="http://127.0.0.1:8765", follow_redirects=False)
    page = client.get(f"/themes/{theme_id}")
    assert page.status_code == 200
    assert "cannot be written" in page.text and "read-only" in page.text  # before anyone tries to decide
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = client.post("/decide/accept", data={"theme": theme_id, "version": version, "csrf": csrf})
    assert response.status_code == 403
    assert "read-only" in response.text and "nothing was saved" in response.text
    assert "server's log" not in response.text  # nothing for the reviewer to ask about: the page says what happened
    assert (data / "qualflow.sqlite").read_bytes() == before


def test_review_serve_on_a_read_only_study_says_so_when_it_starts(data, monkeypatch):
    from qualflow.review import server

    started = []

    def serve(*args, announce=None, **kwargs):  # as the real one, which announces once its app is built
        started.append(args)
        announce()

    monkeypatch.setattr(server, "serve", serve)
    no_lock_can_be_made(data)
    monkeypatch.setenv("QUALFLOW_DB", read_only_url(data))
    result = runner.invoke(app, ["review", "serve", "--no-login", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert started  # it still serves: reading an archived copy is useful
    said = " ".join(result.output.split())
    assert f"{data / 'qualflow.sqlite'} cannot be written (the file is read-only)" in said
    assert "decisions cannot be saved" in said


# The flow called directly, in a process of its own (as `qualflow serve`'s runner calls it, with Prefect's
# console handler on the process's own stderr): what Prefect prints there is what serve's terminal shows.
CALL_FLOW = """
import sys
from qualflow.flows.batch import code_interviews
from qualflow.pipeline.errors import QualflowError
try:
    code_interviews(sys.argv[1], sys.argv[2], create_study=False)
except QualflowError as error:
    print("raised:", type(error).__name__)
    sys.exit(3)
"""


def test_a_flow_run_that_cannot_write_its_study_fails_in_one_line_without_a_traceback(data):
    """A study it cannot write ends the run Failed in one line, not with the traceback Prefect logs for an
    exception a flow raises. Called directly, the flow still raises the error."""
    import subprocess
    import sys

    no_lock_can_be_made(data)
    done = subprocess.run([sys.executable, "-c", CALL_FLOW, str(EXAMPLES), str(data)],
                          capture_output=True, text=True, timeout=600)
    printed = done.stdout + done.stderr
    assert done.returncode == 3 and "raised: " in done.stdout, printed
    assert "cannot make or write" in printed
    assert "Traceback" not in printed
