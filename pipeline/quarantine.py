"""A record of the files a run could not use, inside the data folder.

The user's own file is never moved, changed or deleted: quarantine holds a copy (when the
file is small enough to copy) and a reason file. Re-running with the same broken file
overwrites its entry instead of piling up copies; two files whose entry names would clash
("a/b.txt" and "a__b.txt") get separate entries ("a__b.txt", "a__b (2).txt").
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

QUARANTINE_DIR = "quarantine"


def _entry_name(path: Path, source_root: Path) -> str:
    try:
        relative = path.resolve().relative_to(source_root.resolve())
    except ValueError:
        relative = Path(path.name)
    return "__".join(relative.parts)


def _free_name(folder: Path, name: str, path: Path) -> str:
    """`name`, unless its entry records another file: "a/b.txt" and a top-level "a__b.txt" both map to
    "a__b.txt", and the second must not overwrite the first's copy and reason. Then "a__b (2).txt",
    "a__b (3).txt" and so on, taking the first that is free or already this file's own entry."""
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, number = name, 1
    while True:
        reason_file = folder / f"{candidate}.reason.txt"
        if not (reason_file.exists() or (folder / candidate).exists()) or _records(reason_file, path):
            return candidate
        number += 1
        candidate = f"{stem} ({number}){suffix}"


def _records(reason_file: Path, path: Path) -> bool:
    """Whether `reason_file` is the entry of `path` (its first line names the file)."""
    try:
        with reason_file.open(encoding="utf-8", errors="replace") as handle:
            return handle.readline() == f"file: {path}\n"
    except OSError:
        return False


def one_line(reason: str) -> str:
    """The first line of `reason`: a reason is read as one line, in the reason file and in the run's
    summary, and an error's message can run on with a library's explanation or a traceback."""
    return next((line.strip() for line in reason.splitlines() if line.strip()), "unknown reason")


def quarantine(path: Path, source_root: Path, data_dir: Path, reason: str, copy_limit_mb: float) -> Path:
    """Record `path` as unusable; return the reason file's path."""
    folder = _private_folder(data_dir / QUARANTINE_DIR)
    name = _free_name(folder, _entry_name(path, source_root if source_root.is_dir() else path.parent), path)
    reason_file = folder / f"{name}.reason.txt"
    copied = False
    try:
        if path.is_file() and path.stat().st_size <= copy_limit_mb * 1024 * 1024:
            with path.open("rb") as source, _private_file(folder / name) as copy:
                shutil.copyfileobj(source, copy)
            copied = True
    except OSError:
        pass  # the reason file below still records the failure
    with _private_file(reason_file) as handle:
        handle.write((
            f"file: {path}\n"
            f"when: {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n"
            f"reason: {one_line(reason)}\n"
            f"copy: {'yes' if copied else 'no (too large or unreadable)'}\n").encode("utf-8"))
    return reason_file


# A quarantined copy is the raw transcript, names and all (de-identification never ran on it), and its
# reason file names the real file: the owner's only, however open the inbox or the umask (privacy audit F5:
# a 0600 transcript used to be copied 0644 into a 0755 folder).
def _private_folder(folder: Path) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.chmod(folder, 0o700)  # one made by an earlier qualflow, with the umask's mode
    except OSError:
        pass  # not ours to change (a shared study): its owner decides
    return folder


def _private_file(path: Path):
    """`path` opened to write from empty, only its owner may read it: new, or this file's own entry from
    an earlier run (`_free_name`), whatever mode that was given."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        if hasattr(os, "fchmod"):  # POSIX; Windows keeps files private by their folder's ACL
            os.fchmod(descriptor, 0o600)
    except OSError:
        pass  # not ours (a shared study): written as its owner left it
    return os.fdopen(descriptor, "wb")
