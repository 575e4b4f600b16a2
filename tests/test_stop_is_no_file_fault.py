"""A stop (Ctrl-C, SIGTERM) that a step's own clean-up turned into another error is not the file's fault: it is
raised, not counted as a failed file and quarantined (flows/ingesting.py `_stop_is_no_file_fault`). Seen once: a
Ctrl-C landing while Prefect created a task run became ValueError("Task run is not set"), the file was
quarantined and the run went on to the end."""

from pathlib import Path

import pytest

from qualflow.flows.ingesting import _result_or_error, _unexpected


def _raised_while_stopping():
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise ValueError("Task run is not set")


def _a_file_s_own_error():
    raise ValueError("not a transcript")


def test_an_error_raised_while_a_stop_unwinds_is_raised_not_returned():
    with pytest.raises(ValueError) as raised:
        _result_or_error(_raised_while_stopping)
    assert isinstance(raised.value.__context__, KeyboardInterrupt)
    assert isinstance(_result_or_error(_a_file_s_own_error), ValueError)  # a file's own error: returned


def test_such_an_error_is_not_recorded_as_the_file_s_failure():
    try:
        _raised_while_stopping()
    except ValueError as error:
        stopped = error
    with pytest.raises(ValueError):
        _unexpected(Path("p1.txt"), stopped)
    assert _unexpected(Path("p1.txt"), ValueError("x"))[0] == "failed"
