"""`qualflow` on the command line. Errors a user can fix print as one line and exit 2; a bug prints
one content-free line and exits 70, its traceback in an owner-only file in the data folder."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from qualflow.flows.bug_account import DATA_FOLDER, PREFECT_LINES, RUN, SHOW_TRACEBACK, stopped_by_a_bug

try:  # typer 0.29 on has its own copy of click: its usage errors derive from TyperException
    from typer import TyperException as _CommandLineError
except ImportError:  # an older typer: click's
    from click import ClickException as _CommandLineError

# The study databases this command opens (their URLs), for a message naming one found damaged.
_opened: list[str] = []


class _Commands(TyperGroup):
    """Every command: a study database found damaged, on opening ("file is not a database") or in the
    middle of a command (a page that is not a database page: "database disk image is malformed"), is
    one line naming the file. So is a write to a read-only study (its file or its folder, or a
    PostgreSQL account that may only read): reading one works, a command that writes says it cannot.
    So is a database server that stopped or cannot be reached, naming it without its password. Any other
    error is a bug: one line without its message, which can quote interview text (flows/bug_account.py)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, _CommandLineError):
            raise  # a command's own ending (`_fail` among them), or a usage error: already said
        except KeyboardInterrupt:
            _stopped(ctx)
            raise
        except BrokenPipeError:
            _pipe_closed()
        except Exception as error:
            _stopped_on_the_way(ctx, error)
            from qualflow.models.store import (
                StudyNotWritable,
                is_disk_full,
                is_read_only_database,
                is_unreadable_database,
            )

            if isinstance(error, StudyNotWritable):  # a read-only study, and a command that writes
                _fail(str(error))
            _database_went_away(error)
            if is_disk_full(error):
                _disk_full(error)
            if is_read_only_database(error):
                _read_only_database(_opened[-1] if _opened else None, error)
            if is_unreadable_database(error):
                _unreadable_database(_opened[-1] if _opened else None, error)
            if ctx.meta.get(SHOW_TRACEBACK):  # `run --verbose`: Python's traceback on screen, as always
                raise
            stopped_by_a_bug(error, ctx.meta)


def _pipe_closed() -> None:
    """The reader of the output went away (`qualflow export … | head`): not a bug. Exit as a program
    stopped by SIGPIPE does (141), with stdout pointed at /dev/null so that Python's last flush of it
    does not fail too (Python's documentation, "Note on SIGPIPE")."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # no real stdout (a test's runner): nothing will flush to a closed pipe
    raise typer.Exit(141)


app = typer.Typer(
    cls=_Commands,
    name="qualflow",
    help="Suggest themes in interview transcripts for a researcher to confirm.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
export_app = typer.Typer(help="Export results (de-identified text only).", no_args_is_help=True)
app.add_typer(export_app, name="export")


def add_plain_row(table: Table, *cells: str) -> None:
    """A row of the study's words (statements, labels, file names, memos) shown as written: as Rich markup,
    "[laughs]" and "[inaudible]" vanished from quotes, and a "[/]" in a theme's name stopped the command."""
    table.add_row(*(Text(cell) for cell in cells))


def _remember_data_folder(ctx: typer.Context, data: Path) -> Path:
    ctx.meta[DATA_FOLDER] = data
    return data


