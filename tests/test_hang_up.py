"""A closed terminal (SIGHUP) stops `qualflow run` as SIGTERM does, but a run started with nohup keeps ignoring it
(flows/cli.py `_stop_on_signals`). The stop itself is shown end to end in tests/test_run_stopped_by_signal.py."""

import subprocess
import sys

import pytest

# In a fresh interpreter: the handlers are process-wide, and pytest's own must stay as they are.
CHECK = """
import signal, types
signal.signal(signal.SIGHUP, signal.{start})
from qualflow.flows.cli import _stop_on_signals
_stop_on_signals(types.SimpleNamespace(meta={{}}), "qualflow run")
handler = signal.getsignal(signal.SIGHUP)
print("ignored" if handler == signal.SIG_IGN else getattr(handler, "__name__", handler))
"""


@pytest.mark.parametrize("start, expected", [("SIG_DFL", "interrupt"), ("SIG_IGN", "ignored")],
                         ids=["from a terminal", "under nohup"])
def test_sighup_stops_the_run_unless_it_was_started_with_nohup(start, expected):
    done = subprocess.run([sys.executable, "-c", CHECK.format(start=start)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [expected]
