"""`qualflow export assignments` carries the reviewer's decision on each statement
(`assignment_status`) beside its theme's status (`status`)."""

import csv
import io
import json

import pytest
from fixtures.review.study import built_study
from qualflow.flows.cli import app
from qualflow.models import Store, Suggestion, default_database_url
from qualflow.models.queries import theme_by_code
from sqlalchemy import select
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture
def data(tmp_path):
    return built_study(tmp_path)


def qualflow(data, *args):
    result = runner.invoke(app, [*args, "--data", str(data)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("output_format", ["csv", "json"])
def test_export_shows_a_confirmed_assignment_and_keeps_the_theme_status(data, output_format):
    with Store(default_database_url(data)).session() as session:
        confirmed = min(session.scalars(select(Suggestion.statement_id).where(
            Suggestion.theme_id == theme_by_code(session, "T2.1").id)))
    qualflow(data, "review", "accept", "T2.1")
    qualflow(data, "review", "confirm", str(confirmed))

    text = qualflow(data, "export", "assignments", "--format", output_format)
    rows = list(csv.DictReader(io.StringIO(text))) if output_format == "csv" else json.loads(text)
    by_id = {int(row["statement_id"]): row for row in rows}
    assert by_id[confirmed]["assignment_status"] == "confirmed"
    assert by_id[confirmed]["status"] == "confirmed"  # T2.1's own status, accepted above
    others = [row for row in rows if int(row["statement_id"]) != confirmed]
    assert others and {row["assignment_status"] for row in others} == {"suggested"}
    assert {row["status"] for row in others if row["theme_id"] != "T2.1"} == {"candidate"}
    assert {row["parent_theme_status"] for row in rows} == {"candidate"}


def test_an_accepted_theme_shows_in_its_statements_rows(data):
    qualflow(data, "review", "accept", "T1")
    rows = json.loads(qualflow(data, "export", "assignments", "--format", "json"))
    under = {row["parent_theme_id"]: {r["parent_theme_status"] for r in rows if r["parent_theme_id"] == row["parent_theme_id"]}
             for row in rows}
    assert under["T1"] == {"confirmed"} and all(v == {"candidate"} for k, v in under.items() if k != "T1")
