"""`qualflow audit` with a code a theme had before: the real CLI on a real SQLite study."""

import json

from fixtures.review.study import built_study
from qualflow.flows.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def qualflow(data, *args):
    return runner.invoke(app, [*args, "--data", str(data)])


def test_audit_finds_a_theme_by_a_code_it_had_and_says_what_it_is_now(tmp_path):
    data = built_study(tmp_path)
    assert qualflow(data, "review", "parent", "T1.2", "T2", "--as", "alice").exit_code == 0  # T1.2 -> T2.2
    result = qualflow(data, "audit", "T1.2")
    assert result.exit_code == 0, result.output
    assert "note: T1.2 is now T2.2 “overtime”, renumbered on" in result.output
    assert "T2.2 “overtime”" in result.output
    audit = json.loads(qualflow(data, "audit", "T1.2", "--json").output)
    assert audit["code"] == "T2.2" and audit["notes"][0].startswith("T1.2 is now T2.2")
    # A decision is not made on a guess: the command names the code to use.
    refused = qualflow(data, "review", "accept", "T1.2", "--as", "alice")
    assert refused.exit_code == 2 and "T1.2 is now T2.2" in refused.output
    shown = qualflow(data, "show", "T1.2")  # `show` only reads but shows one code's table: it names the code to use
    assert shown.exit_code == 2 and "T1.2 is now T2.2" in shown.output


def test_audit_of_a_merged_theme_says_where_it_went(tmp_path):
    data = built_study(tmp_path)
    assert qualflow(data, "review", "merge", "T1.2", "--into", "T1.1", "--as", "alice").exit_code == 0
    result = qualflow(data, "audit", "T1.2")
    # The merge described T1.1 again from all it holds (review/actions.py): the note names it as it is now.
    label = json.loads(qualflow(data, "audit", "T1.1", "--json").output)["label"]
    assert label != "workload"
    assert result.exit_code == 0 and f"note: T1.2 was merged into T1.1 “{label}” on" in result.output
