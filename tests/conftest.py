"""Test settings: everything local, offline, and out of the user's home folder.

Prefect and numba read their settings at import, so they are set here, before any test
module imports them.
"""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_LOCAL = ROOT / ".cache" / "tests"
_LOCAL.mkdir(parents=True, exist_ok=True)
os.environ.setdefault("PREFECT_HOME", str(_LOCAL / "prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# The first start in a fresh PREFECT_HOME migrates its database; on a busy 2-core machine
# that can take longer than Prefect's default 20 s wait.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def jieba_cache() -> Path:
    path = _LOCAL / "jieba"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def segmenter(jieba_cache):
    from qualflow.pipeline.segment import Segmenter

    return Segmenter(cache_dir=jieba_cache)


@pytest.fixture(scope="session")
def use_encoder():
    from qualflow.pipeline.embed._use import UniversalSentenceEncoder

    return UniversalSentenceEncoder()


@pytest.fixture
def small_study(tmp_path) -> Path:
    """Two English and two Chinese example interviews, copied so tests never touch examples/."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "zh_p5_社区医生.txt", "zh_p6_精防专干.txt"):
        shutil.copy(EXAMPLES / name, folder / name)
    return folder


from _postgres import postgres_server, postgres_url  # noqa: E402,F401  (fixtures)
