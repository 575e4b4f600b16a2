"""The flow on a real PostgreSQL server, two runs at once on the same inbox."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_two_runs_at_once_on_postgres_store_everything_once(tmp_path, postgres_url):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = ["en_p1_nurse.txt", "en_p2_social_worker.txt", "zh_p5_社区医生.txt"]
    for name in names:
        shutil.copy(EXAMPLES / name, inbox / name)
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    runs = [subprocess.Popen([str(BIN / "qualflow"), "run", str(inbox), "--data", str(tmp_path / f"data{i}"),
                              "--config", "small-study", "--db", postgres_url],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for i in (1, 2)]
    outputs = [run.communicate(timeout=900)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(o[-1500:] for o in outputs)
    assert not (tmp_path / "data1" / "qualflow.sqlite").exists()  # the study lives in PostgreSQL

    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as db:
        def one(sql):
            return db.execute(text(sql)).scalar()

        assert one("SELECT count(*) FROM transcripts") == len(names)
        assert one("SELECT count(DISTINCT content_hash) FROM transcripts") == len(names)
        assert one("SELECT count(*) - count(DISTINCT (encoder_id, text_hash)) FROM embeddings") == 0
        assert one("SELECT count(*) - count(DISTINCT placeholder) FROM pseudonyms") == 0
        # Every significant statement has exactly one live suggestion: nothing doubled, nothing lost.
        assert one("SELECT count(*) FROM statements WHERE significant") == one(
            "SELECT count(DISTINCT statement_id) FROM suggestions WHERE status = 'suggested'")
        assert one("SELECT count(*) - count(DISTINCT statement_id) FROM suggestions WHERE status = 'suggested'") == 0
    engine.dispose()
