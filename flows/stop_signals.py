"""A stop (Ctrl-C, SIGTERM) that Python could only print and ignore is delivered again.

A signal's Python handler runs in the main thread between two steps of Python code. When those steps are a
callback from C (ctypes), the exception the handler raises (KeyboardInterrupt, or Prefect's
TerminationSignal during a flow run) cannot travel through C: Python prints "Exception ignored on calling
ctypes callback function" and goes on, and the stop is lost. numba calls one such callback
(llvmlite's object cache) while it compiles UMAP, so a SIGTERM 30 s into a run was once lost and the run
finished. `redeliver_swallowed_stops` hands such a stop back to the main thread as the same signal, which
its handler raises again: once C has returned, or, if it lands in another callback, again from there.
"""

from __future__ import annotations

import _thread
import signal
import sys
import threading

REDELIVER_AFTER = 0.1  # seconds


def _signal_of(error: BaseException) -> int | None:
    """The signal a stop stands for; None for any other exception."""
    if isinstance(error, KeyboardInterrupt):
        return signal.SIGINT
    if type(error).__name__ == "TerminationSignal":  # prefect.exceptions, raised by Prefect's SIGTERM handler
        return getattr(error, "signal", signal.SIGTERM)
    return None


def signal_in_chain(error: BaseException) -> int | None:
    """The stop (`_signal_of`) among the exceptions `error` was raised in handling, if any: an error
    raised while a stop unwound the program, and raised instead of it."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        signum = _signal_of(current)
        if signum is not None:
            return signum
        todo += [current.__cause__, current.__context__]
    return None


def redeliver_swallowed_stops() -> None:
    """Install an unraisable hook that delivers a swallowed stop again, unless it is in place already; other
    unraisable exceptions go to the hook that was there before. Checked on the hook itself, not a flag: a
    host (pytest among them) may have put its own hook in place since."""
    previous = sys.unraisablehook
    if getattr(previous, "redelivers_stops", False):
        return

    def hook(unraisable) -> None:
        signum = _signal_of(unraisable.exc_value) if unraisable.exc_value is not None else None
        if signum is None:
            previous(unraisable)
            return
        # Simulates the signal: its current handler runs in the main thread at its next step. Not from here:
        # this hook still runs inside the callback, where it would be raised and ignored again. From
        # another thread, a moment later, when the main thread is back in C or past the callback. A
        # handler of SIG_IGN (a second SIGTERM is ignored while shutting down) makes it do nothing.
        threading.Timer(REDELIVER_AFTER, _thread.interrupt_main, args=(signum,)).start()

    hook.redelivers_stops = True
    sys.unraisablehook = hook
