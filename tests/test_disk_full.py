"""A full disk is not a bug: at any step of `qualflow run` (here: embedding, and writing the report) it is one
line naming where, exit status 2, no traceback; once there is space again, a run finishes the work.

The disk is "full" for the study database only, and for real: SQLite itself refuses to grow the file
(SQLITE_FULL, "database or disk is full") because a sitecustomize on the run's PYTHONPATH sets each of its
connections' max_page_count to the file's size when it is opened. (The pragma lives per connection, so it
cannot be set on the file between runs.) The report's folder is "full" by an OSError(ENOSPC) injected into
its write. No root, no tmpfs."""

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from qualflow.models.store import disk_full_message, is_disk_full

BIN = Path(sys.executable).parent
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SITECUSTOMIZE = '''
import os
import sqlite3

_FULL = os.environ.get("QUALFLOW_TEST_FULL_DATABASE")
if _FULL:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _no_room_to_grow(dbapi_connection, _record):
        if not isinstance(dbapi_connection, sqlite3.Connection):  # Prefect's own (async) database
            return
        files = [row[2] for row in dbapi_connection.execute("PRAGMA database_list")]
        if os.path.realpath(_FULL) in [os.path.realpath(f) for f in files if f]:
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

_FULL_FOLDER = os.environ.get("QUALFLOW_TEST_FULL_FOLDER")
if _FULL_FOLDER:  # a file written into this folder meets a full disk (what a write() on one raises)
    import errno
    import pathlib

    _write_text = pathlib.Path.write_text

    def _no_room(self, *args, **kwargs):
        if os.path.realpath(self.parent) == os.path.realpath(_FULL_FOLDER):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return _write_text(self, *args, **kwargs)

    pathlib.Path.write_text = _no_room
'''


def _run(inbox: Path, data: Path, config: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "qualflow"), "run", str(inbox), "--data", str(data), "--config", str(config)],
                          env={**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING", **env}, capture_output=True,
                          text=True, timeout=900)


def test_sqlite_full_and_enospc_are_a_full_disk(tmp_path):
    database = sqlite3.connect(tmp_path / "small.sqlite")
    database.execute("CREATE TABLE t (x BLOB)")
    database.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as full:
        database.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))
    assert is_disk_full(full.value)
    chained = RuntimeError("a step failed")
    chained.__cause__ = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert is_disk_full(chained)
    assert not is_disk_full(sqlite3.OperationalError("attempt to write a readonly database"))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert "is full" in disk_full_message("x", "embed the statements")


@pytest.mark.slow
def test_a_full_disk_while_embedding_or_reporting_is_one_line_and_a_rerun_finishes(tmp_path):
    inbox, data, site = tmp_path / "inbox", tmp_path / "data", tmp_path / "site"
    inbox.mkdir()
    site.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "zh_p5_社区医生.txt", "zh_p6_精防专干.txt"):
        shutil.copy(EXAMPLES / name, inbox / name)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    config = tmp_path / "fast.yaml"
    config.write_text("cluster:\n  reducer: pca\n")
    database = data / "qualflow.sqlite"

    first = _run(inbox, data, config)
    assert first.returncode == 0, (first.stdout + first.stderr)[-2000:]
    # The next run has every statement to embed again, into a database that may not grow.
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM embeddings")
    with sqlite3.connect(database) as db:
        db.execute("VACUUM")
        statements = db.execute("SELECT count(DISTINCT text_hash) FROM statements WHERE significant").fetchone()[0]

    with_site = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    report = (data / "report.md").read_bytes()
    full = _run(inbox, data, config, QUALFLOW_TEST_FULL_DATABASE=str(database), PYTHONPATH=with_site)
    output = full.stdout + full.stderr
    assert full.returncode == 2, output[-3000:]
    assert full.stderr.strip().splitlines() == [
        f"qualflow: error: {disk_full_message(str(database), 'embed the statements')}"], output[-3000:]
    assert "Traceback" not in output and "unexpected error" not in output
    assert not list(data.glob(".qualflow-logs/error-*"))  # no bug's account: it is not one
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # Room for the database again, but not for the report: the last whole report stays.
    no_report = _run(inbox, data, config, QUALFLOW_TEST_FULL_FOLDER=str(data), PYTHONPATH=with_site)
    output = no_report.stdout + no_report.stderr
    assert no_report.returncode == 2, output[-3000:]
    assert no_report.stderr.strip().splitlines() == [
        f"qualflow: error: {disk_full_message(str(data), 'write the report')}"], output[-3000:]
    assert "Traceback" not in output
    assert (data / "report.md").read_bytes() == report and not list(data.glob(".report.md*"))

    again = _run(inbox, data, config)  # the space is back
    assert again.returncode == 0, (again.stdout + again.stderr)[-2000:]
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*), count(DISTINCT content_hash) FROM transcripts").fetchone() == (4, 4)
        assert db.execute("SELECT count(DISTINCT text_hash) FROM embeddings WHERE dim > 0").fetchone()[0] >= statements


def test_jieba_says_nothing_when_its_cache_cannot_be_written(tmp_path, capfd):
    """jieba goes on without its dictionary cache; its ERROR traceback about the failed dump is noise
    beside the run's own line (a full disk: here a cache folder that is not there)."""
    import jieba
    import qualflow.flows.tasks  # noqa: F401  (installs the filter on jieba's logger)

    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(tmp_path / "no-such-folder")
    tokenizer.initialize()
    assert tokenizer.initialized and tokenizer.lcut("社区医生") == ["社区", "医生"]
    assert "Dump cache file failed" not in capfd.readouterr().err
