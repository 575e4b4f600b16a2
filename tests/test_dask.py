"""`--task-runner dask`: per-file analysis and embedding on a local Dask cluster, same study as the default runner."""

import shutil
from pathlib import Path

import pytest
from qualflow.flows.batch import code_interviews, with_task_runner
from qualflow.flows.cli import app
from qualflow.models import (
    Embedding,
    Pseudonym,
    Replacement,
    Statement,
    Store,
    Suggestion,
    Theme,
    Transcript,
    default_database_url,
)
from sqlalchemy import select
from typer.testing import CliRunner

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FILES = ("en_p1_nurse.txt", "en_p2_social_worker.txt", "en_p4_team_leader.md", "zh_p5_社区医生.txt",
         "zh_p6_精防专干.txt")


def snapshot(data: Path) -> dict:
    """Everything a study holds that a task runner could change, keyed by content rather than row id."""
    store = Store(default_database_url(data))
    with store.session() as session:
        name = {t.id: t.source_name for t in session.scalars(select(Transcript))}
        statement_key = {s.id: (name[s.transcript_id], s.index) for s in session.scalars(select(Statement))}
        theme_code = {t.id: t.code for t in session.scalars(select(Theme))}
        result = {
            "transcripts": sorted((t.source_name, t.content_hash, t.text, t.language) for t in session.scalars(select(Transcript))),
            "statements": sorted((statement_key[s.id], s.start, s.end, s.text, s.significant, s.excluded_reason)
                                 for s in session.scalars(select(Statement))),
            "pseudonyms": sorted((p.kind, p.real, p.placeholder) for p in session.scalars(select(Pseudonym))),
            "replacements": sorted((name[r.transcript_id], r.start, r.end, r.placeholder, r.found_by)
                                   for r in session.scalars(select(Replacement))),
            "embeddings": sorted((e.text_hash, e.vector) for e in session.scalars(select(Embedding))),
            "themes": sorted((t.code, t.level, t.label, tuple(t.keywords), t.size) for t in session.scalars(select(Theme))),
            "suggestions": sorted((statement_key[s.statement_id], theme_code[s.theme_id], s.similarity, s.outlier,
                                   s.weak_fit, s.status) for s in session.scalars(select(Suggestion))),
        }
    store.dispose()
    return result


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask")
    inbox = root / "inbox"
    inbox.mkdir()
    for name in FILES:
        shutil.copy(EXAMPLES / name, inbox / name)
    (inbox / "broken.docx").write_bytes(b"PK\x03\x04 not a document")
    default = code_interviews(str(inbox), str(root / "default"))
    dask = code_interviews(str(inbox), str(root / "dask"), task_runner="dask")
    return root, inbox, default, dask


def test_a_local_dask_cluster_gives_the_same_study_as_the_default_runner(both_runs):
    root, _, default, dask = both_runs
    assert dask.transcripts_added == default.transcripts_added == len(FILES)
    assert dask.failed == default.failed and len(dask.failed) == 1  # the broken file, reported by both
    expected, found = snapshot(root / "default"), snapshot(root / "dask")
    assert expected["pseudonyms"], "the example interviews name people: de-identification must have run"
    for part in expected:
        assert found[part] == expected[part], part


def test_the_dask_run_really_ran_its_tasks_on_dask(both_runs):
    """The flow ran itself as a subflow on a DaskTaskRunner, whose tasks ran in worker processes."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterParentTaskRunId,
        TaskRunFilter,
        TaskRunFilterName,
    )

    async def task_runs():
        async with get_client() as client:
            runs = await client.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="analyse ")))
            subflows = await client.read_flow_runs(flow_run_filter=FlowRunFilter(
                parent_task_run_id=FlowRunFilterParentTaskRunId(is_null_=False)))
            return runs, subflows

    runs, subflows = asyncio.run(task_runs())
    root = both_runs[0]
    store = Store(default_database_url(root / "dask"))
    with store.session() as session:  # tasks are named by content hash, never by a file name (it may hold a name)
        nurse = session.scalar(select(Transcript.content_hash).where(Transcript.source_name == "en_p1_nurse.txt"))
    store.dispose()
    assert any(r.name == f"analyse file {nurse[:8]}" for r in runs)
    assert any(f.parameters.get("task_runner") == "dask" for f in subflows)


def test_small_windows_of_new_files_give_the_same_study(both_runs, monkeypatch):
    """Files are analysed and stored a window at a time; where the windows fall changes nothing."""
    from qualflow.flows import ingesting

    root, inbox, default, _ = both_runs
    monkeypatch.setattr(ingesting, "WINDOW", 2)
    windowed = code_interviews(str(inbox), str(root / "windowed"))
    assert windowed.transcripts_added == default.transcripts_added and windowed.failed == default.failed
    assert snapshot(root / "windowed") == snapshot(root / "default")


def test_an_unknown_runner_or_a_stray_address_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown task runner 'spark'"):
        with_task_runner("spark")
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(EXAMPLES / "en_p1_nurse.txt"), "--data", str(tmp_path), "--task-runner", "ray"])
    assert result.exit_code == 2 and "'ray' is not one of default, dask" in result.output
    result = runner.invoke(app, ["run", str(EXAMPLES / "en_p1_nurse.txt"), "--data", str(tmp_path),
                                 "--dask-address", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "--dask-address needs --task-runner dask" in result.output
    result = runner.invoke(app, ["run", str(EXAMPLES / "en_p1_nurse.txt"), "--data", str(tmp_path / "d"),
                                 "--task-runner", "dask", "--dask-address", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "cannot reach a Dask scheduler at tcp://127.0.0.1:1" in result.output
    assert not (tmp_path / "d").exists()  # refused before any work


def test_a_running_scheduler_named_by_its_address_does_the_work(tmp_path):
    """`--dask-address`: a scheduler someone started (here a one-worker local cluster) runs the tasks."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        result = CliRunner().invoke(app, ["run", str(EXAMPLES / "en_p1_nurse.txt"), "--data", str(tmp_path / "d"),
                                          "--config", "small-study", "--task-runner", "dask",
                                          "--dask-address", cluster.scheduler_address])
        assert result.exit_code == 0, result.output
        with Client(cluster.scheduler_address) as client:
            done = client.run_on_scheduler(lambda dask_scheduler: [str(key) for key in dask_scheduler.task_prefixes])
    assert "1 new transcript" in result.output
    assert any("analyse" in key or "encode" in key for key in done), done  # the tasks ran on that cluster
