"""A task that fails leaves one content-free line in Prefect's logs and in the terminal: which step,
and the error's type (or a QualflowError's own message), never the error's message, repr or
traceback, which can quote a transcript (SQLAlchemy's messages carry the SQL parameters).

Each test injects a failure whose message holds a transcript sentence into one task's pipeline
call, runs the real flow (`qualflow run` in a process of its own, as in a terminal: its temporary
Prefect server keeps its runs in the tests' PREFECT_HOME; a real SQLite study), and reads back what
Prefect's server stored: task-run names, state messages and log lines."""

import csv
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import exc

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SENTENCE = "my sister found me on the kitchen floor the night before the tribunal"


def value_error(*args, **kwargs):
    raise ValueError(f"could not handle {SENTENCE!r}")


def integrity_error(*args, **kwargs):
    # As SQLAlchemy raises it: its message lists the statement's parameters, the transcript's text among them.
    raise exc.IntegrityError("INSERT INTO statements (text) VALUES (?)", (SENTENCE,),
                             sqlite3.IntegrityError("UNIQUE constraint failed: statements.text_hash"))


def data_error(*args, **kwargs):
    raise exc.DataError("INSERT INTO statements (text) VALUES (?)", (SENTENCE,), ValueError("value too long"))


def what_prefect_keeps(source: Path) -> str:
    """Task-run names and state messages, flow-run state messages and every log line of the runs on `source`."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.logging.handlers import APILogHandler

    from qualflow.flows.run_record import ONE_FILE

    APILogHandler().flush()  # log lines go to the server in batches: send the last ones before reading back
    shown = source if source.is_dir() else source.parent / ONE_FILE  # a file's name stays out of the parameters
    with get_client(sync_client=True) as client:  # other tests' runs may share this Prefect server
        flow_runs = [run for run in client.read_flow_runs(sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=200)
                     if run.parameters.get("source") == str(shown)]
        ids = [run.id for run in flow_runs]
        assert ids
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)))
    assert logs
    return "\n".join([t.name for t in task_runs] + [str(t.state.message) for t in task_runs if t.state]
                     + [str(r.state.message) for r in flow_runs if r.state] + [entry.message for entry in logs])


def study_counts(data: Path) -> dict[str, int]:
    """What the study holds: a run that failed must have written nothing half-way."""
    with sqlite3.connect(data / "qualflow.sqlite") as connection:
        tables = ("transcripts", "statements", "theme_sets", "themes", "suggestions")
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}


def run(inbox: Path, data: Path, *options: str, failing: str | None = None) -> int:
    """`qualflow run` in a process of its own (its output goes to the test's file descriptors: capfd),
    with the task `failing` made to fail (see the end of this file); its exit code."""
    arguments = ["run", str(inbox), "--data", str(data), "--config", "small-study", *options]
    return subprocess.run([sys.executable, __file__, failing or "", *arguments], timeout=600).returncode


def transcripts(folder: Path, *names: str) -> Path:
    folder.mkdir()
    for name in names:
        shutil.copy(EXAMPLES / name, folder)
    return folder


def units_table(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "survey.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "participant", "document", "text"])
        writer.writeheader()
        writer.writerows({"id": str(i), "participant": f"P{i}", "document": f"P{i}",
                          "text": f"The rota was published late in week {i}, so I could never plan childcare."}
                         for i in range(1, 4))
    return path


RAISES = {value_error: "ValueError", integrity_error: "IntegrityError", data_error: "DataError"}

# task: (the pipeline function it calls, in qualflow.flows.tasks; the failure; what the step's line says)
FAILURES = {
    "analyse": ("turns_of_document", value_error, "could not be processed (ValueError)"),
    "store_file": ("store_transcript", integrity_error, "could not be written while storing a new transcript"),
    "deidentify": ("redact", value_error, "could not be processed (ValueError)"),
    "store": ("store_transcript", data_error, "could not be processed (DataError)"),
    "embed": ("embed_with_cache", value_error, "could not embed the statements (ValueError)"),
    "cluster": ("fit_in_context", value_error, "could not cluster the statements (ValueError)"),
    "describe": ("describe_themes", value_error, "could not describe the themes (ValueError)"),
    "store_suggestions": ("store_theme_set", integrity_error, "could not store the suggestions (IntegrityError)"),
    "place_new": ("place_into_current_themes", value_error, "could not place the new statements (ValueError)"),
    "write_report": ("markdown_report", value_error, "could not write the report (ValueError)"),
}
# Tasks whose failure is one file's (quarantined, the run goes on) rather than the run's.
PER_FILE = {"analyse", "deidentify", "store"}
# Tasks whose failure (not a QualflowError, nor a database's that `run` explains in one line) reaches
# `qualflow run` as a bug: one line naming the error's type, its traceback in a file
# (tests/test_unexpected_error_account.py).
CRASHES = {"embed", "cluster", "describe", "store_suggestions", "place_new", "write_report"}


@pytest.mark.parametrize("task", list(FAILURES))
def test_a_failing_task_leaves_one_content_free_line(task, tmp_path, capfd):
    data = tmp_path / "data"
    units = task in ("deidentify", "store")
    if task == "place_new":  # a study with themes, then a new interview to place into them
        inbox = transcripts(tmp_path / "inbox", "en_p1_nurse.txt", "en_p2_social_worker.txt")
        assert run(inbox, data) == 0
        shutil.copy(EXAMPLES / "en_p3_new_graduate.txt", inbox)
    elif units:
        inbox = units_table(tmp_path / "inbox")
    else:
        inbox = transcripts(tmp_path / "inbox", "en_p1_nurse.txt", "en_p2_social_worker.txt")
    before = study_counts(data) if data.exists() else None
    line = FAILURES[task][2]
    capfd.readouterr()

    exit_code = run(inbox, data, *(["--units"] if units else []), failing=task)

    kept = what_prefect_keeps(inbox)
    terminal = capfd.readouterr()
    if task in CRASHES:  # `qualflow run`'s own report of a bug: the error's type, never its message
        assert f"qualflow stopped on an unexpected error ({RAISES[FAILURES[task][1]]} in " in terminal.err
    for where, text in (("Prefect's server", kept), ("stdout", terminal.out), ("stderr", terminal.err)):
        assert SENTENCE not in text, where
        assert "Traceback" not in text, where
    assert exit_code != 0  # the run says it failed
    output = terminal.out + terminal.err
    if task in PER_FILE:  # the file is quarantined with its one line; nothing of it is stored
        assert line in output
        assert list((data / "quarantine").iterdir())
        assert study_counts(data)["statements"] == 0
    else:
        assert line in kept  # the step and a content-free reason, in Prefect's log
    if task == "store_file":  # the database's fault: the run stops, nothing stored, the file not blamed
        assert line in output and study_counts(data)["transcripts"] == 0
        assert not (data / "quarantine").exists() or not list((data / "quarantine").iterdir())
    if task in ("cluster", "describe", "store_suggestions"):
        assert study_counts(data)["theme_sets"] == 0 and study_counts(data)["suggestions"] == 0
    if task == "place_new":
        after = study_counts(data)  # the new interview is stored; the themes and suggestions are as they were
        assert [after[t] for t in ("theme_sets", "themes", "suggestions")] == \
            [before[t] for t in ("theme_sets", "themes", "suggestions")]
    if task == "write_report":
        assert not (data / "report.md").exists()


if __name__ == "__main__":  # `run`: python THIS_FILE TASK qualflow-arguments…
    from qualflow.flows import tasks
    from qualflow.flows.cli import app

    if sys.argv[1]:
        function, failure, _ = FAILURES[sys.argv[1]]
        setattr(tasks, function, failure)
    app(sys.argv[2:], prog_name="qualflow")
