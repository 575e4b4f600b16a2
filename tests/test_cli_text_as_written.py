"""The terminal shows the study's words as written. The commands print with Rich, which reads "[…]" as
markup: a transcript's "[laughs]" or "[inaudible]" vanished from `show`, `statements` and `audit`, a label
"[red]Pay[/red]" lost its brackets, and a label holding "[/]" stopped `themes` with an error."""

import pytest
from fixtures.review.study import built_study
from qualflow.flows.cli import app
from qualflow.models import Statement, Store, Suggestion, default_database_url
from qualflow.models.queries import theme_by_code
from sqlalchemy import select
from typer.testing import CliRunner

runner = CliRunner()
LABEL = "[/] Pay [red]and[/red] rota"
SAID = "We were [laughs] short again [inaudible] on nights"


@pytest.fixture
def data(tmp_path):
    data = built_study(tmp_path)
    with Store(default_database_url(data)).session() as session:
        theme = theme_by_code(session, "T1.1")
        statement_id = min(session.scalars(select(Suggestion.statement_id).where(Suggestion.theme_id == theme.id)))
        session.get(Statement, statement_id).text = SAID  # as a transcript with notes in brackets gives it
    assert qualflow(data, "review", "rename", "T1.1", LABEL, "--as", "alice").exit_code == 0
    return data


def qualflow(data, *args):
    # Wide enough that no cell is folded across lines (Rich reads COLUMNS as it prints).
    return runner.invoke(app, [*args, "--data", str(data)], env={"COLUMNS": "400"})


@pytest.mark.parametrize(("command", "shown"), [
    (["themes"], [LABEL]),
    (["show", "T1.1"], [SAID]),
    (["statements"], [SAID]),
    (["audit", "T1.1"], [LABEL, SAID]),
])
def test_labels_and_statements_are_shown_as_written(data, command, shown):
    result = qualflow(data, *command)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    for text in shown:
        assert text in flat, text


def test_the_theme_table_marks_confirmed_themes(data):
    """`themes` showed a confirmed theme exactly as a candidate (a researcher's audit)."""
    assert "(confirmed)" not in qualflow(data, "themes").output
    assert qualflow(data, "review", "accept", "T1", "--as", "alice").exit_code == 0
    rows = [line for line in qualflow(data, "themes").output.splitlines() if "(confirmed)" in line]
    assert len(rows) == 1 and rows[0].split("│")[1].strip() == "T1"