DataOption = Annotated[
    Path, typer.Option("--data", help="Data folder: the study database and reports.", envvar="QUALFLOW_DATA",
                       callback=_remember_data_folder)
]
DEFAULT_DATA = Path("qualflow-data")
TaskRunnerOption = Annotated[
    str, typer.Option("--task-runner", help="default, or dask: analyse files and embed statements in parallel on a "
                      "Dask cluster (a temporary local one unless --dask-address names a scheduler).")
]
DaskAddressOption = Annotated[
    str | None, typer.Option("--dask-address", help="A running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                             "(with --task-runner dask).")
]
DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="QUALFLOW_DB", help="Database URL (e.g. postgresql://user@host/study) instead of "
                 "the SQLite file in the data folder."),
]


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """"1 file", "2 files", "0 statements", "3 subcategories" (with `plural`)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _fail(message: str) -> None:
    typer.echo(f"qualflow: error: {message}", err=True)
    raise typer.Exit(2)


def _unreadable_database(url: str | None, error: BaseException) -> None:
    """A SQLite file that is not (or no longer) a database: say which file, and that only a backup
    helps. The file is left exactly as it is: nothing here or before it writes to it."""
    from qualflow.models.store import driver_error, study_location

    where = study_location(url) if url else "the study database"
    _, reason = driver_error(error)
    _fail(f"{where} is not a readable SQLite database ({reason}): it was damaged or overwritten; restore it "
          "from a backup (qualflow has not changed it)")


def _read_only_database(url: str | None, error: BaseException) -> None:
    """A write refused because the study's file (or the folder SQLite keeps its journal in) is read-only,
    or because the database server or account only allows reading."""
    from qualflow.models.store import database_file, driver_error, study_location

    where = study_location(url) if url else "the study database"
    _, reason = driver_error(error)
    why = "the file or its folder is read-only" if database_file(url or "") else "it may only be read here"
    _fail(f"{where} cannot be written ({reason}): {why}; nothing was saved")


def _database_went_away(error: BaseException) -> None:
    """A database server that stopped, restarted or cannot be reached (or took a lock with it): one line
    naming the database without its password, and what to do. Anything else: back to the caller."""
    from qualflow.models.store import (
        StudyDatabaseUnreachable,
        StudyLockLost,
        display_url,
        driver_error,
        is_database_unreachable,
    )

    if isinstance(error, (StudyDatabaseUnreachable, StudyLockLost)):
        _fail(str(error))
    if is_database_unreachable(error):  # raised past the store (it names no database): name the one opened
        where = display_url(_opened[-1]) if _opened else "the study database"
        _fail(f"lost the connection to {where} ({driver_error(error)[1]}); check that the database server is "
              "running, then run again")


def _disk_full(error: BaseException) -> None:
    """A full disk (SQLITE_FULL, ENOSPC) met outside a step of the flow, which says its own (flows/tasks.py
    `disk_full`): one line naming the folder of the file being written, else the study database."""
    from qualflow.models.store import disk_full_message, study_location

    written = getattr(getattr(error, "orig", None) or error, "filename", None)
    where = str(Path(written).parent) if written else study_location(_opened[-1]) if _opened else "the data folder"
    _fail(disk_full_message(where))


# ctx.meta: the signal that stopped a command that stops cleanly on one (`_stop_on_signals`).
_STOPPED_BY = "qualflow.stopped_by"
_SIGNAL_NAMES = {1: "SIGHUP", 2: "Ctrl-C", 15: "SIGTERM"}


def _stop_on_signals(ctx: typer.Context, command: str) -> None:
    """SIGTERM (`timeout`, systemd, Slurm, `kill PID`) and SIGHUP (a closed terminal) stop `command` as
    Ctrl-C does: a KeyboardInterrupt in the main thread, so Prefect's temporary server is stopped on the way
    out (Python's default SIGTERM ends the process there and then, and the server ran on). `_stopped` then
    says so in one line."""
    import signal

    ctx.meta[_STOPPED_BY] = (command, signal.SIGINT)  # a KeyboardInterrupt with no SIGTERM before it: Ctrl-C
    # Should Prefect's server go away as the run stops (a server of the user's, stopped with it), Prefect's log
    # sender writes "--- Error logging to API ---" beside our one line, on stderr, when logging lets handlers
    # report their own failures. Prefect's SIGTERM handler runs before ours, so this cannot wait for the
    # signal. (What the log sender loses, Prefect's UI would have shown; the terminal has the run's own account.)
    logging.raiseExceptions = False

    def interrupt(signum, _frame):
        ctx.meta[_STOPPED_BY] = (command, signum)
        for second in hang_up + [signal.SIGTERM]:  # a second one must not cut the shutdown short
            signal.signal(second, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C still may
        raise KeyboardInterrupt

    # Closing the terminal (SIGHUP to its foreground group) stops the run as SIGTERM does, unless it was started
    # with nohup, whose "ignore" it keeps. Prefect's temporary server is not in the run's process group
    # (flows/temporary_server.py): the hang-up no longer reaches it, and only the run's own exit stops it.
    hang_up = [signal.SIGHUP] if signal.getsignal(signal.SIGHUP) == signal.SIG_DFL else []
    for stop in hang_up + [signal.SIGTERM]:
        signal.signal(stop, interrupt)
    # Ctrl-C too, through the same handler. While Python's own handler is in place, an event loop run in the
    # main thread (asyncio.Runner, which anyio.run and so Prefect's run_async_in_new_loop use) swaps in one
    # that only cancels the running coroutine, and a coroutine that absorbs the cancellation loses the
    # Ctrl-C: once in CI the run went on to the end (tests/test_run_stopped_by_signal.py). asyncio leaves a
    # handler of our own in place.
    signal.signal(signal.SIGINT, interrupt)
    # A stop raised inside a callback from C is only printed there: it is delivered again (flows/stop_signals.py).
    from qualflow.flows.stop_signals import redeliver_swallowed_stops

    redeliver_swallowed_stops()


def _stopped_on_the_way(ctx, error: BaseException) -> None:
    """An error raised while a stop was being handled is the stop's doing, not a bug. Ctrl-C in a terminal,
    `timeout`, systemd and Slurm signal the whole process group, Prefect's temporary server too: the
    flow engine, reporting the stopped run as crashed, then finds no server, and that ConnectError took
    the stop's place ("unexpected error", exit 70). Only for a command that stops cleanly (`_stopped`)."""
    if _STOPPED_BY not in ctx.meta:
        return
    import signal

    from qualflow.flows.stop_signals import signal_in_chain

    signum = signal_in_chain(error)
    if signum is None:
        return
    command, recorded = ctx.meta[_STOPPED_BY]
    # Our handler records the signal it was given; a KeyboardInterrupt says only "some stop".
    ctx.meta[_STOPPED_BY] = (command, recorded if signum == signal.SIGINT else signum)
    _stopped(ctx)


def _stopped(ctx) -> None:
    """A command stopped by Ctrl-C or SIGTERM: one line and exit 128 + the signal (130, 143), as a shell
    reports it. Only a command that stops cleanly (each file, each clustering is one transaction) says so."""
    if _STOPPED_BY not in ctx.meta:
        return
    command, signum = ctx.meta[_STOPPED_BY]
    try:
        typer.echo(f"{command} was stopped ({_SIGNAL_NAMES.get(signum, f'signal {signum}')}): nothing is "
                   "half-stored; run it again to finish.", err=True)
    except OSError:  # a terminal that hung up (SIGHUP) takes no more lines: the exit status says it
        pass
    raise typer.Exit(128 + signum)


class _HeldPrefectErrors(logging.Filter):
    """Prefect's own ERROR lines about failing task and flow runs (each with a traceback), held back from
    the terminal until the run ends: a failure `run` says in one line makes them noise; any other
    failure (a bug) writes them into the bug's account. Prefect's UI gets them as before (only the
    terminal is held)."""

    # prefect.engine: a task's or flow's engine logs there until its run's logger is set up, and a stop landing
    # in between ("Crash detected! ...", once in CI) is logged there.
    RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs", "prefect.engine")

    def __init__(self, handlers: list[logging.Handler]):
        super().__init__()
        self.handlers, self.held, self.shown = handlers, [], False

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.shown and record.levelno >= logging.ERROR and record.name in self.RUN_LOGGERS:
            if not any(record is kept for kept in self.held):  # each handler filters it: hold it once
                self.held.append(record)
            return False
        return True

    def formatted(self) -> list[str]:
        """What was held, as lines for a file (with any traceback); from now on, nothing is held."""
        self.shown = True
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        return [formatter.format(record) + "\n" for record in self.held]

    def show(self) -> None:
        """What was held, to the terminal after all; and from now on, nothing is held."""
        self.shown = True
        for record in self.held:
            for handler in self.handlers:
                handler.handle(record)


@contextmanager
def _prefect_errors_held(verbose: bool):
    """Hold Prefect's run errors back from the terminal while the flow runs (not with -v). Prefect's
    console handler sits on the root logger from its import on."""
    handlers = [] if verbose else [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    held = _HeldPrefectErrors(handlers)
    for handler in handlers:
        handler.addFilter(held)
    try:
        yield held
    finally:
        for handler in handlers:
            handler.removeFilter(held)


def _check_writable(data: Path, db: str | None) -> None:
    """Before a run or a schedule does any work: the study database can be written. A read-only file
    (an archived copy, a file owned by someone else) would otherwise fail only when the first new
    transcript is stored."""

    store = _open_store(data, db)
    try:
        reason = store.cannot_write()
        where = store.location() if reason else None
    finally:
        store.dispose()
    if reason:
        _fail(f"the study database {where} cannot be written ({reason}); "
              "make it writable, or run on a copy. Nothing was read or stored")


def _check_output(output: Path, option: str = "--output") -> None:
    """Every export writes into a folder that exists: a missing one is an error (exit 2), not made
    for the user, so a mistyped path does not leave study data in an unexpected place."""
    if output.is_dir():
        _fail(f"{option}: {output} is a folder; give a file name")
    if _is_sqlite_database(output):  # an export over the study database would destroy the study
        _fail(f"{option}: {output} is a SQLite database (a qualflow study?); it is not overwritten: give another file")
    if not output.parent.is_dir():
        _fail(f"{option}: no such folder: {output.parent}")


def _is_sqlite_database(path: Path) -> bool:
    from qualflow.pipeline.coding.taguette import (
        SQLITE_MAGIC,  # the header every SQLite file starts with
    )

    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def _write_output(output: Path, payload: bytes, option: str = "--output") -> None:
    """Write an export; what the checks above cannot foresee (no permission, a full disk) is one line too."""
    try:
        output.write_bytes(payload)
    except OSError as error:
        _fail(f"{option}: cannot write {output}: {error.strerror or type(error).__name__}")


def _data_folder(data: Path) -> None:
    """Check, before any work, that the data folder is or can become a folder, so that a file in its
    place fails here in one line rather than as a traceback from inside the flow. Nothing is made
    yet: a run refused for another reason must leave no trace."""
    if data.exists() and not data.is_dir():
        _fail(f"--data: {data} is a file, not a folder")
    existing = next((p for p in [data, *data.absolute().parents] if p.exists()), None)
    if existing is not None and not existing.is_dir():
        _fail(f"--data: cannot make the folder {data}: {existing} is a file")
    reason = _cannot_write(data)
    if reason:
        _fail(f"--data: cannot make or write in {data} ({reason})")


def _cannot_write(folder: Path) -> str | None:
    """Why nothing can be written in `folder` (no permission, a read-only disk), else None. A folder not
    there yet is made and removed again, so that the check leaves no trace."""
    import tempfile

    if folder.is_dir():
        try:
            with tempfile.TemporaryFile(dir=folder):
                return None
        except OSError as error:
            return error.strerror or type(error).__name__
    missing = [p for p in [folder.absolute(), *folder.absolute().parents] if not p.exists()]
    try:
        folder.mkdir(parents=True)
        return _cannot_write(folder)
    except OSError as error:
        return error.strerror or type(error).__name__
    finally:
        for made in missing:  # the deepest first
            try:
                made.rmdir()
            except OSError:
                pass


@contextmanager
def _summary_lines_not_logged():
    """While `run` runs the flow, the lines its summary prints as `note` lines are not logged to the
    terminal too (flows/ingesting.py IN_RUN_SUMMARY): once is enough."""
    from qualflow.flows.ingesting import IN_RUN_SUMMARY

    def not_in_summary(record: logging.LogRecord) -> bool:
        return not all(getattr(record, key, False) for key in IN_RUN_SUMMARY)

    logger = logging.getLogger("qualflow.flows.ingesting")
    logger.addFilter(not_in_summary)
    try:
        yield
    finally:
        logger.removeFilter(not_in_summary)


def _run_environment(data: Path, verbose: bool) -> None:
    """Settings read at import by Prefect and numba; the user's own environment wins. Call this
    before anything imports Prefect (qualflow.flows.batch does): later, the levels have no effect."""
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Prefect's client-side switch: without it, the first run in a terminal prints Prefect's three-line
    # notice about usage data (and how to opt out) although the server's analytics above are off.
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # A first start in a new PREFECT_HOME migrates a database; allow a slow machine time for it.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    # UMAP's numba code compiles on first use (~20 s); a cache makes later runs start fast.
    os.environ.setdefault("NUMBA_CACHE_DIR", str((data / "cache" / "numba").resolve()))


def _stop_left_behind_servers() -> None:
    """Prefect's temporary servers that earlier runs killed with SIGKILL left running (flows/leftover_servers.py)."""
    from qualflow.flows.leftover_servers import stop_left_behind_servers

    stopped = stop_left_behind_servers()
    if stopped:
        pids = ", ".join(str(pid) for pid in stopped)
        console.print(f"[yellow]note[/yellow] stopped {len(stopped)} temporary Prefect "
                      f"{'server' if len(stopped) == 1 else 'servers'} (PID {pids}) left running by an earlier run "
                      "that was killed (SIGKILL).", highlight=False)


def _open_store(data: Path, db: str | None = None):
    """The study: the database at `db` (or $QUALFLOW_DB) when given, else the SQLite file in `data`.
    A file that is not a SQLite database, or a database that cannot be reached, is one line (exit 2)."""
    from qualflow.models import Store, default_database_url
    from qualflow.models.store import (
        DATABASE_FILE,
        StudyDatabaseUnreachable,
        StudyNotWritable,
        database_from_environment,
        driver_error,
        is_unreadable_database,
    )

    url = db or database_from_environment()
    if url:
        from qualflow.models.store import display_url
        from sqlalchemy.exc import ArgumentError

        setting = "$QUALFLOW_DB" if url == os.environ.get("QUALFLOW_DB") else "--db"
        try:
            shown = display_url(url)
        except (ArgumentError, ValueError):  # not shown: a mistyped URL may still hold a password
            _fail(f"{setting} is not a database URL (like postgresql://user@host/study)")
        _opened.append(url)
        try:
            return Store(url)
        except StudyNotWritable as error:  # read-only, and an upgrade is due
            _fail(str(error))
        except StudyDatabaseUnreachable as error:  # the server is down or cannot be reached
            _fail(f"cannot open the database {shown} ({setting}): {driver_error(error)[1]}; check that the "
                  "database server is running, then try again")
        except Exception as error:  # a wrong URL or an unreachable server: one line, no traceback
            if is_unreadable_database(error):
                _unreadable_database(url, error)
            _fail(f"cannot open the database {shown} ({setting}): {type(error).__name__}: "
                  f"{str(error).splitlines()[0]}")
    if not (data / DATABASE_FILE).is_file():
        _fail(f"no qualflow study in {data} (run `qualflow run PATH --data {data}` first)")
    url = default_database_url(data)
    _opened.append(url)  # a damaged file is then named by _Commands, whenever it shows
    try:
        return Store(url)
    except StudyNotWritable as error:  # read-only, and an upgrade is due: one line
        _fail(str(error))


def _study_exists(data: Path, db: str | None) -> bool:
    """Whether a run or a schedule would open a study that is already there (and may be damaged)."""
    from qualflow.models.store import DATABASE_FILE

    return bool(db) or (data / DATABASE_FILE).is_file()


@app.command()
def run(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A transcript file or a folder of them.")],
    config: Annotated[str | None, typer.Option("--config", help="YAML config file or preset (zh, small-study).")] = None,
    data: DataOption = DEFAULT_DATA,
    units: Annotated[bool, typer.Option("--units", help="PATH is a CSV/XLSX of pre-cut units (id, text, "
                                        "participant, document, question): no segmentation.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's run logs.")] = False,
    db: DbOption = None,
    recluster: Annotated[bool, typer.Option("--recluster", help="Cluster all statements again, even when the new "
                                            "ones could be placed into the current themes.")] = False,
    task_runner: TaskRunnerOption = "default",
    dask_address: DaskAddressOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Counts and file lines only, no theme table: "
                                        "its quotes are interview text (for cron mail and logs).")] = False,
) -> None:
    """Ingest new interviews under PATH and suggest candidate themes."""
    from qualflow.pipeline.config import load_config
    from qualflow.pipeline.errors import QualflowError
    from qualflow.pipeline.ingest import other_types_line

    ctx.meta.update({RUN: True, SHOW_TRACEBACK: verbose})  # for a bug's one line (_Commands)
    _stop_on_signals(ctx, "qualflow run")
    if not path.exists():
        _fail(f"no such file or folder: {path}")
    try:
        run_config = load_config(config)  # fail fast, before Prefect starts its server
    except QualflowError as error:
        _fail(str(error))
    _data_folder(data)
    _check_something_to_read(path, data, units, run_config, db)
    # Before _check_task_runner: it imports qualflow.flows.batch, and with it Prefect.
    _run_environment(data, verbose)
    if _study_exists(data, db):
        # An unreachable or wrong database, or a study file that is not a database: one line, before any
        # work (the flow would otherwise fail on it after reading the transcripts). A new study is made
        # by the flow itself, so a run refused below leaves no trace. A read-only study file too: a
        # transcript must not be blamed (and quarantined) for a database that cannot be written.
        _check_writable(data, db)
    _check_task_runner(task_runner, dask_address)
    _check_encoder(config)
    _stop_left_behind_servers()
    from qualflow.flows import run_record
    from qualflow.flows.batch import code_interviews
    from qualflow.flows.temporary_server import ServerDidNotStart, prefect_uses, start_if_needed
    from qualflow.models.store import as_parameter

    try:  # in a process group of its own: a signal to the run's group stops the run alone (flows/temporary_server.py)
        api_url = start_if_needed()
    except ServerDidNotStart as error:
        _fail(f"{error}; nothing was read or stored")
    with prefect_uses(api_url), _prefect_errors_held(verbose) as held, _summary_lines_not_logged():
        try:
            # The flow run's parameters are kept in Prefect's database: the URL goes there without its password,
            # a file's path without its name.
            summary = code_interviews(run_record.source_as_parameter(str(path)), str(data), config, units,
                                      database_url=as_parameter(db) if db else None, recluster=recluster,
                                      task_runner=task_runner, dask_address=dask_address)
        except QualflowError as error:  # a database that went away too: one line, Prefect's tracebacks dropped
            _fail(str(error))
        except Exception as error:
            _database_went_away(error)
            if verbose:  # Python's traceback on screen after Prefect's account, as always
                held.show()
            else:  # Prefect's account goes into the bug's account file, with the traceback (_Commands)
                ctx.meta[PREFECT_LINES] = held.formatted()
            raise
    held.show()  # a run that finished: what Prefect said on the way (a retried task)
    if summary.files_seen == 1 and summary.failed and not summary.unreadable_folders:
        _fail(summary.failed[0])  # the one file given could not be used: its reason is the whole story
    console.print(
        f"{count_of(summary.files_seen, 'file')}: {count_of(summary.transcripts_added, 'new transcript')}"
        + (f", {count_of(len(summary.new_versions), 'new version')} of stored ones" if summary.new_versions else "")
        + f" ({count_of(summary.statements_added, 'statement')}), {len(summary.unchanged)} unchanged, "
        f"{count_of(len(summary.duplicates), 'duplicate')}, {len(summary.failed)} failed; "
        + (f"{len(summary.stored_earlier)} stored by an earlier unfinished run, in the themes now; "
           if summary.stored_earlier else "")
        + f"{count_of(summary.embedded, 'statement')} embedded.", highlight=False,
    )
    if summary.outside_encoder_languages:
        counts = ", ".join(f"{n} {language}" for language, n in sorted(summary.outside_encoder_languages.items()))
        console.print(f"[yellow]warning[/yellow] statements in languages the encoder was not trained on ({counts}): "
                      "their themes will be poor; a multilingual encoder (embed.backend use or e5) reads them.",
                      highlight=False)
    if summary.encoder_changed:
        console.print(f"The encoder changed ({summary.encoder_changed}): every statement was embedded and clustered "
                      "again, and reviewers' decisions were carried over.", highlight=False)
    elif summary.reclustered and summary.had_themes:
        console.print("Every statement was clustered again" + (" (--recluster)" if recluster else "")
                      + "; reviewers' decisions were carried over.", highlight=False)
    if summary.placed:
        console.print(f"{summary.placed} new statements placed into the current themes (no re-clustering; "
                      "--recluster to cluster everything again).", highlight=False)
    if summary.resuggested:
        console.print(f"{summary.resuggested} statements of rejected themes suggested into other themes.",
                      highlight=False)
    for line in summary.duplicates:
        console.print(f"[yellow]skipped[/yellow] {escape(line)}", highlight=False)
    for line in getattr(summary, "withdrawn", []):
        console.print(f"[yellow]withdrawn[/yellow] {escape(line)}", highlight=False)
    for line in getattr(summary, "repeated", []):
        console.print(f"[yellow]check[/yellow] {escape(line)}", highlight=False)
    for line in summary.notes:  # bytes read as Windows-1252, decisions a new version could not carry
        console.print(f"[yellow]note[/yellow] {escape(line)}", highlight=False)
    for line in summary.failed:
        console.print(f"[red]failed[/red] {escape(line)}" + ("" if line in summary.broken_links else f" (see {data / 'quarantine'})"), highlight=False)
    if summary.other_types:
        console.print(f"[yellow]skipped[/yellow] {escape(other_types_line(summary.other_types, _reader(units)))}",
                      highlight=False)
    if summary.files_seen == 0:  # only folders that could not be read: the flow has reported them
        unread = f", apart from {len(summary.unreadable_folders)} folders that could not be read" \
            if summary.unreadable_folders else ""
        _fail(f"{_nothing_to_read(path, units, run_config)}{unread}")
    store = _open_store(data, db)
    with store.session() as session:
        from qualflow.pipeline.report import fit_summary, theme_rows

        rows = theme_rows(session)
        if quiet:  # a cron job's mail or log is no place for quotes: `qualflow themes` shows the table
            subcategories = sum(len(row["subcategories"]) for row in rows)
            console.print(f"{count_of(len(rows), 'theme')}, {count_of(subcategories, 'subcategory', 'subcategories')} "
                          f"(`qualflow themes --data {escape(str(data))}` lists them).", highlight=False)
        else:
            _print_theme_table(rows)
        fit = fit_summary(session)
    console.print(f"{fit['statements']} statements in themes; {fit['placed_by_nearest_theme']} placed by nearest "
                  f"theme, {fit['weak_fits']} of them weak fits ({fit['weak_fit_share']:.0%}).", highlight=False)
    if summary.report:
        console.print(f"Report: {summary.report}")
    if summary.failed:
        raise typer.Exit(1)


