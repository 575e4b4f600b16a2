"""Prefect's temporary servers left running by a `qualflow run` that was killed with SIGKILL.

With no PREFECT_API_URL, Prefect starts a temporary server (a `uvicorn … prefect.server.api.server:create_app`
child on a loopback port) for one run and stops it when the run exits. SIGKILL (the kernel's OOM killer, a
batch system's hard limit, `kill -9`) gives the run no chance to, and Prefect offers no way to tie the server's
life to the run's: the server lives on, orphaned, holding memory and a port, night after night. Such a server
serves nobody: a temporary server is its run's alone. So the next run stops the ones left by earlier runs of
this user on the same PREFECT_HOME, and says so in one line.

A server counts as left behind only when all of these hold, so that nothing else is ever stopped:
- it is this user's process and its command line is Prefect's temporary server's;
- its environment carries Prefect's mark of a temporary server (PREFECT__SERVER_EPHEMERAL=1) and the same
  PREFECT_HOME as this run's (both unset counts as the same: Prefect's default home);
- its parent is gone: it was handed to init (PID 1) or to a subreaper that is not a Python process, so no
  live run (another `qualflow run` of a study on PostgreSQL, say) is using it.
"""

from __future__ import annotations

import os

import psutil

SERVER_APP = "prefect.server.api.server:create_app"
EPHEMERAL_MARK = "PREFECT__SERVER_EPHEMERAL"


def _parent_is_gone(process: psutil.Process) -> bool:
    try:
        parent = process.parent()
        if parent is None or parent.pid == 1:
            return True
        # A subreaper (systemd --user, tini) adopts orphans; a run is a Python process.
        return "python" not in os.path.basename(parent.exe() or parent.name()).lower()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return True
    except psutil.AccessDenied:
        return False


def _is_left_behind(process: psutil.Process, prefect_home: str | None) -> bool:
    try:
        if process.uids().real != os.getuid() or process.pid == os.getpid():
            return False
        command = process.cmdline()
        if "uvicorn" not in command or SERVER_APP not in command:
            return False
        environment = process.environ()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return (environment.get(EPHEMERAL_MARK) == "1" and environment.get("PREFECT_HOME") == prefect_home
            and _parent_is_gone(process))


def left_behind_servers(prefect_home: str | None) -> list[psutil.Process]:
    """Prefect temporary servers of earlier runs of this user on `prefect_home` whose run is gone."""
    return [process for process in psutil.process_iter() if _is_left_behind(process, prefect_home)]


def stop_left_behind_servers() -> list[int]:
    """Stop the temporary servers earlier killed runs on this PREFECT_HOME left (SIGTERM, then SIGKILL after
    5 s): their PIDs."""
    servers = left_behind_servers(os.environ.get("PREFECT_HOME"))
    for server in servers:
        try:
            server.terminate()
        except psutil.NoSuchProcess:
            pass
    _, still_running = psutil.wait_procs(servers, timeout=5)
    for server in still_running:
        try:
            server.kill()
        except psutil.NoSuchProcess:
            pass
    return [server.pid for server in servers]
