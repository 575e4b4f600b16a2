"""A run that stores transcripts and then stops (a bug, a full disk or SIGTERM before its themes are stored)
publishes no summary. The next run finds those files unchanged, yet it is the first finished run to cluster
them: its summary, its terminal lines and its Prefect artifact count them ("stored by an earlier unfinished
run"), and its new suggestions include theirs. The run after that does not count them again.

The real Prefect flow on a real SQLite study; the first run's failure is a bug injected into storing the
suggestions, after the transcripts were stored (as tests/test_unexpected_error_account.py does)."""

import shutil
from pathlib import Path

import pytest
from qualflow.flows import tasks
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.flows.run_record import run_markdown
from typer.testing import CliRunner

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FILES = ("en_p1_nurse.txt", "en_p2_social_worker.txt")


def _artifacts(source: Path) -> list[str]:
    """The Markdown artifacts of the flow runs on `source`, newest first, as Prefect's server keeps them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = [run.id for run in client.read_flow_runs(sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=20)
                if run.parameters.get("source") == str(source)]
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=runs)))
    order = {run: i for i, run in enumerate(runs)}
    return [str(a.data) for a in sorted(found, key=lambda a: order[a.flow_run_id])]


def test_transcripts_a_failed_run_stored_are_counted_by_the_next_finished_run(tmp_path, monkeypatch):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in FILES:
        shutil.copy(EXAMPLES / name, inbox / name)

    real = tasks.store_theme_set

    def a_bug_after_storing(*args, **kwargs):
        raise KeyError("a bug in storing the themes")

    monkeypatch.setattr(tasks, "store_theme_set", a_bug_after_storing)
    with pytest.raises(KeyError):
        code_interviews(str(inbox), str(data), "small-study")  # both files stored, no themes
    monkeypatch.setattr(tasks, "store_theme_set", real)

    finished = CliRunner().invoke(app, ["run", str(inbox), "--data", str(data), "--config", "small-study"])
    assert finished.exit_code == 0, finished.output
    said = " ".join(finished.output.split())  # the terminal's lines, unwrapped
    assert "2 files: 0 new transcripts (0 statements), 2 unchanged, 0 duplicates, 0 failed" in said
    assert "2 stored by an earlier unfinished run, in the themes now" in said
    artifact = _artifacts(inbox)[0]
    assert "| transcripts stored by an earlier unfinished run (in the themes now) | 2 |" in artifact
    assert "## Stored by an earlier unfinished run" in artifact
    assert all(f"- {name}" in artifact for name in FILES), artifact
    assert "| new suggestions | 0 |" not in artifact  # their statements' suggestions are this run's news

    again = code_interviews(str(inbox), str(data), "small-study")  # counted once: not by every later run
    assert again.stored_earlier == [] and again.new_suggestions == 0
    assert "| transcripts stored by an earlier unfinished run (in the themes now) | 0 |" in run_markdown(again)


def test_a_file_stored_before_a_failed_placement_is_counted_with_its_suggestions(tmp_path, monkeypatch):
    """The incremental path: a study with themes, one new file stored, then placing it fails."""
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(EXAMPLES / FILES[0], inbox / FILES[0])
    first = code_interviews(str(inbox), str(data), "small-study")
    assert first.transcripts_added == 1

    shutil.copy(EXAMPLES / FILES[1], inbox / FILES[1])
    real = tasks.place_into_current_themes
    monkeypatch.setattr(tasks, "place_into_current_themes", lambda *a, **k: (_ for _ in ()).throw(KeyError("bug")))
    with pytest.raises(KeyError):
        code_interviews(str(inbox), str(data), "small-study")
    monkeypatch.setattr(tasks, "place_into_current_themes", real)

    finished = code_interviews(str(inbox), str(data), "small-study")
    assert finished.transcripts_added == 0 and finished.unchanged == list(FILES)
    assert finished.new_suggestions > 0  # the file's statements were suggested into themes by this run
    assert finished.stored_earlier == [FILES[1]] and first.stored_earlier == []
    assert "| transcripts stored by an earlier unfinished run (in the themes now) | 1 |" in run_markdown(finished)
