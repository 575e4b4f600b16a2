"""A `qualflow serve` killed with SIGKILL (kill -9, the OOM killer, a reboot) and started again at once.

The deployment's last poll is recent for 90 s after the kill, and `serve` took that as another serve still
alive: the restart was refused with exit 2, so systemd's Restart=on-failure could give up and nothing ran that
night. `serve` now records who serves a deployment (pid, host, process start time, under PREFECT_HOME); a
record naming a process of this machine that is gone (or a reused pid) is not in the way, whatever the last
poll. A serve on another machine, or one with no record, still counts as live for 90 s after its last poll.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import psutil
import pytest
from test_schedule import _get, _wait_for, prefect_server  # noqa: F401  (a fixture)

BIN = Path(sys.executable).parent


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid


def _record(**changes) -> dict:
    """A record as `serve` writes it, of this very process, with `changes`."""
    from qualflow.flows.serve import _pid_namespace

    record = {"pid": os.getpid(), "host": socket.gethostname(), "started": psutil.Process().create_time(),
              "pid_namespace": _pid_namespace()}
    return {**record, **changes}


def test_a_record_of_a_live_process_here_says_it_is_not_gone():
    from qualflow.flows.serve import serve_is_gone

    assert not serve_is_gone(_record())


def test_a_record_of_a_dead_pid_here_says_it_is_gone():
    from qualflow.flows.serve import serve_is_gone

    assert serve_is_gone(_record(pid=_dead_pid()))


def test_a_reused_pid_is_not_mistaken_for_the_serve():
    from qualflow.flows.serve import serve_is_gone

    # This process, but the record's serve started an hour earlier: the pid has been given to another process.
    assert serve_is_gone(_record(started=psutil.Process().create_time() - 3600))


def test_a_killed_serve_not_yet_reaped_is_gone():
    from qualflow.flows.serve import serve_is_gone

    zombie = subprocess.Popen(["sleep", "60"])
    try:
        started = psutil.Process(zombie.pid).create_time()
        os.kill(zombie.pid, signal.SIGKILL)
        _wait_for(lambda: psutil.Process(zombie.pid).status() == psutil.STATUS_ZOMBIE, 10, "the zombie")
        assert serve_is_gone(_record(pid=zombie.pid, started=started))
    finally:
        zombie.wait()


@pytest.mark.parametrize("elsewhere", [{"host": "some-other-machine"}, {"pid_namespace": "pid:[1]"}])
def test_a_record_from_another_machine_or_container_is_never_taken_as_gone(elsewhere):
    """Its pid means nothing here: such a serve is judged by its last poll alone."""
    from qualflow.flows.serve import serve_is_gone

    assert not serve_is_gone(_record(pid=_dead_pid(), **elsewhere))


def _polled_deployment(api: str, name: str, parameters: dict) -> None:
    """A deployment of the batch flow that a runner polled just now, as a live `serve` leaves it."""
    flow = httpx.post(f"{api}/flows/", json={"name": "qualflow-batch"}, timeout=30).json()
    deployment = httpx.post(f"{api}/deployments/", json={"name": name, "flow_id": flow["id"],
                                                         "parameters": parameters}, timeout=30)
    assert deployment.status_code in (200, 201), deployment.text
    polled = httpx.post(f"{api}/deployments/get_scheduled_flow_runs",
                        json={"deployment_ids": [deployment.json()["id"]]}, timeout=30)
    assert polled.status_code == 200, polled.text
    assert httpx.get(f"{api}/deployments/name/qualflow-batch/{name}", timeout=10).json()["last_polled"]


@pytest.mark.slow
def test_a_recently_polled_deployment_whose_recorded_serve_here_is_dead_is_not_in_the_way(
        prefect_server, tmp_path, monkeypatch, capsys):
    """The unit under test against a real server: a deployment polled a moment ago is in the way without a
    record (a serve by an older qualflow, or on another machine), and is not when its record names a
    process of this machine that is gone; the one line says so."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings
    from qualflow.flows.serve import schedule_in_the_way, serve_record_path, write_serve_record

    api = prefect_server["PREFECT_API_URL"]
    parameters = {"source": str(tmp_path / "inbox"), "data_dir": str(tmp_path / "data"), "config_file": None,
                  "create_study": False}
    _polled_deployment(api, "nightly", parameters)
    with temporary_settings(updates={PREFECT_API_URL: api, PREFECT_HOME: prefect_server["PREFECT_HOME"]}):
        assert "already being served" in schedule_in_the_way("nightly", parameters)
        # Written by a serve that was killed since: the record names its pid, which is gone.
        path = write_serve_record("nightly", parameters, pid=_dead_pid())
        assert path == serve_record_path("nightly") and path.is_file()
        capsys.readouterr()
        assert schedule_in_the_way("nightly", parameters) is None
        line = capsys.readouterr().out
        assert line.count("\n") == 1 and "is gone" in line and "takes over" in line, line
        # Its schedule does not block a second name on the same inbox either.
        assert schedule_in_the_way("second", parameters) is None
        # A record naming a live process of this machine leaves the 90 s rule to decide.
        write_serve_record("nightly", parameters)
        assert "already being served" in schedule_in_the_way("nightly", parameters)
        # So does one naming a process of another machine.
        record = json.loads(path.read_text())
        path.write_text(json.dumps({**record, "pid": _dead_pid(), "host": "some-other-machine"}))
        assert "already being served" in schedule_in_the_way("nightly", parameters)


