"""The temporary Prefect server of a `qualflow run`, started by the run in a process group of its own.

With no PREFECT_API_URL, Prefect starts a temporary server for the run itself, in the run's process group. A
terminal's Ctrl-C, `timeout`, systemd and Slurm signal the whole group, so that server stopped at the same moment
as the run, and the flow engine, reporting the stopped run as crashed, found no server. Prefect's client then
retries a connection that worked before for 2 + 4 + 8 + 16 + 32 s for each report: Ctrl-C left the terminal
waiting two minutes (CI, tests/test_run_stopped_by_signal.py), and Prefect's database kept the run as Running.

So the run starts the same server (Prefect's own command and marks, so flows/leftover_servers.py still knows it)
in a session of its own: a signal to the group reaches the run alone, the engine records the crash on a server
that is still there, and the server is stopped when the run exits, after Prefect's log and event workers have
sent what they hold (atexit runs in reverse order, and they register after this). A run killed with SIGKILL
cannot stop it: the server then stops itself within a second or two of finding its run gone
(flows/run_bound_server.py), and the next run stops any left anyway (flows/leftover_servers.py).
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Iterator

from qualflow.flows.leftover_servers import EPHEMERAL_MARK, SERVER_APP

HOST = "127.0.0.1"
PORT_IN_USE = 3  # uvicorn's exit status when it cannot bind its port (Prefect's own start retries on it)
STOP_WAIT = 5  # seconds for the server's own shutdown before it is killed


class ServerDidNotStart(RuntimeError):
    """Prefect's temporary server exited or did not answer in time; the message says which."""


class _Server:
    def __init__(self, timeout: float):
        import prefect

        self.process: subprocess.Popen | None = None
        self.port = 0
        self.prefect_dir = str(prefect.__module_path__.parent)
        self.timeout = timeout

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.port}/api"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _spawn(self) -> None:
        from prefect.settings import get_current_settings

        with socket.socket() as probe:  # a free loopback port; uvicorn exits PORT_IN_USE if it is taken meanwhile
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        # As Prefect's own temporary server: no UI, marked ephemeral, the run's settings.
        environment = {**os.environ, "PREFECT_UI_ENABLED": "0", EPHEMERAL_MARK: "1", "PREFECT__SERVER_FINAL": "1",
                       **get_current_settings().to_environment_variables(exclude_unset=True)}
        environment.pop("PREFECT_API_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qualflow.flows.run_bound_server", str(os.getpid()),
             "uvicorn", "--app-dir", self.prefect_dir, "--factory", SERVER_APP,
             "--host", HOST, "--port", str(self.port), "--log-level", "error", "--lifespan", "on"],
            env=environment, stdin=subprocess.DEVNULL, start_new_session=True)

    def start(self) -> None:
        import httpx

        self._spawn()
        atexit.register(self.stop)
        deadline = time.monotonic() + self.timeout
        # trust_env=False: a proxy named in the environment must not be asked for a loopback address.
        with httpx.Client(trust_env=False, timeout=2) as client:
            while time.monotonic() < deadline:
                status = self.process.poll()
                if status == PORT_IN_USE:
                    self._spawn()
                    continue
                if status is not None:
                    raise ServerDidNotStart(f"Prefect's temporary server exited with status {status} as it started")
                try:
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise ServerDidNotStart(f"Prefect's temporary server did not answer within {self.timeout:g} s "
                                "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_server: _Server | None = None  # one per process, as Prefect's: a second run in the same process reuses it


def _needs_one() -> bool:
    """Prefect would start a temporary server: no PREFECT_API_URL (environment or profile), ephemeral mode on."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    return not PREFECT_API_URL.value() and bool(PREFECT_SERVER_EPHEMERAL_ENABLED.value())


def start_if_needed() -> str | None:
    """The API URL of the run's own temporary server (module doc), started now or earlier in this process;
    None when the user named a server (PREFECT_API_URL, in the environment or a Prefect profile) or turned
    Prefect's temporary servers off (Prefect then says what is missing)."""
    global _server
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    if not _needs_one():
        return None
    if _server is None or not _server.alive():
        _server = _Server(float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()))
        _server.start()
    return _server.api_url


@contextmanager
def prefect_uses(api_url: str | None) -> Iterator[None]:
    """Within: Prefect, in this process and the ones it starts (Dask workers), talks to `api_url` (None: as
    configured). The environment is restored after."""
    from prefect.context import refresh_global_settings_context

    if api_url is None:
        yield
        return
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api_url
    refresh_global_settings_context()  # Prefect's public way to read a changed environment
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before
        refresh_global_settings_context()
