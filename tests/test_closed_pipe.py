"""`qualflow themes --json | head`: the reader went away before the output was written. That is
not a bug (the privacy audit saw "qualflow stopped on an unexpected error (BrokenPipeError …)", exit
70, and an error account): qualflow exits as a program stopped by SIGPIPE does, 141, in silence.
The real CLI on a real study; the closed pipe is made by the writer raising what a closed pipe raises."""

import typer
from fixtures.review.study import built_study
from qualflow.flows import cli
from typer.testing import CliRunner


def test_a_reader_that_went_away_ends_the_command_quietly_with_141(tmp_path, monkeypatch):
    data = built_study(tmp_path)

    def closed_pipe(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(typer, "echo", closed_pipe)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where an error account would go, were this taken for a bug
    result = CliRunner().invoke(cli.app, ["themes", "--json", "--data", str(data)])
    assert result.exit_code == 141, result.output
    assert "unexpected error" not in result.output
    assert not list(tmp_path.rglob("*error*.txt")) and not (data / ".qualflow-logs").exists()
