"""Prefect's database is outside the study (a server a team may share, its UI): what a run leaves
there names no one, even when file names carry participants' names. Read back from the real
temporary Prefect server the run used: task-run names, the run's artifact and its logs."""

import shutil
from pathlib import Path

from qualflow.flows.cli import app
from typer.testing import CliRunner

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NAMED = """# language: en

Interviewer: Tell me about your first week on the ward.

P9: The first week was chaotic because nobody had told the night staff that I was starting, so I waited at the desk for an hour.

P9: Most of the nurses were kind, but the rota was published late every single week and I could never plan my childcare.
"""


def what_prefect_keeps(source: Path, logged: bool = True) -> str:
    """Every task run's name, the artifacts and the log lines of the flow runs on `source` (`logged`: some)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterId,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = [run.id for run in client.read_flow_runs(sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=20)
                if run.parameters.get("source") == str(source)]
        assert runs
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=runs)))
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=runs)))
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=runs)))
    assert tasks and artifacts and (logs or not logged)
    return "\n".join([t.name for t in tasks] + [str(a.data) for a in artifacts] + [entry.message for entry in logs])


def test_prefect_keeps_no_name_that_a_file_name_holds(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox)
    (inbox / "interview_P9_Daniel_Kowalczyk.txt").write_text(NAMED, "utf-8")
    (inbox / "Mary Smith notes.docx").write_bytes(b"not a zip")  # fails: never stored, never in the key map
    result = CliRunner().invoke(app, ["run", str(inbox), "--data", str(tmp_path / "data"), "--config", "small-study"])
    assert result.exit_code == 1, result.output  # a file failed: the run says so in its exit code
    # Run again: the stored files are listed as unchanged, under their names as exports give them.
    result = CliRunner().invoke(app, ["run", str(inbox), "--data", str(tmp_path / "data"), "--config", "small-study"])
    kept = what_prefect_keeps(inbox)
    assert "analyse file " in kept and "## Failed files" in kept
    for name in ("Kowalczyk", "Daniel", "Mary Smith", "Mary_Smith", "Mary\\_Smith"):
        assert name not in kept, name
    assert "interview_P9\\_\\[PERSON_1\\].txt" in kept  # named through the key map, as exports name it
    assert "\\[PERSON\\] notes.docx" in kept
    # The researcher's own terminal still names the files.
    assert "Mary Smith notes.docx" in result.output


def test_a_run_of_one_file_keeps_its_name_out_of_the_flow_runs_parameters(tmp_path):
    # Prefect keeps a run's parameters and shows them in its UI: `qualflow run FILE` named the participant there.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    named = inbox / "Mary_Jones_interview.txt"
    named.write_text(NAMED, "utf-8")
    result = CliRunner().invoke(app, ["run", str(named), "--data", str(tmp_path / "data"), "--config", "small-study"])
    assert result.exit_code == 0, result.output
    kept = what_prefect_keeps(inbox / "[one file: the run's artifact names it]", logged=False)  # as shown
    assert "Mary" not in kept and "Jones" not in kept
    assert "1 new transcript" in " ".join(result.output.split())  # the real file was read


def test_the_artifact_names_dated_files_without_their_dates_as_exports_do(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox / "P1_2024-03-12.txt")
    (inbox / "P2_12 March 2024.docx").write_bytes(b"not a zip")  # fails: named in the artifact's list
    data = tmp_path / "data"
    CliRunner().invoke(app, ["run", str(inbox), "--data", str(data), "--config", "small-study"])
    CliRunner().invoke(app, ["run", str(inbox), "--data", str(data), "--config", "small-study"])
    kept = what_prefect_keeps(inbox)
    assert "P1.txt" in kept and "P2.docx" in kept  # listed, as exports name them
    assert "2024" not in kept and "March" not in kept