def _reader(units: bool) -> str:
    return "--units" if units else "qualflow"


def _nothing_to_read(path: Path, units: bool, config) -> str:
    from qualflow.pipeline.ingest import UNIT_EXTENSIONS

    if units:
        return f"no units files ({', '.join(UNIT_EXTENSIONS)}) under {path}"
    return f"no transcript files ({', '.join(config.ingest.extensions)}) under {path}"


def _check_something_to_read(path: Path, data: Path, units: bool, config, db: str | None = None) -> None:
    """Before the study is made and Prefect starts (tens of seconds): a file of a type qualflow does not
    read (a PDF), or a folder with nothing to read, is one line, and nothing is made. For a study that is
    already there, a folder with nothing to read is a night with no new interviews, as for a scheduled run:
    one "nothing new" line and exit 0 (a file given alone is still refused). A folder that could not be
    listed is left to the run, which reports and quarantines it as it does every failure."""
    from collections import Counter

    from qualflow.pipeline.ingest import UNIT_EXTENSIONS, discover, other_types_line, type_label, type_not_read

    if path.is_file():
        if type_not_read(path):
            _fail(f"{path.name}: {type_not_read(path)}")
        return
    unlisted, other_types = [], Counter()
    found = discover(path, UNIT_EXTENSIONS if units else config.ingest.extensions, skip=data,
                     unreadable_folder=lambda folder, why: unlisted.append(folder),
                     other_type=lambda file: other_types.update([type_label(file)]))
    if found or unlisted:
        return
    only = f", only {other_types_line(other_types, _reader(units))}" if other_types else ""
    study = _study_already_there(data, db)
    if study is None:
        _fail(f"{_nothing_to_read(path, units, config)}{only}; nothing was made")
    typer.echo(f"nothing new: {_nothing_to_read(path, units, config)}{only}; the study in {study} is unchanged")
    raise typer.Exit(0)


