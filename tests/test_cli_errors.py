"""Errors a user can fix are one line and exit 2, never a traceback: a missing export folder, a
file as the data folder, a malformed database URL, a study locked by a run. And Prefect's
INFO run logs only with -v."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
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


def one_line_error(result, *expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("qualflow: error:"), result.output
    for text in expected:
        assert text in result.output, result.output


@pytest.mark.parametrize("command", [["assignments"], ["assignments", "--format", "json"], ["qdpx"], ["qdc"],
                                     ["codings"], ["codebook"]])
def test_exporting_into_a_missing_folder_is_one_error(data, tmp_path, command):
    missing = tmp_path / "no-such-folder"
    suffix = ".qdpx" if command[0] == "qdpx" else ".csv"
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
