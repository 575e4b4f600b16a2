"""The run's Markdown artifact and the retry rule (flows/run_record.py)."""

import sqlite3

from qualflow.flows.batch import RunSummary
from qualflow.flows.run_record import is_transient, run_markdown
from sqlalchemy.exc import OperationalError


def test_only_database_and_connection_trouble_is_retried():
    busy = OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))
    assert is_transient(busy)
    try:
        try:
            raise ConnectionError("server closed the connection")
        except ConnectionError as error:
            raise RuntimeError("storing failed") from error
    except RuntimeError as chained:
        assert is_transient(chained)
    assert not is_transient(ValueError("not a transcript"))
    assert not is_transient(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"))


def test_markdown_lists_counts_and_files_by_name():
    summary = RunSummary(files_seen=4, transcripts_added=2, statements_added=57, unchanged=["p1.txt"],
                         duplicates=["p3.txt: same content as p2.txt, already stored; skipped"],
                         failed=["broken.docx: not a Word file | zip"], embedded=57, themes=5, reclustered=True,
                         database="sqlite:///study.sqlite")
    text = run_markdown(summary)
    assert "| new transcripts | 2 (57 statements) |" in text
    assert "- p1.txt" in text and "p3.txt: same content as p2.txt" in text
    assert "broken.docx: not a Word file \\| zip" in text  # a pipe cannot break the table
    assert "| themes | all statements clustered again |" in text
    placed = run_markdown(RunSummary(files_seen=1, transcripts_added=1, statements_added=9, placed=7, themes=5))
    assert "| themes | 7 new statements placed into the current themes |" in placed


def test_progress_is_silent_without_a_terminal_and_counts_with_one(capsys):
    from qualflow.flows.progress import progress_bar

    with progress_bar("files", 3) as advance:  # pytest's stderr is not a terminal
        for _ in range(3):
            advance(1)
    assert capsys.readouterr().err == ""
    with progress_bar("embedding", 10, enabled=True) as advance:
        advance(4)
        advance(6)
    shown = capsys.readouterr().err
    assert "embedding" in shown and "10/10" in shown
