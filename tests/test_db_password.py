"""A PostgreSQL password never reaches Prefect: flow-run and deployment parameters carry the URL
without it, and the run finds it in $QUALFLOW_DB (models/store.py `as_parameter`)."""

import os
import shutil
import uuid
from pathlib import Path

from qualflow.flows.cli import app
from qualflow.flows.serve import deployment_parameters
from qualflow.models import Store, Transcript
from qualflow.models.store import from_parameter
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def with_password(url: str) -> tuple[str, str]:
    """The URL with a password (the test server trusts local connections, so any one works), and it."""
    parsed = make_url(url)
    if parsed.password:
        return url, parsed.password
    secret = f"pw-{uuid.uuid4().hex[:12]}"
    return parsed.set(password=secret).render_as_string(hide_password=False), secret


def flow_run_parameters(source: Path) -> list[dict]:
    """The parameters Prefect keeps for the runs on `source` (the same temporary server the run used)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=20)
    return [run.parameters for run in runs if run.parameters.get("source") == str(source)]


def test_a_run_on_postgres_keeps_the_password_out_of_prefect(tmp_path, postgres_url, monkeypatch):
    url, secret = with_password(postgres_url)
    monkeypatch.delenv("QUALFLOW_DB", raising=False)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox)
    result = CliRunner().invoke(app, ["run", str(inbox), "--data", str(tmp_path / "data"), "--config", "small-study",
                                      "--db", url])
    assert result.exit_code == 0, result.output
    store = Store(url)
    assert store.count(Transcript) == 1  # the run found its study, password and all
    store.dispose()
    kept = flow_run_parameters(inbox)
    assert kept and kept[0]["database_url"].startswith("postgresql")
    # The password, not the user name (in CI both are "qualflow_ci").
    assert f":{secret}@" not in str(kept) and f":{secret}@" not in result.output


def test_deployment_parameters_hold_no_password(tmp_path, monkeypatch):
    monkeypatch.delenv("QUALFLOW_DB", raising=False)
    url = "postgresql://coder:s3cret-pw@db.example.org:5432/study"
    parameters = deployment_parameters(tmp_path, tmp_path / "data", None, url)
    assert "s3cret-pw" not in str(parameters)
    assert parameters["database_url"] == "postgresql://coder:***@db.example.org:5432/study"
    assert "QUALFLOW_DB" not in os.environ  # nothing leaks into the process's environment
    # A run in this process reads the URL back from the parameter.
    assert from_parameter(parameters["database_url"]) == url
    assert from_parameter("postgresql://other@db.example.org/study") == "postgresql://other@db.example.org/study"
    # Without a password the URL is the parameter as it is.
    assert deployment_parameters(tmp_path, tmp_path / "d", None, "sqlite:////tmp/s.sqlite")["database_url"] \
        == "sqlite:////tmp/s.sqlite"


def test_a_served_run_reads_the_password_from_the_environment(monkeypatch):
    """What a run started by `serve` (another process, the same environment) does with its parameter."""
    url = "postgresql://coder:other-pw@db.example.org:5432/served"
    monkeypatch.setenv("QUALFLOW_DB", url)
    assert from_parameter("postgresql://coder:***@db.example.org:5432/served") == url
    assert from_parameter("postgresql://coder:***@db.example.org:5432/another") \
        == "postgresql://coder:***@db.example.org:5432/another"
