"""Opening the study database: a SQLite file in the data folder by default, PostgreSQL (or any
SQLAlchemy URL) when given one."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qualflow.models.migrate import current_revision, head_revision, upgrade
from qualflow.models.records import Base
from qualflow.pipeline.errors import QualflowError
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

DATABASE_FILE = "qualflow.sqlite"


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{(Path(data_dir) / DATABASE_FILE).resolve()}"


def database_from_environment() -> str | None:
    """$QUALFLOW_DB: a study kept outside the data folder (PostgreSQL), for every command and the web app."""
    return os.environ.get("QUALFLOW_DB") or None


def study_database_url(data_dir: Path) -> str:
    return database_from_environment() or default_database_url(data_dir)


def normalise_url(url: str) -> str:
    """`postgresql://…` (what people copy from their server's docs) uses psycopg 3, which
    qualflow installs; SQLAlchemy would otherwise look for psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def display_url(url: str) -> str:
    """The URL without its password, for messages and reports."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# PostgreSQL's SQLSTATEs for another transaction in the way: lock_not_available (NOWAIT, lock_timeout),
# serialization_failure and deadlock_detected. The same work may succeed in a moment.
_LOCK_SQLSTATES = ("55P03", "40001", "40P01")
# The same, by message, for drivers that carry no code.
_LOCK_MESSAGES = ("database is locked", "database table is locked", "could not obtain lock", "lock timeout",
                  "could not serialize access", "deadlock detected")


def is_lock_error(error: BaseException) -> bool:
    """Whether a database error (SQLAlchemy's, or the driver's own) means another writer held a
    lock, as a batch run storing its results does: worth trying again shortly. Anything else (a
    missing table, a disk error, a lost connection) will fail the same way again."""
    orig = getattr(error, "orig", None) or error  # the driver's error: SQLAlchemy's text quotes the SQL
    if (getattr(orig, "sqlite_errorname", None) or "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return True
    if (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) in _LOCK_SQLSTATES:
        return True
    message = str(orig).lower()
    return any(text in message for text in _LOCK_MESSAGES)


def driver_error(error: BaseException) -> tuple[str, str]:
    """The database driver's error class and the first line of its message, for a log or a one-line
    error: SQLAlchemy's own text quotes the SQL statement, the driver's first line names no values."""
    orig = getattr(error, "orig", None) or error
    return type(orig).__name__, (str(orig).strip().splitlines() or ["no message"])[0]


# SQLite's answer for a file that is not, or no longer, a database: overwritten, truncated or damaged
# (SQLITE_NOTADB, SQLITE_CORRUPT and its variants). No retry or re-run helps; a backup does.
_UNREADABLE_SQLITE = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
_UNREADABLE_MESSAGES = ("file is not a database", "database disk image is malformed")


def is_unreadable_database(error: BaseException) -> bool:
    """Whether a database error (SQLAlchemy's, or sqlite3's own) says the SQLite file is not a
    readable database: SQLAlchemy raises these as DatabaseError, not OperationalError."""
    orig = getattr(error, "orig", None) or error
    if (getattr(orig, "sqlite_errorname", None) or "").startswith(_UNREADABLE_SQLITE):
        return True
    import sqlite3

    return isinstance(orig, sqlite3.DatabaseError) and any(text in str(orig).lower() for text in _UNREADABLE_MESSAGES)


# URLs given to this process, by the form they take as flow parameters (`as_parameter`).
_GIVEN_URLS: dict[str, str] = {}


def as_parameter(url: str) -> str:
    """A database URL as a flow parameter: without its password. Prefect keeps every run's parameters in
    its own database and shows them in its UI. A run in this process finds the URL again here; one a
    `serve` process starts, in $QUALFLOW_DB, which serving sets (flows/serve.py)."""
    shown = display_url(url)
    _GIVEN_URLS[shown] = url
    return shown


def from_parameter(parameter: str | None) -> str | None:
    """The URL a flow parameter stands for: the one given to this process, or $QUALFLOW_DB, when the
    parameter is that URL without its password."""
    if parameter in _GIVEN_URLS:
        return _GIVEN_URLS[parameter]
    found = database_from_environment()
    if parameter and found and found != parameter and display_url(found) == parameter:
        return found
    return parameter


def database_file(url: str) -> str | None:
    """The file of a SQLite URL (None for a server's URL or an in-memory database): what a
    message about a damaged file names, rather than the URL."""
    from sqlalchemy.engine import make_url

    parsed = make_url(normalise_url(url))
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if parsed.query.get("uri") in ("true", "1") and database.startswith("file:"):  # sqlite:///file:PATH?mode=ro&uri=true
        return None if parsed.query.get("mode") == "memory" else database[len("file:"):]
    return database


def study_location(url: str) -> str:
    """What a message names the study by: its SQLite file, else its URL without the password."""
    return database_file(url) or display_url(url)


class StudyNotWritable(QualflowError):
    """The study cannot be written here: its folder or its database file is read-only (an archived or
    shared copy, a read-only mount) and a command needs to write to it. Reading it still works."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


# SQLite's answer for a write to a file it could open only for reading (SQLITE_READONLY and its variants).
_READ_ONLY_MESSAGES = ("attempt to write a readonly database", "readonly database")


def is_read_only_database(error: BaseException) -> bool:
    """Whether a database error (SQLAlchemy's, or sqlite3's own) says the study could not be written
    because the file, or the folder SQLite keeps its journal in, is read-only."""
    orig = getattr(error, "orig", None) or error
    if (getattr(orig, "sqlite_errorname", None) or "").startswith("SQLITE_READONLY"):
        return True
    import sqlite3

    return isinstance(orig, sqlite3.OperationalError) and any(text in str(orig).lower()
                                                              for text in _READ_ONLY_MESSAGES)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Foreign keys are off by default in SQLite; WAL lets a reader (the CLI) look while a run writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class Store:
    """The study database. Creates or upgrades its tables on open."""

    def __init__(self, url: str):
        self.url = normalise_url(url)
        # pre_ping: a nightly job outlives server restarts and idle-connection timeouts. hide_parameters:
        # a failed statement's message would otherwise carry its values (statement text, the real names
        # of the key map) into tracebacks, Prefect's logs and its task states.
        self.engine: Engine = create_engine(self.url, pool_pre_ping=True, hide_parameters=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # The schema comes from the Alembic revisions in models/migrations/ (one at a time across processes).
        # A study already at the newest revision needs neither an upgrade nor the lock (a file beside
        # the database): so a read-only study (an archived or shared copy) can still be read.
        if self._migration_due():
            try:
                with self.exclusive("schema"):
                    upgrade(self.engine)
            except StudyNotWritable as error:
                raise StudyNotWritable(f"the study {self.location()} needs an upgrade to this version of qualflow, "
                                       f"but {error.reason}; make it writable, or use the qualflow version "
                                       "that made it") from error
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _migration_due(self) -> bool:
        """Whether the database is not yet at the newest revision (a new, an old or a pre-migration study).
        Only reads: nothing is written to find out."""
        return current_revision(self.engine) != _head()

    def _sqlite_file(self) -> str | None:
        """The SQLite file (None for a server, or an in-memory database)."""
        return database_file(self.url)

    def location(self) -> str:
        return study_location(self.url)

    def cannot_write(self) -> str | None:
        """Why the study database cannot be written (a read-only file, or a read-only folder for its
        journal and locks), else None. Checked by a write that is rolled back: nothing changes. Another
        writer holding the database (a run, a review) means it can be written: that one waits its turn."""
        if self.dialect != "sqlite" or self._sqlite_file() is None:
            return None
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                version = cursor.execute("PRAGMA main.user_version").fetchone()[0]
                cursor.execute(f"PRAGMA main.user_version = {int(version)}")
            finally:
                if connection.driver_connection.in_transaction:
                    cursor.execute("ROLLBACK")
        except Exception as error:
            if is_lock_error(error):
                return None
            if is_read_only_database(error):
                return "the file is read-only"
            return driver_error(error)[1]
        finally:
            connection.close()
        try:
            with self.exclusive("ingest"):
                return None
        except StudyNotWritable as error:
            return error.reason

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Hold a lock named `name` across processes: two flow runs at once take turns at the
        steps that must not interleave (storing a file, re-clustering). PostgreSQL: a session
        advisory lock; a SQLite file: an flock on a file beside it; an in-memory database has
        one process and needs none."""
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        if self.dialect == "postgresql":
            with self.engine.connect() as connection:
                connection.exec_driver_sql(f"SELECT pg_advisory_lock({key})")
                try:
                    yield
                finally:
                    connection.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
                    connection.commit()
            return
        database = self._sqlite_file()
        if database is None:
            yield
            return
        import fcntl

        lock = f"{database}.{key & 0xFFFFFFFF:08x}.lock"
        try:
            handle = open(lock, "a+")
        except OSError as error:  # a read-only folder, or no permission: nothing can be written here
            reason = f"cannot make or write {lock} ({error.strerror or type(error).__name__})"
            raise StudyNotWritable(f"the study {database} cannot be written: {reason}; nothing was changed",
                                   reason=reason) from error
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def count(self, record: type[Base]) -> int:
        with self.session() as session:
            return session.scalar(select(func.count()).select_from(record)) or 0

    def dispose(self) -> None:
        self.engine.dispose()


_HEAD: list[str] = []


def _head() -> str:
    """The newest revision in models/migrations/ (read once per process)."""
    if not _HEAD:
        _HEAD.append(head_revision())
    return _HEAD[0]
