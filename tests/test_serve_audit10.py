"""Audit 10, `qualflow serve`: the study is made once, when `serve` starts, and a scheduled run whose
study or inbox has gone fails in one line and makes nothing (#1, #4); `--cron` is read in the machine's
time zone, or `--timezone`'s, and the start-up message says which (#5)."""

import shutil
from pathlib import Path

import httpx
import pytest
from test_schedule import _run_and_wait, _serve_deployment, _wait_for, prefect_server  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def test_the_machines_time_zone_is_read_from_tz_and_else_from_the_system(monkeypatch):
    from qualflow.flows.serve import local_timezone

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    assert local_timezone() == "Asia/Shanghai"
    monkeypatch.setenv("TZ", ":/usr/share/zoneinfo/Europe/Paris")
    assert local_timezone() == "Europe/Paris"
    monkeypatch.setenv("TZ", "CST-8")  # a POSIX rule names no zone: the system's is used
    system = local_timezone()
    monkeypatch.delenv("TZ")
    assert system == local_timezone() and system  # a name Prefect accepts, UTC at worst


def test_a_cron_schedule_is_read_in_the_zone_given_and_says_so():
    from qualflow.flows.serve import schedule_timezone, when

    assert schedule_timezone("America/New_York") == "America/New_York"
    with pytest.raises(ValueError, match="--timezone: unknown time zone 'Mars/Olympus'"):
        schedule_timezone("Mars/Olympus")
    line = when("0 2 * * *", None, "Asia/Shanghai")
    assert line.startswith('"0 2 * * *" in the time zone Asia/Shanghai; next run ') and line.endswith(" 02:00 CST")
    assert when(None, 3600, "UTC") == "every 3600 s"


def test_served_runs_never_make_a_study():
    from qualflow.flows.serve import deployment_parameters

    assert deployment_parameters(Path("inbox"), Path("data"), None)["create_study"] is False


@pytest.mark.parametrize("arguments, message", [
    (["--cron", "0 2 * * *", "--timezone", "Mars/Olympus"], "--timezone: unknown time zone 'Mars/Olympus'"),
    (["--interval", "3600", "--timezone", "Europe/London"], "--timezone goes with --cron"),
])
def test_serve_refuses_an_unclear_time_zone_in_one_line(tmp_path, arguments, message):
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["serve", "--inbox", str(tmp_path), "--data", str(tmp_path / "data"),
                                      *arguments], env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists()


def test_serve_makes_the_study_it_will_serve_once(tmp_path):
    from qualflow.flows.serve import make_study

    data = tmp_path / "data"
    data.mkdir()
    assert make_study(data, None) == str(data / "qualflow.sqlite")
    assert make_study(data, None) is None  # there now: left as it is


@pytest.mark.slow
def test_a_served_run_whose_study_or_inbox_has_gone_fails_in_one_line_and_makes_nothing(prefect_server, tmp_path):
    """The auditor's repros: with the data folder moved, a served run coded every interview again into a new,
    empty study and finished Completed; with the inbox moved, it finished Completed with 0 files. And the
    nightly "0 2 * * *" ran at 02:00 UTC, 10:00 in Shanghai."""
    env, api = {**prefect_server, "TZ": "Asia/Shanghai"}, prefect_server["PREFECT_API_URL"]
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox)
    served, log, log_path, deployment = _serve_deployment(env, tmp_path, inbox, data, "tzjob", "--cron", "0 2 * * *")
    try:
        assert deployment["parameters"]["create_study"] is False
        [schedule] = deployment["schedules"]
        assert schedule["schedule"]["cron"] == "0 2 * * *" and schedule["schedule"]["timezone"] == "Asia/Shanghai"
        started = log_path.read_text()
        assert f"started a new, empty study: {data / 'qualflow.sqlite'}" in started
        assert '"0 2 * * *" in the time zone Asia/Shanghai; next run ' in started
        assert (data / "qualflow.sqlite").is_file()  # made by `serve`, before any run

        def scheduled():
            runs = httpx.post(f"{api}/flow_runs/filter", timeout=10, json={
                "deployments": {"id": {"any_": [deployment["id"]]}}, "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}})
            return [run["expected_start_time"] for run in runs.json()] if runs.status_code == 200 else None

        # The server's scheduler plans the runs at 02:00 in Shanghai: 18:00 UTC.
        expected = _wait_for(scheduled, 180, "the scheduled runs", served)
        assert all("T18:00:00" in at for at in expected), expected

        # The study's folder is moved away (or its share is not mounted): the run makes nothing.
        data.rename(tmp_path / "data.moved")
        _, state = _run_and_wait(api, deployment["id"], served)
        assert state["type"] == "FAILED"
        assert state["message"].startswith(f"the study's data folder {data} is not there")
        assert "never starts a new study" in state["message"]
        assert not data.exists()
        # Nor when someone sets the run's create_study to true in Prefect's UI.
        _, state = _run_and_wait(api, deployment["id"], served, parameters={"create_study": True})
        assert state["type"] == "FAILED" and "never starts a new study" in state["message"]
        assert not data.exists()
        (tmp_path / "data.moved").rename(data)

        # The inbox is moved away: not a night with nothing new.
        inbox.rename(tmp_path / "inbox.away")
        _, state = _run_and_wait(api, deployment["id"], served)
        assert state["type"] == "FAILED" and state["message"].startswith(f"inbox {inbox} does not exist")
        (tmp_path / "inbox.away").rename(inbox)

        # Both back: the run codes the interview into the study `serve` made.
        _, state = _run_and_wait(api, deployment["id"], served)
        assert state["type"] == "COMPLETED", log_path.read_text()[-3000:]
    finally:
        served.terminate()
        served.wait(timeout=60)
        log.close()
    output = log_path.read_text()
    assert "Traceback" not in output, output[-3000:]
    import sqlite3

    with sqlite3.connect(data / "qualflow.sqlite") as db:
        assert db.execute("SELECT source_name FROM transcripts").fetchall() == [("en_p1_nurse.txt",)]


def test_serve_on_an_emptied_postgresql_database_makes_the_study_and_its_runs_refuse_one_emptied_later(
        postgres_url, tmp_path):
    from qualflow.flows.batch import why_not_run
    from qualflow.models.store import study_is_there
    from qualflow.flows.serve import make_study
    from sqlalchemy import create_engine, text

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    data.mkdir()
    assert make_study(data, postgres_url) is not None and study_is_there(postgres_url)
    assert make_study(data, postgres_url) is None
    assert why_not_run(str(inbox), str(data), postgres_url, create_study=False) is None
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:  # emptied, as a restore gone wrong would leave it
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    assert "holds no qualflow study" in why_not_run(str(inbox), str(data), postgres_url, create_study=False)
