"""The run's temporary Prefect server (flows/temporary_server.py) lives in a process group of its own, so a signal
to the run's group (a terminal's Ctrl-C) does not take it away while the run reports its stop; the run points
Prefect at it only while it runs; a server the user named is used instead."""

import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from qualflow.flows import temporary_server

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh_server(monkeypatch):
    """No server of an earlier test in this process; the one started here is stopped after."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(temporary_server, "_server", None)
    yield
    if temporary_server._server is not None:
        temporary_server._server.stop()


# A stand-in for `qualflow run`: starts the server, says where, ignores Ctrl-C (to outlive the group's signal),
# and exits normally when its stdin closes.
STAND_IN = """
import signal, sys
from qualflow.flows import temporary_server
signal.signal(signal.SIGINT, signal.SIG_IGN)
print(temporary_server.start_if_needed(), temporary_server._server.process.pid, flush=True)
sys.stdin.read()
"""


def test_a_signal_to_the_run_s_group_does_not_reach_the_server_and_the_run_s_exit_stops_it(tmp_path):
    import httpx
    import psutil

    environment = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    environment.pop("PREFECT_API_URL", None)
    run = subprocess.Popen([sys.executable, "-c", STAND_IN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True, env=environment, start_new_session=True)
    try:
        api_url, server_pid = run.stdout.readline().split()
        server = psutil.Process(int(server_pid))
        assert os.getpgid(server.pid) != os.getpgid(run.pid)
        os.killpg(run.pid, signal.SIGINT)  # a terminal's Ctrl-C: uvicorn stops on it, were it in the group
        time.sleep(2)
        assert server.is_running() and server.status() != psutil.STATUS_ZOMBIE
        assert httpx.get(f"{api_url}/health", trust_env=False).status_code == 200
        run.stdin.close()  # the run ends: its exit stops the server
        assert run.wait(timeout=60) == 0
        server.wait(timeout=10)
    finally:
        if run.poll() is None:
            run.kill()
        for process in psutil.Process(os.getpid()).children(recursive=True):
            if process.pid == int(server_pid) and process.is_running():
                process.kill()


def test_prefect_uses_the_server_only_inside_and_a_second_run_reuses_it(fresh_server):
    from prefect.settings import PREFECT_API_URL

    api_url = temporary_server.start_if_needed()
    process = temporary_server._server.process
    assert api_url == f"http://127.0.0.1:{temporary_server._server.port}/api"
    assert temporary_server.start_if_needed() == api_url  # a second run in this process reuses it
    assert "PREFECT_API_URL" not in os.environ
    with temporary_server.prefect_uses(api_url):
        assert os.environ["PREFECT_API_URL"] == api_url
        assert PREFECT_API_URL.value() == api_url  # Prefect reads it: it starts no server of its own
    assert "PREFECT_API_URL" not in os.environ and not PREFECT_API_URL.value()
    temporary_server._server.stop()
    assert process.poll() is not None


def test_a_server_the_user_named_is_used_and_none_is_started(fresh_server, monkeypatch):
    from prefect.context import refresh_global_settings_context

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    refresh_global_settings_context()
    try:
        assert temporary_server.start_if_needed() is None
        assert temporary_server._server is None
        with temporary_server.prefect_uses(None):
            assert os.environ["PREFECT_API_URL"] == "http://127.0.0.1:4200/api"
    finally:
        monkeypatch.delenv("PREFECT_API_URL")
        refresh_global_settings_context()


def test_a_server_that_exits_as_it_starts_is_one_clear_error(fresh_server, monkeypatch):
    # A database URL Prefect cannot use: the server exits during its start-up.
    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL", "nosuchdriver://nowhere/prefect")
    with pytest.raises(temporary_server.ServerDidNotStart, match="exited with status"):
        temporary_server._Server(timeout=60).start()


def test_prefect_engine_errors_of_a_stop_are_held_like_its_run_errors():
    """A stop that lands before a task's run logger is set up is logged by Prefect's engine logger ("Crash
    detected!", on prefect.engine): held back from the terminal like the run loggers' lines."""
    import io

    from qualflow.flows.cli import _prefect_errors_held

    terminal, second_terminal = io.StringIO(), io.StringIO()
    handlers = [logging.StreamHandler(terminal), logging.StreamHandler(second_terminal)]
    for handler in handlers:
        logging.getLogger().addHandler(handler)
    try:
        with _prefect_errors_held(verbose=False) as held:
            logging.getLogger("prefect.engine").error("Crash detected! Execution was aborted by an interrupt signal.")
            logging.getLogger("qualflow.flows.batch").error("a line of ours")
        assert terminal.getvalue() == second_terminal.getvalue() == "a line of ours\n"
        assert [record.name for record in held.held] == ["prefect.engine"]  # once, though two handlers filter it
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)


def test_the_server_stops_itself_when_its_run_is_killed(tmp_path):
    """SIGKILL gives the run no chance to stop its server: the server sees its run gone and stops
    (flows/run_bound_server.py); before, it ran on until the next run."""
    import psutil

    environment = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    environment.pop("PREFECT_API_URL", None)
    run = subprocess.Popen([sys.executable, "-c", STAND_IN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True, env=environment)
    server = None
    try:
        server = psutil.Process(int(run.stdout.readline().split()[1]))
        run.kill()
        run.wait(timeout=60)
        server.wait(timeout=30)  # psutil.TimeoutExpired: the server outlived its run
    finally:
        if run.poll() is None:
            run.kill()
        if server is not None and server.is_running():
            server.kill()