def _study_already_there(data: Path, db: str | None) -> str | None:
    """Where the study a run would add to is (its data folder, or its database without the password), when
    it is there; None when it is not (or its server cannot be asked). Only looks: nothing is made."""
    from qualflow.models.store import default_database_url, display_url, study_is_there

    try:
        return (display_url(db) if db else str(data)) if study_is_there(db or default_database_url(data)) else None
    except Exception:  # a mistyped URL, a server down: the refusal stands, as before
        return None


def _check_task_runner(task_runner: str, dask_address: str | None) -> None:
    from qualflow.flows.batch import TASK_RUNNERS

    if task_runner not in TASK_RUNNERS:
        _fail(f"--task-runner: '{task_runner}' is not one of {', '.join(TASK_RUNNERS)}")
    if dask_address and task_runner != "dask":
        _fail("--dask-address needs --task-runner dask")
    if dask_address:  # an unreachable scheduler: one line now, not a traceback from inside the flow
        from distributed import Client

        try:
            Client(dask_address, timeout="10s").close()
        except (OSError, TimeoutError, ValueError) as error:
            _fail(f"--dask-address: cannot reach a Dask scheduler at {dask_address} ({type(error).__name__})")


@app.command()
def serve(
    inbox: Annotated[Path, typer.Option("--inbox", help="Folder that new interviews are dropped into.")],
    cron: Annotated[str | None, typer.Option("--cron", help='Schedule as a cron expression, e.g. "0 2 * * *", in '
                                             "this machine's time zone.")] = None,
    interval: Annotated[int | None, typer.Option("--interval", min=60, help="Schedule: seconds between runs.")] = None,
    config: Annotated[str | None, typer.Option("--config", help="YAML config file or preset.")] = None,
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
    name: Annotated[str, typer.Option("--name", help="Deployment name in Prefect.")] = "qualflow-inbox",
    task_runner: TaskRunnerOption = "default",
    dask_address: DaskAddressOption = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="The time zone --cron is read in, an IANA name "
                                                 "such as Europe/London (default: this machine's).")] = None,
) -> None:
    """Serve the batch flow as a Prefect deployment that codes what is new in INBOX on a schedule.

    Needs a Prefect server (`prefect server start`) named by PREFECT_API_URL; its UI shows the runs."""
    from qualflow.pipeline.config import load_config
    from qualflow.pipeline.errors import QualflowError

    if (cron is None) == (interval is None):
        _fail("give exactly one schedule: --cron EXPR or --interval SECONDS")
    if not inbox.is_dir():
        _fail(f"no such folder: {inbox}")
    if data.resolve() == inbox.resolve() or data.resolve() in inbox.resolve().parents:
        # A run never reads the data folder's own files: the schedule would find nothing, every night.
        _fail(f"--inbox: {inbox} is inside the data folder {data}, which a run never reads; keep new "
              "interviews in a folder of their own")
    _data_folder(data)
    _run_environment(data, verbose=True)  # before Prefect is imported below: it reads its settings then
    try:
        load_config(config)
    except QualflowError as error:
        _fail(str(error))
    if cron is not None:
        from prefect.client.schemas.schedules import CronSchedule

        try:
            CronSchedule(cron=cron)
        except ValueError:
            _fail(f"--cron: not a valid cron expression: {cron!r}")
    if timezone is not None:
        from qualflow.flows.serve import schedule_timezone

        if cron is None:
            _fail("--timezone goes with --cron (an --interval counts seconds, in no time zone)")
        try:
            schedule_timezone(timezone)
        except ValueError as error:
            _fail(str(error))
    if _study_exists(data, db):
        _check_writable(data, db)  # a wrong URL, a damaged or read-only study fails here, not in every scheduled run
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():  # from the environment or the active Prefect profile
        _fail("a schedule needs a Prefect server: start one with `prefect server start` and set "
              "PREFECT_API_URL=http://127.0.0.1:4200/api")
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        unreachable = client.api_healthcheck()
    if unreachable is not None:  # shown without any user:password@ part of the URL
        _fail(f"cannot reach the Prefect server at {re.sub(r'//[^/@]*@', '//', str(PREFECT_API_URL.value()))} "
              f"({type(unreachable).__name__}): is `prefect server start` running there?")
    _check_task_runner(task_runner, dask_address)
    _check_encoder(config)
    from qualflow.flows.serve import (
        deployment_parameters,
        schedule_in_the_way,
        serve_inbox,
    )

    in_the_way = schedule_in_the_way(name, deployment_parameters(inbox, data, config, db, task_runner, dask_address))
    if in_the_way:
        _fail(in_the_way)
    data.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new study's folder is its owner's only
    serve_inbox(inbox, data, config, cron=cron, interval=interval, name=name, database_url=db,
                task_runner=task_runner, dask_address=dask_address, timezone=timezone)


