"""`python -m qualflow.flows.run_bound_server RUN_PID uvicorn ARGS…`: Prefect's temporary server for one run,
stopped when that run is gone.

The run starts its server in a session of its own (flows/temporary_server.py), so a signal to the run's group
does not reach it, and stops it when it exits. A run killed with SIGKILL (the OOM killer, a batch system's hard
limit, `kill -9`) cannot: the server lived on, orphaned, holding memory and a port until the next run stopped
it (flows/leftover_servers.py), a day later for a nightly job. Here the server watches its parent instead: once
the run is gone, the process is handed to init or a subreaper, its parent's PID changes, and the server stops
itself as on SIGTERM. Polling once a second works on every POSIX system (Linux's PR_SET_PDEATHSIG would be
Linux only, and tied to the thread that started the server).

The command line still holds `uvicorn` and Prefect's app, so flows/leftover_servers.py knows such a server as
before, should one be left anyway.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

POLL = 1.0  # seconds between looks at the parent


def _stop_when_orphaned(run_pid: int) -> None:
    while os.getppid() == run_pid:
        time.sleep(POLL)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's own graceful shutdown


def main() -> None:
    run_pid = int(sys.argv[1])
    if os.getppid() != run_pid:
        sys.exit(0)  # the run was gone before its server started: nobody to serve
    threading.Thread(target=_stop_when_orphaned, args=(run_pid,), name="run-watch", daemon=True).start()
    sys.argv = sys.argv[2:]  # ["uvicorn", options…], as `python -m uvicorn` sees them
    runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