def _serve(env: dict, inbox, data, log) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "qualflow"), "serve", "--inbox", str(inbox), "--interval", "86400",
                             "--data", str(data)], env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_serve_started_again_right_after_a_sigkill_takes_over(prefect_server, tmp_path):
    """The audit's repro: `qualflow serve`, kill -9, the same command again at once. It was refused for
    90 s ("already being served … by another `qualflow serve`", exit 2) though no serve was alive."""
    env, api = prefect_server, prefect_server["PREFECT_API_URL"]
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    url = f"{api}/deployments/name/qualflow-batch/qualflow-inbox"
    first_log, second_log = open(tmp_path / "serve1.log", "w"), open(tmp_path / "serve2.log", "w")
    first = _serve(env, inbox, data, first_log)
    second = None
    try:
        _wait_for(lambda: (r := _get(url)) is not None and r.status_code == 200 and r.json().get("last_polled"),
                  180, "the deployment to be polled", first)
        # While the first is alive, the same command is refused (tests/test_schedule.py has the other cases).
        refused = subprocess.run([str(BIN / "qualflow"), "serve", "--inbox", str(inbox), "--interval", "86400",
                                  "--data", str(data)], env=env, capture_output=True, text=True, timeout=180,
                                 check=False)
        assert refused.returncode == 2 and "already being served" in refused.stderr, refused.stdout + refused.stderr
        assert first.poll() is None

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        killed_at = time.time()
        second = _serve(env, inbox, data, second_log)

        def took_over():
            deployment = _get(url)
            polled = deployment.json().get("last_polled") if deployment is not None else None
            return polled and datetime.fromisoformat(polled.replace("Z", "+00:00")).timestamp() > killed_at

        _wait_for(took_over, 180, "the second serve to poll the deployment", second)
        assert time.time() - killed_at < 90  # within the window in which the old check refused it
        output = (tmp_path / "serve2.log").read_text()
        assert "already being served" not in output, output
        assert f"(pid {first.pid})" in output and "is gone" in output and "takes over" in output, output
        deployment = httpx.get(url, timeout=10).json()
        assert deployment["parameters"]["source"] == str(inbox.resolve()) and not deployment["paused"]

        # A clean stop removes the record: nothing is left to judge a later start by.
        from qualflow.flows.serve import serve_record_path

        record = serve_record_path("qualflow-inbox", api_url=api, home=env["PREFECT_HOME"])
        assert json.loads(record.read_text())["pid"] == second.pid
        second.terminate()
        assert second.wait(timeout=60) == 0, (tmp_path / "serve2.log").read_text()
        assert not record.exists()
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=60)
        first_log.close()
        second_log.close()