def _check_encoder(config_file) -> None:
    """A model that cannot be loaded (a hub name this machine cannot reach, a folder with no model, a
    missing package): one line before any file is read. The flow meets it only after storing every
    file, as a Prefect traceback. The encoder is kept for the run (`encoder_for` caches it)."""
    from qualflow.flows.tasks import encoder_for
    from qualflow.pipeline.config import load_config
    from qualflow.pipeline.errors import QualflowError

    try:
        encoder_for(load_config(config_file).embed.model_dump_json())
    except QualflowError as error:
        _fail(str(error))


# The rows of themes and subcategories the terminal shows: a study of 20,000 answers printed 860, too many to
# read or scroll back through. The largest come first (report.theme_rows); the rest are named in a line below.
THEME_TABLE_ROWS = 40


def _print_theme_table(rows: list[dict], limit: int = THEME_TABLE_ROWS) -> None:
    from qualflow.pipeline.describe import ONE_PARTICIPANT

    table = Table(title="Themes and subcategories (candidates are suggestions to review)", show_lines=True)
    for column in ("code", "label", "top keywords", "statements", "participants", "exemplar quote"):
        table.add_column(column, overflow="fold")
    items = [item for row in rows for item in [row] + row["subcategories"]]
    shown = items if len(items) <= limit else _largest_themes(rows, limit)
    for item in shown:
        exemplar = item["exemplars"][0] if item["exemplars"] else None
        # Escaped: a quote's "[laughs]" or a label's "[/]" would be read as Rich markup, lost or an error.
        quote = escape(f"“{exemplar['text']}” ({exemplar['participant']})") if exemplar else ""
        is_theme = item["level"] == "theme"
        label = escape(item["label"]) + (" (confirmed)" if item["status"] == "confirmed" else "")  # as report.md
        table.add_row(item["code"], f"[bold]{label}[/bold]" if is_theme else f"  {label}",
                      escape(", ".join(item["keywords"][:5])), str(item["statements"]), _covered(item),
                      quote, style=None if is_theme else "dim")
    console.print(table)
    if len(shown) < len(items):
        shown_ids = {id(item) for item in shown}
        console.print(_not_shown_line([item for item in items if id(item) not in shown_ids]), highlight=False)
    if any(item["single_participant"] for item in shown):
        # A legend, not a finding about the study: it names the rows it applies to.
        console.print(f"⚑ {ONE_PARTICIPANT}: every statement of a theme so marked comes from one participant, an "
                      "individual view, not a pattern across the study.", highlight=False)


