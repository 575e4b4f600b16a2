"""Leftovers in ingestion and batch runs: a folder the run cannot list is reported, not skipped without a
word (#1); a file that fails reports a QualflowError's message but only the type of any other error (#2);
an analysis that fails ends its task run Failed in one line, without Prefect logging the error's repr
and traceback, which can quote the statement spaCy failed on (#3)."""

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from qualflow.flows.ingesting import _unexpected
from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.ingest import Document, read_document

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SENTINEL = "Zebracorn7731"  # in statement text only: it must never reach a log or a report


def without_root_read_powers(command: list[str]) -> list[str]:
    """`command`, run so that a folder's permission bits hold for it. The tests run as root, and root
    lists a chmod 000 folder anyway (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH). With those two dropped from
    its bounding set the command is still root, owner of the test's files, Prefect's home and the caches,
    but the kernel checks permissions for it as for anyone: a real EACCES from os.scandir, no mock."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, and setpriv (util-linux) is not there to drop root's power to read any folder")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(without_root_read_powers([sys.executable, "-c", code, *args]), capture_output=True,
                          text=True, timeout=900)


@pytest.fixture
def inbox_with_a_locked_folder(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "site_a").mkdir(parents=True)
    (inbox / "site_b").mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox / "site_a" / "en_p1_nurse.txt")
    (inbox / "site_b" / "P2.txt").write_text(f"P2: {SENTINEL} was never read.\n", "utf-8")
    (inbox / "site_b").chmod(0)
    yield inbox
    (inbox / "site_b").chmod(0o755)  # so pytest can clear it away


DISCOVER = """
import json, sys
from qualflow.pipeline.ingest import discover
reported = []
found = discover(sys.argv[1], [".txt"], unreadable_folder=lambda folder, why: reported.append([str(folder), why]))
try:
    discover(sys.argv[1], [".txt"])
    raised = None
except OSError as error:
    raised = type(error).__name__
print(json.dumps({"found": [str(p) for p in found], "reported": reported, "raised": raised}))
"""


def test_discover_names_a_folder_it_cannot_list_and_goes_on(inbox_with_a_locked_folder):
    inbox = inbox_with_a_locked_folder
    child = run_python(DISCOVER, str(inbox))
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout)
    assert result["found"] == [str(inbox / "site_a" / "en_p1_nurse.txt")]
    assert result["reported"] == [[str(inbox / "site_b"), "Permission denied"]]
    assert result["raised"] == "PermissionError"  # without a callback: an error, never silence


RUN = """
import json, logging, sys
from pathlib import Path
from qualflow.flows.batch import code_interviews
from qualflow.flows.run_record import run_markdown

lines = []


class Kept(logging.Handler):
    def emit(self, record):
        lines.append(self.format(record))


kept = Kept(logging.DEBUG)
kept.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
logging.getLogger().addHandler(kept)
logging.getLogger("qualflow").setLevel(logging.DEBUG)
summary = code_interviews(sys.argv[1], sys.argv[2], "small-study")
Path(sys.argv[3]).write_text(json.dumps({
    "failed": summary.failed, "unreadable_folders": summary.unreadable_folders, "files_seen": summary.files_seen,
    "added": summary.transcripts_added, "markdown": run_markdown(summary), "logs": lines}), "utf-8")
