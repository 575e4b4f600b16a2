"""The run's Markdown artifact and the retry rule (flows/run_record.py)."""

import sqlite3

import pytest
from qualflow.flows.batch import RunSummary
from qualflow.flows.run_record import is_transient, run_markdown
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError


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


def _raised(engine, statement: str, begin: bool = False) -> Exception:
    """The error SQLAlchemy raises for `statement`: a real one, from a real SQLite file."""
    try:
        with (engine.begin() if begin else engine.connect()) as connection:
            connection.execute(text(statement))
    except DBAPIError as error:
        return error
    raise AssertionError(f"{statement} did not fail")


def test_a_lock_is_retried_and_a_permanent_database_failure_is_not(tmp_path):
    path = tmp_path / "study.sqlite"
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.1})
    missing = _raised(engine, "SELECT * FROM no_such_table")
    assert isinstance(missing, OperationalError) and "no such table" in str(missing)
    assert not is_transient(missing)
    # Another connection holds SQLite's write lock, as a run storing its results does.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        locked = _raised(engine, "INSERT INTO t VALUES (1)", begin=True)
    finally:
        holder.close()
    assert isinstance(locked, OperationalError) and "database is locked" in str(locked)
    assert is_transient(locked)
    try:  # the same, reached through the chain of a task's own error
        raise RuntimeError("storing failed") from locked
    except RuntimeError as chained:
        assert is_transient(chained)
    cannot_open = _raised(create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.sqlite'}"), "SELECT 1")
    assert isinstance(cannot_open, OperationalError) and "unable to open database file" in str(cannot_open)
    assert not is_transient(cannot_open)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database " * 100)
    not_a_database = _raised(create_engine(f"sqlite:///{garbage}"), "SELECT * FROM sqlite_master")
    assert isinstance(not_a_database, DatabaseError) and not is_transient(not_a_database)
    read_only = tmp_path / "read-only.sqlite"
    sqlite3.connect(read_only).execute("CREATE TABLE t (x)").connection.close()
    readonly_engine = create_engine(f"sqlite:///file:{read_only}?mode=ro&uri=true")
    written = _raised(readonly_engine, "INSERT INTO t VALUES (1)", begin=True)
    assert isinstance(written, OperationalError) and "readonly" in str(written)
    assert not is_transient(written)
    for disk in (sqlite3.OperationalError("database or disk is full"), sqlite3.OperationalError("disk I/O error")):
        assert not is_transient(OperationalError("INSERT …", {}, disk))


def test_a_lost_connection_is_retried():
    psycopg = pytest.importorskip("psycopg")
    # What psycopg 3 raises when the server goes away mid-query, refuses a connection, or the
    # connection was closed under it; and a psycopg2-style InterfaceError.
    for message in (("consuming input failed: server closed the connection unexpectedly\n\tThis probably means "
                     "the server terminated abnormally"),
                    'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused',
                    "the connection is closed", "connection socket closed",
                    "could not connect to server: Connection refused"):
        assert is_transient(OperationalError("SELECT 1", {}, psycopg.OperationalError(message))), message
    assert is_transient(OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown("terminating connection "
                                                                                        "due to administrator command")))
    assert is_transient(OperationalError("SELECT 1", {}, psycopg.InterfaceError("connection already closed")))
    invalidated = OperationalError("SELECT 1", {}, psycopg.OperationalError("whatever the driver says"),
                                   connection_invalidated=True)
    assert is_transient(invalidated)
    # A server that answers, but no: retrying will not change it.
    for permanent in (psycopg.errors.UndefinedTable('relation "themes" does not exist'),
                      psycopg.OperationalError('connection failed: FATAL:  password authentication failed for '
                                               'user "qualflow"'),
                      psycopg.errors.DiskFull("could not extend file: No space left on device"),
                      psycopg.InterfaceError("the cursor is closed")):
        assert not is_transient(OperationalError("SELECT 1", {}, permanent)), permanent
    assert is_transient(TimeoutError("timed out")) and is_transient(ConnectionResetError("reset by peer"))


def test_markdown_lists_counts_and_files_by_name():
    summary = RunSummary(files_seen=4, transcripts_added=2, statements_added=57, unchanged=["p1.txt"],
                         duplicates=["p3.txt: same content as p2.txt, already stored; skipped"],
                         failed=["broken.docx: not a Word file | zip"], embedded=57, themes=5, reclustered=True,
                         database="sqlite:///study.sqlite")
    text = run_markdown(summary)
    assert "| new transcripts | 2 |" in text and "| statements in the new transcripts and versions | 57 |" in text
    assert "- p1.txt" in text and "p3.txt: same content as p2.txt" in text
    assert "broken.docx: not a Word file \\| zip" in text  # a pipe cannot break the table
    assert "| themes | all statements clustered again |" in text
    # An edited file's new version: its statements are not counted as a new transcript's.
    edited = run_markdown(RunSummary(files_seen=2, statements_added=83, new_versions=["p1.txt"], unchanged=["p2.txt"]))
    assert "| new transcripts | 0 |" in edited and "| new versions of stored files | 1 |" in edited
    assert "| statements in the new transcripts and versions | 83 |" in edited
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


def test_a_codebook_changed_by_a_reviewer_during_the_store_is_retried():
    """The retry reads the codebook again, with the reviewer's decision in it (tests/test_review_during_run.py)."""
    from qualflow.pipeline.persist import ReviewedMeanwhile
    from sqlalchemy.orm.exc import StaleDataError

    assert is_transient(StaleDataError("UPDATE statement on table 'themes' expected to update 6 row(s); 4 were matched."))
    assert is_transient(ReviewedMeanwhile("1 reviewer decisions were made while the run stored its themes"))
