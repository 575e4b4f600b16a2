"""Progress bars for the long steps (files, embedding batches): shown in a terminal, silent otherwise
(a scheduled run's log, a pipe, a test), so logs stay clean."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def interactive() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, total: int, enabled: bool | None = None) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`. The bar names the step and counts, never statement text."""
    if not (interactive() if enabled is None else enabled) or total <= 0:
        yield lambda n=1: None
        return
    with _rich_progress() as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)


@contextmanager
def progress_with_total_later(description: str, enabled: bool | None = None) -> Iterator[Callable[[int, int], None]]:
    """Like progress_bar, for steps that learn their total as they go (embedding only what is not
    cached yet): yields `advance(n, total)`; nothing is shown until the first call."""
    if not (interactive() if enabled is None else enabled):
        yield lambda n, total: None
        return
    progress = _rich_progress()
    task = None

    def advance(n: int, total: int) -> None:
        nonlocal task
        if task is None:
            progress.start()
            task = progress.add_task(description, total=total)
        progress.advance(task, n)

    try:
        yield advance
    finally:
        if task is not None:
            progress.stop()


def _rich_progress():
    """Step name, bar, done/total, time left, on stderr; cleared at the end in a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), transient=interactive())
