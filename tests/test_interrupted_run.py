"""A run killed with SIGKILL in the middle of embedding leaves a consistent store, and the next run
finishes the work without duplicates."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.study_file import count_rows

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(inbox: Path, data: Path, config: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    return subprocess.Popen([str(BIN / "qualflow"), "run", str(inbox), "--data", str(data), "--config", str(config)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **popen)


def test_kill_during_embedding_then_rerun(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    interviews = [name for name in sorted(os.listdir(EXAMPLES)) if name.endswith((".txt", ".md")) and name != "README.md"]
    for name in interviews:
        (inbox / name).write_bytes((EXAMPLES / name).read_bytes())
    config = tmp_path / "small-batches.yaml"
    config.write_text("embed:\n  batch_size: 4\ncluster:\n  reducer: pca\n")  # many commits: a wide window to kill in
    database = data / "qualflow.sqlite"

    # Its own process group, killed whole: the run and the temporary Prefect server it started, as a
    # power cut would. Killing the run alone left that server running after the tests.
    first = _run(inbox, data, config, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while count_rows(database, "embeddings") == 0:
            assert first.poll() is None, first.stdout.read().decode()[-2000:]
            assert time.monotonic() < deadline, "embedding never started"
            time.sleep(0.05)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL

    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        statements = db.execute("SELECT count(*) FROM statements WHERE significant").fetchone()[0]
        embedded = db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
        assert db.execute("SELECT count(*) FROM theme_sets").fetchone()[0] == 0  # killed before clustering
        # Every stored transcript is whole: each has its statements (files are stored one transaction each).
        assert db.execute("SELECT count(*) FROM transcripts WHERE id NOT IN (SELECT transcript_id FROM statements)"
                          ).fetchone()[0] == 0
    assert 0 < embedded < statements, "the kill landed inside embedding"

    second = _run(inbox, data, config)
    output = second.communicate(timeout=900)[0].decode()
    assert second.returncode == 0, output[-2000:]
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*), count(DISTINCT content_hash) FROM transcripts").fetchone() == (len(interviews),) * 2
        distinct_texts = db.execute("SELECT count(DISTINCT text_hash) FROM statements WHERE significant").fetchone()[0]
        # Embedded once per distinct text: the batches the first run finished were kept, none twice.
        assert db.execute("SELECT count(*) FROM embeddings").fetchone()[0] >= distinct_texts
        assert db.execute("SELECT count(*) - count(DISTINCT encoder_id || text_hash) FROM embeddings").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM theme_sets").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM statements WHERE significant").fetchone()[0] == statements
    assert f"{statements} statements" in output or "embedded" in output