"""


@pytest.mark.slow
def test_a_run_reports_a_folder_it_cannot_read_and_stores_the_rest(inbox_with_a_locked_folder, tmp_path):
    inbox, data, out = inbox_with_a_locked_folder, tmp_path / "data", tmp_path / "run.json"
    child = run_python(RUN, str(inbox), str(data), str(out))
    assert child.returncode == 0, child.stderr[-3000:]
    run = json.loads(out.read_text("utf-8"))
    line = "site_b/: the folder cannot be read (Permission denied); no file in it was read"
    assert run["failed"] == [line] and run["unreadable_folders"] == [line]
    assert run["files_seen"] == 1 and run["added"] == 1  # the run went on with the folder it could read
    assert f"- {line}" in run["markdown"].replace("\\_", "_")  # the artifact Prefect shows
    reason = (data / "quarantine" / "site_b.reason.txt").read_text("utf-8")
    assert f"file: {inbox / 'site_b'}" in reason and "Permission denied" in reason
    said = "\n".join(run["logs"]) + child.stderr + child.stdout
    assert "could not read a folder" in said
    for words in (SENTINEL, "caseload is thirty-two"):  # what the two folders hold
        assert words not in said


def test_a_qualflow_error_is_reported_with_its_message(tmp_path):
    empty = tmp_path / "P3.txt"
    empty.write_text("")
    with pytest.raises(UnreadableFile) as raised:
        read_document(empty)
    outcome = _unexpected(empty, raised.value)
    assert outcome == ("failed", "P3.txt: could not be processed (P3.txt: the file is empty)", 0)


def test_any_other_error_is_reported_by_its_type_only(tmp_path):
    with pytest.raises(UnicodeEncodeError) as raised:
        f"P3: {SENTINEL}\ud800 and more".encode("utf-8")
    assert SENTINEL in repr(raised.value)  # what reporting the error itself would show
    outcome = _unexpected(tmp_path / "P3.txt", raised.value)
    assert outcome == ("failed", "P3.txt: could not be processed (UnicodeEncodeError)", 0)


def _document(name: str, text: str) -> Document:
    # A lone surrogate cannot come from a file (the readers refuse them); it stands for any input a
    # library fails on with an error whose repr quotes the text: here spaCy's UnicodeEncodeError.
    return Document(name, text, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), "txt")


def _prefect_kept(flow_run_id) -> tuple[list, str]:
    """The flow run's task runs and every log line Prefect's server holds for it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=30)  # the log lines still on their way to the server
    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    return task_runs, "\n".join(entry.message for entry in logs)


def test_a_failed_analysis_is_one_line_that_quotes_no_statement(tmp_path, caplog):
    from prefect import flow
    from prefect.runtime import flow_run
    from qualflow.flows.ingesting import _analyse_and_store, _NewFile, make_helpers
    from qualflow.models import Store, default_database_url
    from qualflow.pipeline.config import load_config

    config, data = load_config("small-study"), tmp_path / "data"
    data.mkdir()
    bad = _document("P4.txt", f"Interviewer: How was the first week?\nP4: It was hard, {SENTINEL}\ud800 and all.\n")
    good = read_document(EXAMPLES / "en_p1_nurse.txt")
    outcomes = {}

    @flow(name="analyse-leftovers")
    def analyse_two_files() -> str:
        db = Store(default_database_url(data))
        files = [_NewFile(Path("P4.txt"), bad), _NewFile(Path("en_p1_nurse.txt"), good)]
        _analyse_and_store(files, db, make_helpers(config, data), False,
                           lambda path, outcome: outcomes.setdefault(path.name, outcome), lambda _: None, set())
        db.dispose()
        return flow_run.id

    caplog.set_level(logging.DEBUG, logger="qualflow")  # and what Prefect logs (WARNING and up)
    flow_run_id = analyse_two_files()
    assert outcomes["P4.txt"] == ("failed", "P4.txt: could not be processed (UnicodeEncodeError)", 0)
    assert outcomes["en_p1_nurse.txt"][0] == "added"  # the run went on
    said = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert SENTINEL not in said
    assert "could not analyse the file (UnicodeEncodeError)" in said
    task_runs, logged = _prefect_kept(flow_run_id)
    analyses = {run.state.type.value: run.state.message for run in task_runs if run.name.startswith("analyse file")}
    assert analyses["FAILED"] == "could not analyse the file (UnicodeEncodeError)"  # failed, and clearly so
    assert "COMPLETED" in analyses
    assert "could not analyse the file" in logged and SENTINEL not in logged


@pytest.mark.slow
def test_the_cli_codes_the_one_readable_file_beside_a_folder_it_cannot_read(inbox_with_a_locked_folder, tmp_path):
    """One file seen and one line failed is not "the one file given could not be used" when the failed
    line is a folder: the run goes on, shows its themes, and ends with exit code 1 for the folder."""
    qualflow = Path(sys.executable).with_name("qualflow")
    child = subprocess.run(without_root_read_powers([str(qualflow), "run", str(inbox_with_a_locked_folder),
                                                     "--data", str(tmp_path / "data"), "--config", "small-study"]),
                           capture_output=True, text=True, timeout=900)
    said = " ".join((child.stdout + child.stderr).split())
    assert child.returncode == 1, said[-3000:]
    assert "1 file: 1 new transcript" in said
    assert "failed site_b/: the folder cannot be read (Permission denied)" in said
    assert "statements in themes" in said and SENTINEL not in said
