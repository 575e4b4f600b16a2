"""What reaches `qualflow run`'s terminal: Prefect's own notices stay off it."""

import os
import pty
import subprocess
import sys
from pathlib import Path

PREFECT_AFTER_RUN_SETTINGS = """
import sys
from pathlib import Path
from qualflow.flows.cli import _run_environment
_run_environment(Path(sys.argv[1]), verbose=False)
import prefect
"""


def test_prefects_usage_data_notice_stays_off_the_terminal(tmp_path):
    """Prefect prints a notice about usage data on the first import in a terminal (a new PREFECT_HOME),
    telling the user to opt out of what qualflow has already switched off."""
    environment = {key: value for key, value in os.environ.items() if key != "DO_NOT_TRACK"}
    environment["PREFECT_HOME"] = str(tmp_path / "prefect")
    leader, follower = pty.openpty()
    child = subprocess.Popen([sys.executable, "-c", PREFECT_AFTER_RUN_SETTINGS, str(tmp_path / "data")],
                             stdin=follower, stdout=follower, stderr=follower, env=environment)
    os.close(follower)
    said = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        said += chunk
    assert child.wait(timeout=300) == 0, said.decode(errors="replace")
    os.close(leader)
    assert b"anonymous usage data" not in said, said.decode(errors="replace")
