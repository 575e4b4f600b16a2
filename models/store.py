"""Opening the study database: a SQLite file in the data folder by default, PostgreSQL (or any
SQLAlchemy URL) when given one."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qualflow.models.migrate import current_revision, head_revision, upgrade
from qualflow.models.records import Base
from qualflow.pipeline.errors import QualflowError
from sqlalchemy import create_engine, event, func, select
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
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


def study_is_there(url: str) -> bool:
    """Whether the study database at `url` exists, without creating it: a SQLite file that is there and
    not empty (what is in it is checked when it is opened), or a server's database that has the study's
    tables."""
    file = database_file(url)
    if file is not None:
        path, log = Path(file), Path(file + "-wal")  # a new study's tables may still be in its write-ahead log
        return path.is_file() and (path.stat().st_size > 0 or (log.is_file() and log.stat().st_size > 0))
    from sqlalchemy import inspect

    engine = create_engine(normalise_url(url))
    try:
        return inspect(engine).has_table("transcripts")
    finally:
        engine.dispose()


def study_location(url: str) -> str:
    """What a message names the study by: its SQLite file, else its URL without the password."""
    return database_file(url) or display_url(url)


class StudyNotWritable(QualflowError):
    """The study cannot be written here: its folder or its database file is read-only (an archived or
    shared copy, a read-only mount) and a command needs to write to it. Reading it still works."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


# PostgreSQL's SQLSTATEs for a write the server refuses for good: insufficient_privilege (a SELECT-only
# account) and read_only_sql_transaction (a standby, or default_transaction_read_only).
_READ_ONLY_SQLSTATES = ("42501", "25006")
# SQLite's answer for a write to a file it could open only for reading (SQLITE_READONLY and its variants).
_READ_ONLY_MESSAGES = ("attempt to write a readonly database", "readonly database")


def is_read_only_database(error: BaseException) -> bool:
    """Whether a database error (SQLAlchemy's, or the driver's own) says the study could not be written
    because the file, or the folder SQLite keeps its journal in, is read-only; or because the PostgreSQL
    account may only read (or the server only allows reading)."""
    return _driver_says(error, "SQLITE_READONLY", _READ_ONLY_SQLSTATES, _READ_ONLY_MESSAGES)


def _driver_says(error: BaseException, sqlite_name: str, sqlstates: tuple[str, ...], messages: tuple[str, ...]) -> bool:
    """Whether a database error (SQLAlchemy's, or the driver's own) is of one kind: SQLite's error name
    (which older Pythons do not give), PostgreSQL's SQLSTATE, else SQLite's message."""
    orig = getattr(error, "orig", None) or error
    if (getattr(orig, "sqlite_errorname", None) or "").startswith(sqlite_name):
        return True
    if (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) in sqlstates:
        return True
    import sqlite3

    return isinstance(orig, sqlite3.OperationalError) and any(text in str(orig).lower() for text in messages)


# A full disk (or quota): SQLite's SQLITE_FULL ("database or disk is full"), PostgreSQL's disk_full (53100),
# or a file write's ENOSPC/EDQUOT. Not a bug, and not the file's: freeing space and running again mends it.
_DISK_FULL_SQLSTATES = ("53100",)
_DISK_FULL_MESSAGES = ("database or disk is full",)


