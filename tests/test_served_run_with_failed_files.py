"""A scheduled run in which some files failed ends Failed in Prefect, so an automation or alert on Failed
runs sees it, while the good files are stored and the run's artifact written as for any run. An unchanged
broken file fails again the next night (qualflow never moves inbox files)."""

import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest
from test_schedule import _run_and_wait, _serve_deployment, prefect_server  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def test_a_served_run_with_a_failed_file_ends_failed_and_keeps_what_it_stored(prefect_server, tmp_path):
    env, api = prefect_server, prefect_server["PREFECT_API_URL"]
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox)
    (inbox / "P7_Jane_Doe.docx").write_bytes(b"PK\x03\x04 truncated archive")  # a broken .docx
    served, log, log_path, deployment = _serve_deployment(env, tmp_path, inbox, data, "failedfiles",
                                                          "--interval", "86400")
    try:
        flow_run, state = _run_and_wait(api, deployment["id"], served)
        assert state["type"] == "FAILED" and state["name"] == "Failed", (state, log_path.read_text()[-3000:])
        assert state["message"].startswith("1 of 2 files could not be used"), state["message"]
        assert "quarantine" in state["message"] and "fails again" in state["message"]
        assert "Jane" not in state["message"] and "P7" not in state["message"]  # no file name goes to Prefect

        # Everything that could be stored is stored, and the run's artifact is there.
        with sqlite3.connect(data / "qualflow.sqlite") as db:
            assert db.execute("SELECT source_name FROM transcripts").fetchall() == [("en_p1_nurse.txt",)]
            assert db.execute("SELECT count(*) FROM statements WHERE significant").fetchone()[0] > 10
        artifacts = httpx.post(f"{api}/artifacts/filter", timeout=10,
                               json={"artifacts": {"flow_run_id": {"any_": [flow_run["id"]]}}}).json()
        markdown = next(a["data"] for a in artifacts if a["key"] == "qualflow-run")
        assert "| new transcripts | 1 |" in markdown and "| failed (quarantined) | 1 |" in markdown
        assert (data / "quarantine" / "P7_Jane_Doe.docx.reason.txt").is_file()

        # The next night, the broken file unchanged in the inbox: Failed again, nothing stored twice.
        _, state = _run_and_wait(api, deployment["id"], served)
        assert state["type"] == "FAILED" and state["message"].startswith("1 of 2 files could not be used")
        # Fixed (here: removed), the night is Completed.
        (inbox / "P7_Jane_Doe.docx").unlink()
        _, state = _run_and_wait(api, deployment["id"], served)
        assert state["type"] == "COMPLETED", (state, log_path.read_text()[-3000:])
    finally:
        served.terminate()
        served.wait(timeout=60)
        log.close()
    with sqlite3.connect(data / "qualflow.sqlite") as db:
        assert db.execute("SELECT count(*) FROM transcripts").fetchone()[0] == 1
    output = log_path.read_text()
    assert "Traceback" not in output, output[-3000:]
    # No flow-level retry re-ran the batch: three runs, one attempt each.
    runs = httpx.post(f"{api}/flow_runs/filter", timeout=10,
                      json={"deployments": {"id": {"any_": [deployment["id"]]}}}).json()
    assert sorted(run["run_count"] for run in runs) == [1, 1, 1]
