"""The nightly job for real: a Prefect server on 127.0.0.1, `qualflow serve` registering the
deployment, a transcript dropped into the inbox, a run triggered through the server's API."""

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from _net import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXAMPLES = ROOT / "examples"



def _wait_for(check, timeout: float, what: str, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}")
        result = check()
        if result:
            return result
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _get(url: str):
    try:
        return httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None


@pytest.fixture
def prefect_server(tmp_path):
    """A real `prefect server start` on a free loopback port, with its own PREFECT_HOME."""
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: (r := _get(f"http://127.0.0.1:{port}/api/health")) is not None and r.status_code == 200,
                  180, "the Prefect server", server)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _serve_deployment(env: dict, cwd: Path, inbox: Path, data: Path, name: str, *schedule: str):
    """`qualflow serve` of `inbox` into `data` as deployment `name` (the small-study config), its output in
    cwd/serve.log, once the server has the deployment: (the process, the open log, its path, the deployment).
    The caller terminates the process; if the deployment never comes, it is terminated here."""
    api = env["PREFECT_API_URL"]
    log_path = cwd / "serve.log"
    log = open(log_path, "w")
    served = subprocess.Popen([str(BIN / "qualflow"), "serve", "--inbox", str(inbox), *schedule, "--data", str(data),
                               "--config", "small-study", "--name", name],
                              env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        deployment = _wait_for(
            lambda: (r := _get(f"{api}/deployments/name/qualflow-batch/{name}")) is not None
            and r.status_code == 200 and r.json(), 180, "the deployment", served)
    except BaseException:
        served.terminate()
        served.wait(timeout=60)
        log.close()
        raise
    return served, log, log_path, deployment


def _run_and_wait(api: str, deployment_id: str, served: subprocess.Popen,
                  parameters: dict | None = None) -> tuple[dict, dict]:
    """Start a run of the deployment through the server's API (with `parameters` changed for this run,
    as Prefect's UI allows): the run, and its final state."""
    request = {"parameters": parameters} if parameters else {}
    for _attempt in range(3):  # a busy server's SQLite may answer 5xx ("database is locked") once
        response = httpx.post(f"{api}/deployments/{deployment_id}/create_flow_run", json=request, timeout=30)
        if response.status_code < 500:
            break
        time.sleep(5)
    assert response.status_code == 201, response.text
    flow_run = response.json()

    def finished():
        state = httpx.get(f"{api}/flow_runs/{flow_run['id']}", timeout=10).json()["state"]
        return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

    return flow_run, _wait_for(finished, 600, "the flow run", served)


def test_served_deployment_codes_a_transcript_dropped_into_the_inbox(prefect_server, tmp_path):
    env, api = prefect_server, prefect_server["PREFECT_API_URL"]
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    log = open(tmp_path / "serve.log", "w")
    served = subprocess.Popen([str(BIN / "qualflow"), "serve", "--inbox", str(inbox), "--interval", "86400",
                               "--data", str(data), "--config", "small-study"],
                              env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deployment = _wait_for(
            lambda: (r := _get(f"{api}/deployments/name/qualflow-batch/qualflow-inbox")) is not None
            and r.status_code == 200 and r.json(), 180, "the deployment", served)
        assert deployment["parameters"]["source"] == str(inbox.resolve())
        assert deployment["schedules"], "the interval schedule is registered"

        shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox)
        flow_run, state = _run_and_wait(api, deployment["id"], served)
        assert state["type"] == "COMPLETED", (tmp_path / "serve.log").read_text()[-3000:]
    finally:
        served.terminate()
        served.wait(timeout=60)
        log.close()

    with sqlite3.connect(data / "qualflow.sqlite") as db:
        assert db.execute("SELECT source_name FROM transcripts").fetchall() == [("en_p1_nurse.txt",)]
        assert db.execute("SELECT count(*) FROM statements WHERE significant").fetchone()[0] > 10
    # The run is on the server, where the UI lists it.
    runs = httpx.post(f"{api}/flow_runs/filter", json={"deployments": {"id": {"any_": [deployment["id"]]}}},
                      timeout=10).json()
    assert [run["id"] for run in runs] == [flow_run["id"]]
    # …with the run's Markdown artifact: counts and file names, no statement text.
    artifacts = httpx.post(f"{api}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [flow_run["id"]]}}},
                           timeout=10).json()
    markdown = next(a["data"] for a in artifacts if a["key"] == "qualflow-run")
    assert "| new transcripts | 1 |" in markdown and "| failed (quarantined) | 0 |" in markdown
    with sqlite3.connect(data / "qualflow.sqlite") as db:
        texts = [row[0] for row in db.execute("SELECT text FROM statements WHERE significant LIMIT 20")]
    assert not any(text in markdown for text in texts)


@pytest.mark.parametrize("arguments, message", [
    (["--cron", "0 2 * * *", "--interval", "3600"], "exactly one schedule"),
    ([], "exactly one schedule"),
    (["--cron", "every night"], "not a valid cron expression"),
])
def test_serve_refuses_unclear_schedules_in_one_line(tmp_path, arguments, message):
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["serve", "--inbox", str(tmp_path), *arguments],
                                env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_serve_without_a_reachable_prefect_server_is_one_line_and_leaves_no_data_folder(tmp_path):
    # It was a 40-line httpx.ConnectError traceback, after the data folder had been made. A process of its
    # own: Prefect reads PREFECT_API_URL once per process, and earlier tests in this one have read it.
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    env = {**os.environ, "PREFECT_API_URL": f"http://someone:secret@127.0.0.1:{free_port()}/api"}
    result = subprocess.run([str(BIN / "qualflow"), "serve", "--inbox", str(inbox), "--interval", "3600",
                             "--data", str(data)], env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert output.startswith("qualflow: error: cannot reach the Prefect server at http://127.0.0.1:")
    assert len(output.strip().splitlines()) == 1 and "secret" not in output
    assert not data.exists()


@pytest.mark.parametrize("inbox_below", ["", "inbox"])
def test_serve_refuses_an_inbox_inside_the_data_folder(tmp_path, inbox_below):
    # A run skips the data folder's files, so this schedule would code nothing, night after night.
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    data = tmp_path / "data"
    inbox = data / inbox_below
    inbox.mkdir(parents=True)
    result = CliRunner().invoke(app, ["serve", "--inbox", str(inbox), "--interval", "3600", "--data", str(data)],
                                env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert result.exit_code == 2, result.output
    assert "is inside the data folder" in result.output and "Traceback" not in result.output


def test_a_second_serve_does_not_take_over_a_live_schedule(prefect_server, tmp_path):
    """Registering the same deployment again moved the live schedule to the second inbox (its runs then
    coded that one), and stopping either process paused both; two names on one inbox ran at once."""
    env, api = prefect_server, prefect_server["PREFECT_API_URL"]
    inbox, other = tmp_path / "inbox", tmp_path / "other"
    inbox.mkdir()
    other.mkdir()
    log = open(tmp_path / "serve.log", "w")
    served = subprocess.Popen([str(BIN / "qualflow"), "serve", "--inbox", str(inbox), "--interval", "86400",
                               "--data", str(tmp_path / "data")], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"{api}/deployments/name/qualflow-batch/qualflow-inbox"
        _wait_for(lambda: (r := _get(url)) is not None and r.status_code == 200 and r.json().get("last_polled"),
                  180, "the deployment to be polled", served)
        for arguments, message in [
            (["--inbox", str(other), "--data", str(tmp_path / "data2")], "already being served"),
            (["--inbox", str(inbox), "--data", str(tmp_path / "data3"), "--name", "second"], "already on a schedule"),
            (["--inbox", str(other), "--data", str(tmp_path / "data"), "--name", "third"], "study is already on a"),
        ]:
            second = subprocess.run([str(BIN / "qualflow"), "serve", "--interval", "3600", *arguments], env=env,
                                    capture_output=True, text=True, timeout=120, check=False)
            assert second.returncode == 2, second.stdout + second.stderr
            assert message in second.stderr and "Traceback" not in second.stderr, second.stderr
        deployment = httpx.get(url, timeout=10).json()
        assert deployment["parameters"]["source"] == str(inbox.resolve()) and not deployment["paused"]
        assert served.poll() is None
    finally:
        served.terminate()
        served.wait(timeout=60)
        log.close()