def _largest_themes(rows: list[dict], limit: int) -> list[dict]:
    """The rows of the largest themes, each with its subcategories, while they fit in `limit` (the largest
    always, cut to `limit` rows when it alone has more), in the order of `rows`: codes, largest first after a
    run, though merges, splits and later runs can change sizes since."""
    largest_first = sorted(range(len(rows)), key=lambda i: -rows[i]["statements"])
    chosen: list[int] = []
    used = 0
    for index in largest_first:
        size = 1 + len(rows[index]["subcategories"])
        if used + size > limit:
            break
        chosen.append(index)
        used += size
    if not chosen:
        return ([rows[largest_first[0]]] + rows[largest_first[0]]["subcategories"])[:limit] if rows else []
    return [item for index in sorted(chosen) for item in [rows[index]] + rows[index]["subcategories"]]


def _not_shown_line(hidden: list[dict]) -> str:
    """What the capped table left out, and where every theme is listed."""
    themes = sum(1 for item in hidden if item["level"] == "theme")
    return (f"… {themes} more themes and {len(hidden) - themes} more subcategories not shown (the largest are "
            "above). All are in the report (`qualflow report`; each run writes it too), `qualflow themes --json` "
            "and the review app (`qualflow review serve`); `qualflow show CODE` lists a theme's statements.")


