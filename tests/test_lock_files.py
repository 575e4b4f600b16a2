"""A researcher opening the data folder after a run sees the study, its report and its cache: the empty
lock files a SQLite study takes (models/store.py `Store.exclusive`) sit in a hidden folder beside the
database. They are kept there, never deleted: a process waiting for an flock holds the file it opened."""

import fcntl
import subprocess
import sys
from pathlib import Path

from qualflow.flows.cli import app
from qualflow.models.store import LOCKS_FOLDER
from typer.testing import CliRunner

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_a_run_leaves_no_lock_file_in_sight(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "en_p1_nurse.txt").write_bytes((EXAMPLES / "en_p1_nurse.txt").read_bytes())
    data = tmp_path / "data"
    result = CliRunner().invoke(app, ["run", str(inbox), "--data", str(data), "--config", "small-study"])
    assert result.exit_code == 0, result.output
    in_sight = sorted(p.name for p in data.iterdir() if not p.name.startswith("."))
    assert "report.md" in in_sight and not [name for name in in_sight if name.endswith(".lock")], in_sight
    locks = sorted(p.name for p in (data / LOCKS_FOLDER).iterdir())
    assert len(locks) == 3 and all(name.startswith("qualflow.sqlite.") and name.endswith(".lock") for name in locks)


HOLD_AND_TRY = """
import sys
from qualflow.models import Store
with Store(sys.argv[1]).exclusive("ingest"):
    print("held", flush=True)
    sys.stdin.readline()  # hold the lock until the test has tried it
"""


def test_the_hidden_lock_still_keeps_two_processes_apart(tmp_path):
    """What the lock is for: while another process holds the study's ingest lock, it cannot be taken."""
    from qualflow.models import Store, default_database_url

    data = tmp_path / "data"
    data.mkdir()
    url = default_database_url(data)
    Store(url).dispose()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_AND_TRY, url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        [lock] = [p for p in (data / LOCKS_FOLDER).iterdir() if p.stat().st_size == 0 and _is_locked(p)]
        assert lock.name.startswith("qualflow.sqlite.")
    finally:
        holder.communicate("\n", timeout=60)
    assert not _is_locked(lock)


def _is_locked(path: Path) -> bool:
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
