"""A run's note (a stray byte read as Windows-1252, decisions a new version could not carry) is
printed once in `qualflow run`'s terminal, as a `note` line of its summary. It used to show twice:
first as a warning logged during the run. `serve`, whose summaries no one reads in a terminal, still
logs it. The real CLI in a process of its own, a real flow run."""

import logging
import shutil
from pathlib import Path

from qualflow.flows.batch import code_interviews
from test_cli_errors import run_cli  # the real `qualflow`, in a process of its own (Prefect's logging as users get it)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTE = "1 byte was not UTF-8 and was read as Windows-1252"


def inbox_with_a_stray_byte(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = (EXAMPLES / "en_p1_nurse.txt").read_bytes()
    (inbox / "p1.txt").write_bytes(text.replace(b"\n\n", "\n\nWe\u2019re fine, I\x92m sure.\n\n".encode("utf-8")
                                                .replace(b"\xc2\x92", b"\x92"), 1))
    return inbox


def test_run_prints_a_note_once(tmp_path):
    inbox = inbox_with_a_stray_byte(tmp_path)
    result = run_cli("run", str(inbox), "--data", str(tmp_path / "data"), "--config", "small-study")
    assert result.returncode == 0, result.stderr
    terminal = " ".join((result.stdout + result.stderr).split())
    assert terminal.count(NOTE) == 1 and "note p1.txt: " + NOTE in terminal


def test_the_flow_still_logs_it_for_serve(tmp_path, caplog):
    inbox = inbox_with_a_stray_byte(tmp_path)
    with caplog.at_level(logging.WARNING, logger="qualflow.flows.ingesting"):
        summary = code_interviews(str(inbox), str(tmp_path / "data"), "small-study")
    assert [note for note in summary.notes if NOTE in note]
    assert [r for r in caplog.records if r.name == "qualflow.flows.ingesting" and NOTE in r.getMessage()]