def _covered(item: dict) -> str:
    """"1 of 9 ⚑ one participant": a theme resting on one participant is flagged where its coverage is."""
    from qualflow.pipeline.describe import ONE_PARTICIPANT

    return item["participants_covered"] + (f" ⚑ {ONE_PARTICIPANT}" if item["single_participant"] else "")


@app.command()
def themes(
    data: DataOption = DEFAULT_DATA,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List the current candidate themes."""
    from qualflow.pipeline.report import theme_rows

    with _open_store(data).session() as session:
        rows = theme_rows(session)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _print_theme_table(rows)


@app.command()
def show(
    theme: Annotated[str, typer.Argument(help="A theme (T2, or 2) or subcategory (T2.3) from `qualflow themes`.")],
    data: DataOption = DEFAULT_DATA,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show a theme's or subcategory's statements, each with participant, transcript and character offsets."""
    from qualflow.models.queries import theme_by_code
    from qualflow.pipeline.describe import ONE_PARTICIPANT_WHY, one_participant_themes
    from qualflow.pipeline.report import statement_rows

    code = theme.strip().upper()
    code = code if code.startswith(("T", "Q")) else "T" + code
    if not re.fullmatch(r"(?:Q\d+-)?T\d+(?:\.\d+)?", code):
        _fail(f"'{theme}' is not a theme code like T2 or T2.3 (see `qualflow themes`)")
    with _open_store(data).session() as session:
        found = theme_by_code(session, code)
        if found is None:
            from qualflow.models.former_codes import no_such_theme_message

            _fail(no_such_theme_message(session, code))  # a former code: says what it became
        label, keywords, level = found.label, found.keywords, found.level
        single = found.id in one_participant_themes(session, [found])
        rows = statement_rows(session, found)
    if as_json:
        typer.echo(json.dumps({"code": code, "level": level, "label": label, "keywords": keywords,
                               "single_participant": single, "statements": rows}, ensure_ascii=False, indent=2))
        return
    if single:
        console.print(f"⚑ {code}: {ONE_PARTICIPANT_WHY}", highlight=False)
    table = Table(title=Text(f"{code}: {label}"), show_lines=False)  # the label as written (add_plain_row)
    # The id comes first and never wraps: every `qualflow review` statement action takes it.
    table.add_column("id", no_wrap=True, justify="right")
    for column in ("participant", "transcript", "start–end", "sim", "statement"):
        table.add_column(column, overflow="fold")
    for row in rows:
        flags = [name for name, on in (("outlier", row["outlier"]), ("weak fit", row["weak_fit"])) if on]
        flag = f" ({', '.join(flags)})" if flags else ""
        add_plain_row(table, str(row["statement_id"]), row["participant"] or "", row["transcript"],
                      f"{row['start']}–{row['end']}", f"{row['similarity']:.2f}{flag}", row["text"])
    console.print(table)


@app.command()
def statements(
    excluded: Annotated[bool, typer.Option("--excluded", help="List the statements not clustered, with why.")] = False,
    data: DataOption = DEFAULT_DATA,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List statements (significant ones by default; --excluded for the rest, with reasons)."""
    from qualflow.pipeline.report import statement_list

    with _open_store(data).session() as session:
        rows = statement_list(session, significant=not excluded)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{'Excluded' if excluded else 'Significant'} statements ({len(rows)})")
    table.add_column("id", no_wrap=True, justify="right")  # what `qualflow review` statement actions take
    columns = ["participant", "transcript", "start–end"] + (["reason"] if excluded else []) + ["statement"]
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        cells = [str(row["statement_id"]), row["participant"] or "", row["transcript"],
                 f"{row['start']}–{row['end']}"]
        add_plain_row(table, *cells, *([row["reason"]] if excluded else []), row["text"])
    console.print(table)


@app.command("deid-report")
def deid_report(
    data: DataOption = DEFAULT_DATA,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """What de-identification replaced, for a human check. Shows real names: keep it on this machine."""
    from qualflow.pipeline.report import deidentification_rows

    with _open_store(data).session() as session:
        rows = deidentification_rows(session)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"De-identification: {len(rows)} identifiers replaced (private: contains real names)")
    for column in ("placeholder", "kind", "original", "found by", "times", "transcripts"):
        table.add_column(column, overflow="fold")
    for row in rows:
        add_plain_row(table, row["placeholder"], row["kind"], row["original"], ", ".join(row["found_by"]),
                      str(row["occurrences"]), ", ".join(row["transcripts"]))
    console.print(table)


@export_app.command("assignments")
def export_assignments(
    output_format: Annotated[str, typer.Option(
        "--format", help="csv, json or xlsx (xlsx needs --output FILE.xlsx).")] = "csv",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File to write (default: stdout). A CSV file starts with a UTF-8 byte-order "
        "mark so that Excel reads Chinese text; CSV on stdout has none, so pipes read a clean header.")] = None,
    data: DataOption = DEFAULT_DATA,
) -> None:
    """One row per statement: its unit id and survey question (units files), document, participant,
    offsets, text, subcategory and theme, similarity, the theme's status and the statement's
    (assignment_status: suggested or confirmed; for a statement in no theme taken-out, released,
    not-significant or unplaced)."""
    from qualflow.pipeline.coding.export_tables import csv_text, to_csv, to_xlsx
    from qualflow.pipeline.report import ASSIGNMENT_COLUMNS, export_assignment_rows

    if output_format not in ("csv", "json", "xlsx"):
        _fail(f"--format must be csv, json or xlsx, not '{output_format}'")
    if output_format == "xlsx" and (output is None or output.suffix.lower() != ".xlsx"):
        # A workbook is binary: on a terminal it is noise, and Excel opens a file by its ending.
        _fail("--format xlsx needs --output ending in .xlsx")
    if output is not None and output.suffix.lower() == ".xlsx" and output_format != "xlsx":
        _fail(f"--output {output.name} is a workbook: add --format xlsx")  # Excel would not open CSV text in it
    if output is not None:
        _check_output(output)
    with _open_store(data).session() as session:
        rows = export_assignment_rows(session)
    if output_format == "json":
        payload = (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    elif output_format == "xlsx":
        payload = to_xlsx(rows, ASSIGNMENT_COLUMNS, "assignments")
    elif output is None:  # cells that would open as formulas in a spreadsheet are kept as text
        payload = csv_text(rows, ASSIGNMENT_COLUMNS).encode("utf-8")
    else:
        payload = to_csv(rows, ASSIGNMENT_COLUMNS)
    if output is None:
        typer.echo(payload.decode("utf-8"), nl=False)
    else:
        _write_output(output, payload)
        console.print(f"{len(rows)} statements written to {output}")


# `review …` and `audit`; import-coding, compare and export qdpx|qdc|codings|codebook; withdraw: their own modules.
from qualflow.flows import (  # noqa: F401
    cli_coding,
    cli_report,
    cli_review,
    cli_withdraw,
)
