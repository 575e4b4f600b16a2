"""A record of the files a run could not use, inside the data folder.

The user's own file is never moved, changed or deleted: quarantine holds a copy (when the
file is small enough to copy) and a reason file. Re-running with the same broken file
overwrites its entry instead of piling up copies; two files whose entry names would clash
("a/b.txt" and "a__b.txt") get separate entries ("a__b.txt", "a__b (2).txt").
"""

from __future__ import annotations

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
    folder = data_dir / QUARANTINE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = _free_name(folder, _entry_name(path, source_root if source_root.is_dir() else path.parent), path)
    reason_file = folder / f"{name}.reason.txt"
    copied = False
    try:
        if path.is_file() and path.stat().st_size <= copy_limit_mb * 1024 * 1024:
            shutil.copyfile(path, folder / name)
            copied = True
    except OSError:
        pass  # the reason file below still records the failure
    reason_file.write_text(
        f"file: {path}\n"
        f"when: {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n"
        f"reason: {one_line(reason)}\n"
        f"copy: {'yes' if copied else 'no (too large or unreadable)'}\n",
        encoding="utf-8",
    )
    return reason_file
