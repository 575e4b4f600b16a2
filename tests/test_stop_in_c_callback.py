"""A stop that arrives while Python code runs inside a callback from C is not lost (flows/stop_signals.py).

There, the exception a signal handler raises cannot leave the callback: Python prints "Exception ignored on
calling ctypes callback function" and goes on. During `qualflow run`, numba calls such a callback while it
compiles UMAP; a SIGTERM landing in it (through Prefect's own SIGTERM handler, which raises
TerminationSignal) let the run finish and exit 0. A real process, a real signal, a real ctypes callback.
"""

import signal
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import ctypes, os, signal, sys, time
    from qualflow.flows.stop_signals import redeliver_swallowed_stops

    if sys.argv[1] == "prefect":
        from prefect.utilities.engine import _prefect_sigterm_handler as handler
    else:
        def handler(signum, frame):  # as flows/cli.py's: a second Ctrl-C may still stop
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)
    if sys.argv[2] == "hook":
        redeliver_swallowed_stops()

    def inside_c():
        os.kill(os.getpid(), signal.SIGTERM)  # its handler runs in the next steps, still inside the callback
        for _ in range(1000):
            pass

    try:
        ctypes.CFUNCTYPE(None)(inside_c)()
        time.sleep(1)
        print("not stopped")
    except BaseException as stop:
        print("stopped by", type(stop).__name__)
""")


def run(handler: str, hook: str) -> str:
    done = subprocess.run([sys.executable, "-c", SCRIPT, handler, hook], capture_output=True, text=True, timeout=120)
    return done.stdout.strip()


@pytest.mark.parametrize(("handler", "raised"), [("qualflow", "KeyboardInterrupt"), ("prefect", "TerminationSignal")])
def test_a_stop_raised_inside_a_c_callback_is_delivered_again(handler, raised):
    assert run(handler, "no-hook") == "not stopped"  # what Python does on its own: the stop is lost
    assert run(handler, "hook") == f"stopped by {raised}"


def test_run_installs_the_hook():
    """`qualflow run` (any command that stops cleanly on a signal) installs it with its handlers."""
    import signal

    import typer
    from qualflow.flows.cli import _stop_on_signals, app

    before = (sys.unraisablehook, signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    try:
        sys.unraisablehook = sys.__unraisablehook__  # as a new process starts; another test may have run `run`
        _stop_on_signals(typer.Context(typer.main.get_command(app)), "qualflow run")
        installed = sys.unraisablehook
        assert getattr(installed, "redelivers_stops", False)
        _stop_on_signals(typer.Context(typer.main.get_command(app)), "qualflow run")
        assert sys.unraisablehook is installed  # once, not a hook wrapped around itself
    finally:
        sys.unraisablehook = before[0]
        signal.signal(signal.SIGTERM, before[1])
        signal.signal(signal.SIGINT, before[2])


def test_an_error_raised_while_a_stop_unwinds_is_the_stops():
    from prefect.exceptions import TerminationSignal
    from qualflow.flows.stop_signals import signal_in_chain

    def raised_while_handling(stop: BaseException) -> Exception:
        try:
            try:
                raise stop
            except BaseException:
                raise RuntimeError("no server to report the crash to") from ConnectionRefusedError(111)
        except RuntimeError as error:
            assert error.__context__ is stop
            return error

    assert signal_in_chain(raised_while_handling(TerminationSignal(signal.SIGTERM))) == signal.SIGTERM
    assert signal_in_chain(raised_while_handling(KeyboardInterrupt())) == signal.SIGINT
    assert signal_in_chain(RuntimeError("a bug")) is None
