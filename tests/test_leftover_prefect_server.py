"""A `qualflow run` killed with SIGKILL (the OOM killer, a batch system's hard limit) cannot stop Prefect's
temporary server. The server then stops itself once its run is gone (flows/run_bound_server.py). A temporary
server left running anyway (by an older qualflow, or by Prefect's own start) is stopped by the next run on the
same PREFECT_HOME, which says so; a server whose run is alive, or that belongs to another PREFECT_HOME, is never
touched. Real runs, real servers, a real SIGKILL."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from fixtures.study_file import count_rows
from qualflow.flows.leftover_servers import EPHEMERAL_MARK, SERVER_APP, left_behind_servers
from test_run_stopped_by_signal import EXAMPLES, _alive, _run  # a real `qualflow run` with its output in files

pytestmark = pytest.mark.slow


def _servers_of(run: subprocess.Popen) -> list[psutil.Process]:
    return [child for child in psutil.Process(run.pid).children(recursive=True) if SERVER_APP in child.cmdline()]


def _inbox(tmp_path, copies: int):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = [name for name in sorted(os.listdir(EXAMPLES)) if name.endswith((".txt", ".md")) and name != "README.md"]
    for copy in range(copies):
        for name in names:
            (inbox / f"{copy}_{name}").write_bytes(f"# copy: {copy}\n".encode() + (EXAMPLES / name).read_bytes())
    return inbox


def _skip_if_a_python_subreaper_adopted(server: psutil.Process) -> None:
    adopter = server.parent()
    if adopter is not None and adopter.pid != 1 and "python" in adopter.name().lower():
        # A Python subreaper (a test harness) adopted it: qualflow cannot tell that from a live run, and leaves
        # such a server alone, on the safe side (flows/leftover_servers.py).
        pytest.skip(f"the orphaned server was adopted by a Python subreaper ({adopter.name()}, PID {adopter.pid})")


def test_the_server_of_a_killed_run_stops_itself(tmp_path):
    data, prefect_home = tmp_path / "data", tmp_path / "prefect"
    inbox = _inbox(tmp_path, copies=3)  # enough work that the run is still busy when it is killed
    first = _run(inbox, data, prefect_home, tmp_path / "first")
    servers: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 600
        while count_rows(data / "qualflow.sqlite", "transcripts") == 0:  # the server is up, files are stored
            assert first.poll() is None, (tmp_path / "first.err").read_text()[-2000:]
            assert time.monotonic() < deadline, "no transcript was ever stored"
            time.sleep(0.05)
        servers = _servers_of(first)
        assert len(servers) == 1, "the run started no temporary Prefect server"
        # While its run is alive, the server is the run's: never counted as left behind.
        assert left_behind_servers(str(prefect_home)) == []
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
        servers[0].wait(timeout=30)  # psutil.TimeoutExpired: the server outlived its run
        assert left_behind_servers(str(prefect_home)) == []
    finally:
        if first.poll() is None:
            first.kill()
        for server in servers:  # a failing test must not leave a server behind
            if _alive(server):
                server.kill()


# A temporary server as Prefect starts one, orphaned at once: its starter exits and it runs on, unwatched.
ORPHAN = """
import os, subprocess, sys
import prefect
environment = {**os.environ, "PREFECT_UI_ENABLED": "0", sys.argv[1]: "1"}
server = subprocess.Popen(
    [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory", sys.argv[2],
     "--host", "127.0.0.1", "--port", "0", "--log-level", "error"],
    env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    start_new_session=True)
print(server.pid)
"""


def test_a_server_left_running_anyway_is_stopped_by_the_next_run_and_only_that_one(tmp_path):
    data, prefect_home = tmp_path / "data", tmp_path / "prefect"
    inbox = _inbox(tmp_path, copies=1)
    environment = {**os.environ, "PREFECT_HOME": str(prefect_home)}
    environment.pop("PREFECT_API_URL", None)
    starter = subprocess.run([sys.executable, "-c", ORPHAN, EPHEMERAL_MARK, SERVER_APP], env=environment,
                             capture_output=True, text=True, timeout=120, check=True)
    server = psutil.Process(int(starter.stdout.split()[-1]))
    try:
        time.sleep(1)
        assert _alive(server), "the orphaned server did not start"
        _skip_if_a_python_subreaper_adopted(server)
        assert [p.pid for p in left_behind_servers(str(prefect_home))] == [server.pid]
        assert left_behind_servers(str(tmp_path / "another-prefect-home")) == []  # another home's: not ours

        second = _run(inbox, data, prefect_home, tmp_path / "second")
        second.wait(timeout=900)
        out, err = (tmp_path / "second.out").read_text(), (tmp_path / "second.err").read_text()
        assert second.returncode == 0, (out + err)[-2000:]
        assert not _alive(server)
        assert (f"note stopped 1 temporary Prefect server (PID {server.pid}) left running by an earlier run "
                "that was killed (SIGKILL).") in " ".join(out.split())
        assert left_behind_servers(str(prefect_home)) == []
    finally:
        if _alive(server):  # a failing test must not leave a server behind
            server.kill()
