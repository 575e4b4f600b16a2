"""A bug (an error qualflow did not foresee) ends a command in one content-free line, exit status 70:
the error's type and where in qualflow's code it happened. The full account (Python's traceback and,
for `qualflow run`, what Prefect said) goes to an owner-only file in the study's data folder, since an
error's message can quote interview text and researchers paste terminal output into public bug
reports. `run --verbose` still shows the traceback on screen.

`qualflow run` runs as in a terminal, in a process of its own (python THIS_FILE qualflow-arguments…,
see the end of this file), on the example interviews and a real SQLite study, with a bug injected into
storing the suggestions: the new themes are written, then a KeyError quoting a statement is raised
before the transaction commits."""

import json
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from qualflow.flows.cli import app
from typer.testing import CliRunner

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SENTENCE = "my sister found me on the kitchen floor the night before the tribunal"
CRASH_LINE = re.compile(r"^qualflow stopped on an unexpected error \(KeyError in (\S+), line \d+\)\. .*"
                        r"The full account is in (\S+\.txt) — it may quote interview text, so read it before "
                        r"sharing it\.$")
BUG_EXIT = 70  # EX_SOFTWARE: an internal software error


def qualflow(*arguments: str, bug: bool = False) -> subprocess.CompletedProcess:
    """`qualflow …` in a process of its own; with `bug`, storing the suggestions fails as a bug would."""
    return subprocess.run([sys.executable, __file__, "bug" if bug else "", *arguments],
                          capture_output=True, text=True, timeout=900)


def study(data: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data / "qualflow.sqlite") as connection:
        return connection.execute(sql).fetchall()


def stored(data: Path) -> dict:
    """What a crashed run must leave as it was: the theme sets, the reviewers' decisions, the themes' names."""
    return {"theme_sets": study(data, "SELECT id FROM theme_sets ORDER BY id"),
            "decisions": study(data, "SELECT id FROM decisions ORDER BY id"),
            "themes": study(data, "SELECT code, label, status FROM themes WHERE theme_set_id = "
                                  "(SELECT max(id) FROM theme_sets) ORDER BY code")}


def test_a_bug_in_a_run_is_one_line_and_an_owner_only_account(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt"):
        shutil.copy(EXAMPLES / name, inbox)
    first = qualflow("run", str(inbox), "--data", str(data), "--config", "small-study")
    assert first.returncode == 0, first.stderr[-3000:]
    themes = json.loads(CliRunner().invoke(app, ["themes", "--data", str(data), "--json"]).output)
    renamed = CliRunner().invoke(app, ["review", "rename", themes[0]["code"], "Named by a reviewer", "--data",
                                       str(data), "--as", "alice"])
    assert renamed.exit_code == 0, renamed.output
    before = stored(data)

    crashed = qualflow("run", str(inbox), "--data", str(data), "--config", "small-study", "--recluster", bug=True)

    assert crashed.returncode == BUG_EXIT, crashed.stderr[-3000:]
    said = crashed.stdout + crashed.stderr
    assert SENTENCE not in said and "Traceback" not in said, said[-3000:]
    last = said.strip().splitlines()[-1]
    found = CRASH_LINE.match(last)
    assert found, said[-3000:]
    assert found.group(1) == "flows/tasks.py"  # the innermost frame in qualflow's own code
    assert "nothing was half-stored" in last
    account = Path(found.group(2))
    assert account.parent == data / ".qualflow-logs" and account.name.startswith("error-")
    assert stat.S_IMODE(account.stat().st_mode) == 0o600
    assert stat.S_IMODE(account.parent.stat().st_mode) == 0o700
    written = account.read_text(encoding="utf-8")
    assert "Traceback (most recent call last):" in written and SENTENCE in written  # the whole story, kept private
    assert "could not store the suggestions" in written  # Prefect's own account, held back from the terminal
    assert stored(data) == before  # the transaction rolled back: the reviewer's name and every decision kept


def test_run_verbose_still_shows_the_traceback(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox)
    shutil.copy(EXAMPLES / "en_p2_social_worker.txt", inbox)

    crashed = qualflow("run", str(inbox), "--data", str(data), "--config", "small-study", "--verbose", bug=True)

    assert crashed.returncode != 0
    assert "Traceback (most recent call last):" in crashed.stderr and "KeyError" in crashed.stderr
    assert not (data / ".qualflow-logs").exists()


def test_a_bug_in_a_reading_command_is_one_line_too(tmp_path, monkeypatch):
    """`qualflow themes` prints exemplar quotes: a bug there is one line too, its account in the file."""
    from qualflow.models import Store, default_database_url
    from qualflow.pipeline import report

    data = tmp_path / "data"
    data.mkdir()
    Store(default_database_url(data)).dispose()  # a real, empty study

    def theme_rows(session):
        raise KeyError(SENTENCE)

    monkeypatch.setattr(report, "theme_rows", theme_rows)
    result = CliRunner().invoke(app, ["themes", "--data", str(data)])

    assert result.exit_code == BUG_EXIT, result.output
    assert SENTENCE not in result.output and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and CRASH_LINE.match(lines[0]), result.output
    assert "half-stored" not in lines[0]  # said only of `run`, whose transactions make it true
    account = Path(CRASH_LINE.match(lines[0]).group(2))
    assert stat.S_IMODE(account.stat().st_mode) == 0o600
    assert SENTENCE in account.read_text(encoding="utf-8")


if __name__ == "__main__":  # python THIS_FILE [bug] qualflow-arguments…
    from qualflow.flows import tasks

    if sys.argv[1] == "bug":
        real = tasks.store_theme_set

        def store_theme_set_then_a_bug(session, *args, **kwargs):
            real(session, *args, **kwargs)  # the new themes are in the transaction, not committed yet
            session.flush()
            raise KeyError(SENTENCE)

        tasks.store_theme_set = store_theme_set_then_a_bug
    app(sys.argv[2:], prog_name="qualflow")


def test_an_account_that_cannot_be_written_whole_leaves_no_empty_file(tmp_path, monkeypatch):
    """A full disk: the data folder's account is taken back, and the temporary folder's is tried."""
    import errno
    import os
    import tempfile

    from qualflow.flows import bug_account

    data, spare = tmp_path / "data", tmp_path / "spare"
    data.mkdir()
    spare.mkdir()
    real_fdopen = os.fdopen

    def full_in_data(descriptor, *args, **kwargs):
        handle = real_fdopen(descriptor, *args, **kwargs)
        if str(data) in os.readlink(f"/proc/self/fd/{descriptor}"):
            def write(_text):
                raise OSError(errno.ENOSPC, "No space left on device")
            handle.write = write
        return handle

    monkeypatch.setattr(bug_account.os, "fdopen", full_in_data)
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(spare))
    account = bug_account.write_account(KeyError("a statement"), data, [])
    assert list((data / bug_account.ACCOUNTS_FOLDER).iterdir()) == []
    assert isinstance(account, Path) and account.parent == spare and "a statement" in account.read_text()
