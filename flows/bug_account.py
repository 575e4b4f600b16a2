"""What a bug (an unexpected error) in a `qualflow` command leaves: one content-free line on the
terminal, exit status 70, and the full account (traceback, Prefect's held lines) in an owner-only file
in the data folder's `.qualflow-logs/`. An error's message and a traceback's values can quote interview
text, and terminal output gets pasted into public bug reports."""

from __future__ import annotations

import os
from pathlib import Path

import typer

# What a bug's account needs, learnt as the command runs, kept in the context's `meta` (shared by a command's
# contexts, so `_Commands.invoke` finds it): the data folder, `run --verbose`, Prefect's held lines.
DATA_FOLDER, SHOW_TRACEBACK, PREFECT_LINES, RUN = (f"qualflow.{key}" for key in ("data", "traceback", "prefect", "run"))

BUG_EXIT = 70  # EX_SOFTWARE (sysexits.h): not 1 (some files failed) nor 2 (an error the user can fix)
ACCOUNTS_FOLDER = ".qualflow-logs"  # in the data folder, beside `.qualflow-locks`


def stopped_by_a_bug(error: BaseException, meta: dict) -> None:
    """A bug: one line naming only the error's type and where in qualflow's code it happened. Its
    message, Python's traceback and Prefect's lines can quote interview text, and terminal output gets
    pasted into public bug reports: they go to an owner-only file in the data folder instead."""
    prefect_lines = meta.get(PREFECT_LINES, [])
    account = _write_account(error, meta.get(DATA_FOLDER), [
        "Prefect's account of the run (held back from the terminal):\n", *prefect_lines, "\n"] if prefect_lines else [])
    line = f"qualflow stopped on an unexpected error ({what_and_where(error)})."
    if meta.get(RUN):  # a run writes only in transactions (models/store.py Store.session rolls back on any error)
        line += (" Nothing stored was lost, and nothing was half-stored: a run stores each transcript, and each "
                 "clustering, whole or not at all.")
    if isinstance(account, Path):
        line += f" The full account is in {account} — it may quote interview text, so read it before sharing it."
    else:
        line += f" Its full account could not be written ({account})" + (
            "; `qualflow run --verbose` shows it on screen." if meta.get(RUN) else ".")
    typer.echo(line, err=True)
    raise typer.Exit(BUG_EXIT)


def write_account(error: BaseException, data: Path | None, context_lines: list[str]) -> Path | str:
    """For a bug qualflow goes on after (one request of the review server): its account in an owner-only
    file, as a command's, with `context_lines` ("request: POST /decide/{action}") before the traceback;
    the file's path, or why it could not be written."""
    return _write_account(error, data, [f"{line}\n" for line in context_lines] + ["\n"],
                          heading="qualflow hit an unexpected error")


def what_and_where(error: BaseException) -> str:
    """"KeyError in flows/tasks.py, line 436": the error's type and where in qualflow's code, never its message."""
    return f"{type(error).__name__}{_where(error)}"


def _where(error: BaseException) -> str:
    """", in flows/tasks.py, line 436": the innermost frame in qualflow's own code, if any."""
    import traceback

    root = Path(__file__).resolve().parent.parent
    found = ""
    for frame, line in traceback.walk_tb(error.__traceback__):
        if frame.f_globals.get("__name__", "").startswith("qualflow."):
            path = Path(frame.f_code.co_filename).resolve()
            found = f" in {path.relative_to(root) if path.is_relative_to(root) else path.name}, line {line}"
    return found


def _write_account(error: BaseException, data: Path | None, context_lines: list[str],
                   heading: str = "qualflow stopped on an unexpected error") -> Path | str:
    """The file holding `context_lines` (Prefect's held lines, the request) and the traceback (mode 0600,
    in a 0700 folder), in the data folder, or the system's temporary folder when there is none yet (a
    bug is no reason to make one); its path, or why it could not be written."""
    import platform
    import shlex
    import sys
    import tempfile
    import time
    import traceback

    text = "".join([
        f"{heading}, {time.strftime('%Y-%m-%d %H:%M:%S %z')}\n",
        f"command: qualflow {shlex.join(sys.argv[1:])}\n",
        f"Python {platform.python_version()} on {platform.platform()}\n",
        "This file may quote interview text (an error's message, the values in a traceback): read it, and take\n"
        "out what is private, before sharing any of it.\n\n",
        *context_lines,
        *traceback.format_exception(error),
    ])
    name = f"error-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        if data is not None and data.is_dir():
            return _new_private_file(data / ACCOUNTS_FOLDER, name, text)
    except OSError:
        pass  # a read-only data folder, say: the temporary folder below
    try:
        return _new_private_file(Path(tempfile.gettempdir()), f"qualflow-{name}", text)
    except OSError as failure:
        return failure.strerror or type(failure).__name__


def _new_private_file(folder: Path, name: str, text: str) -> Path:
    """`folder/name.txt` (name-2.txt… if taken), readable by its owner only from its creation on."""
    folder.mkdir(mode=0o700, exist_ok=True)
    for attempt in range(1, 100):
        path = folder / f"{name}{'' if attempt == 1 else f'-{attempt}'}.txt"
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(text)
        except OSError:  # a full disk: no empty or cut-off account left behind to be read as the whole story
            path.unlink(missing_ok=True)
            raise
        return path
    raise FileExistsError(f"no free name for {name} in {folder}")