def is_disk_full(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from (a failed step's cause), says the disk is full."""
    import errno

    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        orig = getattr(error, "orig", None) or error
        if isinstance(orig, OSError) and orig.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if _driver_says(error, "SQLITE_FULL", _DISK_FULL_SQLSTATES, _DISK_FULL_MESSAGES):
            return True
        error = error.__cause__ or error.__context__
    return False


def disk_full_message(where: str, doing: str | None = None) -> str:
    """The one line for a full disk, at any step of any command: `where` names the file or folder."""
    while_doing = f" (while trying to {doing})" if doing else ""
    return (f"the disk holding {where} is full{while_doing}: free some space and run again; "
            "nothing is half-stored")


# A server that cannot be reached, or whose connection dropped (a restart, a crash, a network failure):
# SQLSTATE class 08 and the server shutting down, crashing or starting (57P01-57P03). The one list for
# the store's one-line errors and for the flow's retries (flows/run_record.py `is_transient`).
CONNECTION_LOST_SQLSTATES = ("57P01", "57P02", "57P03")
# The same by message (libpq's and psycopg's own texts, which carry no SQLSTATE), lower case. Not psycopg's
# "connection failed" alone: a wrong password or database fails that way too, and for good.
CONNECTION_LOST_MESSAGES = (
    "server closed the connection", "could not connect", "connection refused", "connection socket closed",
    "connection is closed", "connection already closed", "consuming input failed", "could not receive data from server",
    "could not send data to server", "no connection to the server", "terminating connection",
    "the database system is", "connection reset", "connection timed out", "timeout expired", "no route to host",
    "ssl syscall error", "ssl connection has been closed unexpectedly",
)


def sqlstate_says_connection_lost(error: BaseException) -> bool:
    """Whether a driver's error (or SQLAlchemy's wrapper of one) carries a lost-connection SQLSTATE."""
    orig = getattr(error, "orig", None) or error
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or ""
    return sqlstate.startswith("08") or sqlstate in CONNECTION_LOST_SQLSTATES


def message_says_connection_lost(error: BaseException) -> bool:
    """Whether a driver's error (or SQLAlchemy's wrapper of one) says so in words."""
    orig = getattr(error, "orig", None) or error
    return any(text in str(orig).lower() for text in CONNECTION_LOST_MESSAGES)


def is_database_unreachable(error: BaseException) -> bool:
    """Whether a database error says the server could not be reached, or the connection to it was lost."""
    if isinstance(error, StudyDatabaseUnreachable) or getattr(error, "connection_invalidated", False):
        return True
    if sqlstate_says_connection_lost(error):
        return True
    orig = getattr(error, "orig", None) or error
    if not type(orig).__name__ == "OperationalError":  # psycopg's or SQLAlchemy's; not a lock or a bad query
        return False
    return not is_lock_error(error) and message_says_connection_lost(error)


class StudyDatabaseUnreachable(QualflowError, OperationalError):
    """The study's database server went away (stopped, restarted, unreachable). One line for the user,
    naming the database (password masked), and what to do. It is still an OperationalError with the
    driver's error as `orig`: whatever handles a lost connection (a retry, the review app's 503 page)
    handles this one too."""

    def __init__(self, message: str, orig: BaseException | None = None):
        Exception.__init__(self, message)
        self.message, self.orig = message, orig
        self.statement, self.params, self.code, self.detail = None, None, None, []
        self.connection_invalidated, self.hide_parameters, self.ismulti = True, True, False

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # Prefect may pickle a failed task's exception: the driver's error stays behind
        return type(self), (self.message,)


class StudyLockLost(QualflowError):
    """The connection holding a PostgreSQL advisory lock closed (a server restart), and the lock went with
    it: another run may be in the same critical section now. The step stops before it writes more."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Foreign keys are off by default in SQLite; WAL lets a reader (the CLI) look while a run writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_pragmas_read_only(dbapi_connection, _record) -> None:
    # Opened read-only: WAL mode is the writer's to set (and setting it needs a writable folder).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _opened_read_only(url: str) -> bool:
    from sqlalchemy.engine import make_url

    query = make_url(url).query
    return query.get("mode") == "ro" or query.get("immutable") == "1"


def _folder_cannot_be_written(folder: str) -> bool:
    """A read-only mount, or a folder this user may not write in: SQLite can make neither its
    lock files nor the WAL index (-shm) there, and a plain open of a WAL database fails."""
    try:
        read_only_mount = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False
    return read_only_mount or not os.access(folder, os.W_OK)


def readable_url(url: str) -> str:
    """The URL to open a study with: unchanged, except for a SQLite file in a folder that cannot be
    written (an archived copy on a read-only mount, a shared folder owned by someone else), which is
    opened read-only. With no write-ahead log beside it (nothing is being written now) it is opened
    `immutable`, the only way SQLite reads a WAL database without making its -shm file; with one,
    `mode=ro` reads the log's committed work too."""
    database = database_file(url)
    if database is None or _opened_read_only(url) or not os.path.isfile(database):
        return url
    if any(character in database for character in "?#%"):  # cannot be written in SQLite's file: URI
        return url
    if not _folder_cannot_be_written(os.path.dirname(os.path.abspath(database))):
        return url
    wal = f"{database}-wal"
    being_written = os.path.exists(wal) and os.path.getsize(wal) > 0
    return f"sqlite:///file:{os.path.abspath(database)}?mode=ro{'' if being_written else '&immutable=1'}&uri=true"


# Lock files of a SQLite study sit in a hidden folder beside the database, so that a researcher opening
# the data folder sees the study, its report and its cache, not empty files. They are never deleted:
# a process waiting for an flock holds the old file open, and one that deleted it on release would let
# a newcomer lock a new file of the same name while that waiter goes on with the old one.
LOCKS_FOLDER = ".qualflow-locks"


def sqlite_lock_file(database: str, key: int) -> str:
    """Where the lock numbered `key` (Store.exclusive) of the SQLite file `database` is taken."""
    folder, name = os.path.split(database)
    return os.path.join(folder, LOCKS_FOLDER, f"{name}.{key & 0xFFFFFFFF:08x}.lock")


def _new_study_file_is_private(url: str) -> None:
    """Make a new SQLite study file readable by its owner only, before SQLite makes it with the umask's
    mode (0644 as a rule). It holds the key map (real names, phone and ID numbers against their
    placeholders) and reviewers' password hashes: on a shared lab server every account could read them
    (privacy audit F6). SQLite gives its -wal and -shm files the database file's mode. A study file that
    exists is left as its owner set it (a lab may share one with a group on purpose)."""
    database = database_file(url)
    if database is None or _opened_read_only(url):  # None: in memory, or not SQLite
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        pass  # there already, or a folder SQLite will report on in its own words


class Store:
    """The study database. Creates or upgrades its tables on open."""

    def __init__(self, url: str):
        self.url = readable_url(normalise_url(url))
        self._shown_url = display_url(url)  # as the user gave it, without the password: for messages
        _new_study_file_is_private(self.url)
        # pre_ping: a nightly job outlives server restarts and idle-connection timeouts. hide_parameters:
        # a failed statement's message would otherwise carry its values (statement text, the real names
        # of the key map) into tracebacks, Prefect's logs and its task states.
        self.engine: Engine = create_engine(self.url, pool_pre_ping=True, hide_parameters=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect",
                         _sqlite_pragmas_read_only if _opened_read_only(self.url) else _sqlite_pragmas)
        # PostgreSQL advisory locks this store holds (name -> the lock's key and its connection's backend):
        # a write inside the critical section first checks that its lock is still there.
        self._held_locks: dict[str, tuple[int, int]] = {}
        # The schema comes from the Alembic revisions in models/migrations/ (one at a time across processes).
        # A study already at the newest revision needs neither an upgrade nor the lock (a file beside
        # the database): so a read-only study (an archived or shared copy) can still be read.
        with self._unreachable_is_one_line(opening=True):
            if self._migration_due():
                try:
                    with self.exclusive("schema"):
                        upgrade(self.engine)
                except StudyNotWritable as error:
                    raise StudyNotWritable(f"the study {self.location()} needs an upgrade to this version of "
                                           f"qualflow, but {error.reason}; make it writable, or use the qualflow "
                                           "version that made it") from error
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error. Inside a critical section
        (`exclusive`) on PostgreSQL, nothing is committed once its lock has been lost."""
        session = self._sessions()
        try:
            with self._unreachable_is_one_line():
                self._check_locks_held(session)
                yield session
                self._check_locks_held(session)
                session.commit()
        except BaseException:
            self._roll_back(session)
            raise
        finally:
            session.close()

    @staticmethod
    def _roll_back(session: Session) -> None:
        try:
            session.rollback()
        except Exception as error:  # a dead connection: the server rolls the transaction back itself
            if not is_database_unreachable(error):
                raise

    @contextmanager
    def _unreachable_is_one_line(self, opening: bool = False) -> Iterator[None]:
        """A lost or refused connection to the database server becomes StudyDatabaseUnreachable: one
        line naming the database. A run stores each file, and each clustering, in one transaction,
        so nothing is half-stored, and running again carries on where it stopped."""
        try:
            yield
        except OperationalError as error:
            if isinstance(error, StudyDatabaseUnreachable) or not is_database_unreachable(error):
                raise
            _, reason = driver_error(error)
            if opening:
                message = (f"cannot reach the study database {self._shown_url} ({reason}); check that the "
                           "database server is running, then try again")
            else:
                message = (f"lost the connection to the study database {self._shown_url} ({reason}); nothing was "
                           "half-stored: check that the database server is running, then run again")
            raise StudyDatabaseUnreachable(message, error.orig) from error

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
        """Its SQLite file, else its URL as the user gave it (without the password)."""
        return database_file(self.url) or self._shown_url

    def cannot_write(self) -> str | None:
        """Why the study database cannot be written (a read-only file, or a read-only folder for its
        journal and locks), else None. Checked by a write that is rolled back: nothing changes. Another
        writer holding the database (a run, a review) means it can be written: that one waits its turn."""
        if self.dialect == "postgresql":
            return self._postgres_cannot_write()
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
            with self._advisory_lock(name, key):
                yield
            return
        database = self._sqlite_file()
        if database is None:
            yield
            return
        import fcntl

        lock = sqlite_lock_file(database, key)
        try:
            os.makedirs(os.path.dirname(lock), exist_ok=True)
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

    def _postgres_cannot_write(self) -> str | None:
        """Why this PostgreSQL account cannot write the study (a read-only server, or an account that
        may only read its tables), else None. Only reads the server's catalogue."""
        from qualflow.models.records import Base as Records

        with self._unreachable_is_one_line(), self.engine.connect() as connection:
            if connection.exec_driver_sql("SHOW transaction_read_only").scalar() == "on":
                return "the database server only allows reading (a standby, or default_transaction_read_only)"
            user = connection.exec_driver_sql("SELECT current_user").scalar()
            tables = [t.name for t in Records.metadata.sorted_tables]
            refused = [t for t in tables if not connection.exec_driver_sql(
                "SELECT has_table_privilege(current_user, %(table)s, 'INSERT')", {"table": t}).scalar()]
        if refused:
            return (f"the database account {user} may only read it (no INSERT on {len(refused)} of its "
                    f"{len(tables)} tables, e.g. {refused[0]})")
        return None

    @contextmanager
    def _advisory_lock(self, name: str, key: int) -> Iterator[None]:
        """A session advisory lock, held by a connection of its own for the critical section. A server
        restart closes that connection and releases the lock: `_check_locks_held` then stops every
        write in the section, and the unlock at the end, which cannot succeed, is a warning only."""
        with self._unreachable_is_one_line():
            connection = self.engine.connect()
            try:
                connection.exec_driver_sql(f"SELECT pg_advisory_lock({key})")
                backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                connection.commit()  # the lock outlives the transaction: no "idle in transaction" meanwhile
            except BaseException:
                connection.close()
                raise
        self._held_locks[name] = (key, backend)
        try:
            yield
        except BaseException:
            self._held_locks.pop(name, None)
            self._unlock(connection, key, name, after_success=False)  # the section's own error is the one to see
            raise
        self._held_locks.pop(name, None)
        self._unlock(connection, key, name, after_success=True)

    def _unlock(self, connection, key: int, name: str, after_success: bool) -> None:
        try:
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
            connection.commit()
        except OperationalError as error:
            if not is_database_unreachable(error):
                raise
            # The connection is gone, and the server released the lock with it. The section's writes each
            # checked their lock before committing, so what it stored was stored under the lock.
            if after_success:
                log.warning("the %s lock on the study database %s was already released: its connection closed "
                            "(%s); the work done under it was stored", name, self._shown_url, driver_error(error)[1])
        finally:
            try:
                connection.close()
            except Exception:  # the connection is dead: nothing to give back
                pass

    def _check_locks_held(self, session: Session) -> None:
        """Inside a critical section on PostgreSQL: the advisory locks it holds are still held by their
        connections. Checked in the session's own transaction, right before its work starts and before
        it commits: a lost lock stops the step with nothing of it stored."""
        for name, (key, backend) in list(self._held_locks.items()):
            unsigned = key & 0xFFFFFFFFFFFFFFFF  # pg_locks shows a bigint key as two 32-bit halves
            held = session.execute(
                sql_text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = :backend "
                         "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"),
                {"backend": backend, "high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF}).scalar()
            if not held:
                raise StudyLockLost(
                    f"lost the {name} lock on the study database {self._shown_url}: the connection holding it "
                    "closed (was the database server restarted?), and another run may have taken it; nothing "
                    "of this step was stored. Run again")

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
