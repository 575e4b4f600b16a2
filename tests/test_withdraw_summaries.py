"""After a participant withdraws, the decision log quotes none of their words, and undo still works.

Decision summaries quote theme names as they were ("accepted T3.1 “pay”"), and their before/after
snapshots hold the names and descriptions. A suggested name is made of the keywords of the theme's
statements: when all of those were the withdrawn participant's, the name is their words. The withdrawal
clears it from the theme (pipeline/withdraw.py) and, in place, from the log: summaries (what `audit`, the
CLI and the web app's Undo button show) and snapshots. Names a reviewer typed are the reviewer's and stay.
`qualflow withdraw` lists, by number and kind only, the decisions it makes permanent.
Real SQLite study (tests/fixtures/review/study.py, P1–P3 on four topics; P4 alone speaks of pay), the real
withdrawal, the real CLI and web app.
"""

import json
import re
import sqlite3

import pytest
from fixtures.review.study import add_transcript, build, run_clustering
from qualflow.flows.cli import app
from qualflow.models import Decision, Memo, Statement, Store, Theme, Withdrawal, default_database_url
from qualflow.models.queries import theme_by_code, theme_suggestions
from qualflow.pipeline.withdraw import EMPTIED_LABEL, plan_withdrawal, study_participant, withdraw
from qualflow.review import actions
from qualflow.review.actions import ReviewError
from qualflow.review.undo import last_undoable, undo
from sqlalchemy import select
from test_review_actions import store  # noqa: F401 (a fixture: the review study, topic_of on it)
from typer.testing import CliRunner

# The fixture's suggested names of P4's theme and subcategory: made of P4's words alone.
P4_NAMES = ("pay", "theme 2")
P4_SAYS = ("The pay is too low", "工资太低了", "Salaries have not risen")


def with_p4(session, store) -> tuple[Theme, Theme]:
    """P4's interview, all on pay, clustered: P4's subcategory (“pay”) and its theme (“theme 2”)."""
    topic_of = dict(store.topic_of)
    for statement in add_transcript(session, "p4.txt", "P4", [3, 3, 3]):
        topic_of[statement.id] = 3
    run_clustering(session, topic_of, "with P4")
    pay = theme_by_code(session, "T3.1")
    assert (pay.label, pay.size, pay.participants) == ("pay", 3, ["P4"])
    parent = session.get(Theme, pay.parent_id)
    assert parent.label == "theme 2"
    return pay, parent


def decide(session, pay: Theme, parent: Theme) -> dict[str, int]:
    """Decisions whose summaries quote P4's suggested names, one undone, and one elsewhere."""
    ids = {"accept": actions.accept(session, "alice", pay.id).id}
    ids["undo accept"] = undo(session, "alice").id
    ids["accept again"] = actions.accept(session, "alice", pay.id).id
    ids["accept parent"] = actions.accept(session, "alice", parent.id).id
    ids["rename"] = actions.rename(session, "alice", pay.id, "One voice on pay").id
    ids["memo"] = actions.write_memo(session, "alice", "only one participant", theme_id=pay.id).id
    ids["elsewhere"] = actions.rename(session, "alice", theme_by_code(session, "T1.1").id, "Staffing").id
    return ids


def withdraw_p4(session) -> dict:
    return withdraw(session, plan_withdrawal(session, study_participant(session, "P4")))


def quoted_p4_names(text: str) -> list[str]:
    return [name for name in P4_NAMES if f"“{name}”" in text]


def snapshot_wording(decision) -> set:
    return {fields.get(field) for snapshot in (decision.before, decision.after)
            for fields in snapshot.get("themes", {}).values() for field in ("label", "description")}


def test_the_log_keeps_no_suggested_name_made_of_their_words(store, tmp_path):
    with store.session() as session:
        pay, parent = with_p4(session, store)
        ids = decide(session, pay, parent)
        assert quoted_p4_names(session.get(Decision, ids["undo accept"]).summary) == ["pay"]
        withdraw_p4(session)
        for decision in session.scalars(select(Decision)):
            assert quoted_p4_names(decision.summary) == [], decision.summary
            assert not snapshot_wording(decision) & set(P4_NAMES), (decision.id, decision.before, decision.after)
        # The reviewer's words stay: the name they typed, and what they decided elsewhere.
        assert "“One voice on pay”" in session.get(Decision, ids["rename"]).summary
        assert session.get(Decision, ids["elsewhere"]).summary == "renamed T1.1 “workload” to “Staffing”"
        assert (pay.label, parent.label, parent.status) == ("One voice on pay", EMPTIED_LABEL, "confirmed")
        session.commit()
    # In the file itself, not only as the ORM reads it; and the log is still append-only.
    connection = sqlite3.connect(tmp_path / "study.sqlite")
    for summary, before, after in connection.execute("SELECT summary, before, after FROM decisions"):
        wording = json.dumps([json.loads(before), json.loads(after)], ensure_ascii=False)
        assert quoted_p4_names(summary) == [] and not [n for n in P4_NAMES if f'"{n}"' in wording]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("UPDATE decisions SET summary = 'x'")
    connection.close()


def test_undo_still_works_after_the_log_lost_their_words(store):
    with store.session() as session:
        pay, parent = with_p4(session, store)
        ids = decide(session, pay, parent)
        withdraw_p4(session)
        expected = [ids["elsewhere"], ids["memo"], ids["rename"], ids["accept parent"], ids["accept again"]]
        for decision_id in expected:
            offered = last_undoable(session)  # what the Undo button and `review undo` name
            assert offered.id == decision_id and quoted_p4_names(offered.summary) == []
            done = undo(session, "bob", offered.id)
            assert done.undoes_id == decision_id and quoted_p4_names(done.summary) == []
        # Back as before every decision, with the withdrawal's own clearing in place of P4's words.
        assert (pay.status, pay.label, pay.reviewer_fields) == ("candidate", EMPTIED_LABEL, [])
        assert (parent.status, parent.label) == ("candidate", EMPTIED_LABEL)
        assert session.scalars(select(Memo)).one().withdrawn
        assert theme_by_code(session, "T1.1").label == "workload"
        with pytest.raises(ReviewError, match="there is no decision to undo"):
            undo(session, "bob")


def test_the_undo_button_quotes_none_of_their_words(tmp_path):
    from test_review_web import client_for

    from qualflow.review.accounts import add_reviewer

    store = Store(default_database_url(tmp_path))
    store.topic_of = build(store)
    with store.session() as session:
        add_reviewer(session, "alice", "correct horse")
        pay, _ = with_p4(session, store)
        accepted = actions.accept(session, "alice", pay.id).id
        withdraw_p4(session)
    store.dispose()
    page = client_for(tmp_path, "alice", "correct horse").get("/").text
    banner = re.search(r'<button type="submit" title="Undo ([^"]*) \(u\)">', page)
    assert banner and banner.group(1).startswith(f"#{accepted} alice: accepted T3.1"), page
    assert quoted_p4_names(banner.group(1).replace("&#34;", '"')) == []


def test_withdraw_lists_the_decisions_it_makes_permanent_without_their_words(tmp_path):
    store = Store(default_database_url(tmp_path))
    store.topic_of = build(store)
    with store.session() as session:
        pay, _ = with_p4(session, store)
        workload = theme_by_code(session, "T1.1")
        older = actions.rename(session, "alice", theme_by_code(session, "T2.1").id, "Families at night")
        p1 = [row.statement_id for row in theme_suggestions(session, workload)
              if session.get(Statement, row.statement_id).participant == "P1"]
        split = actions.split(session, "alice", workload.id, p1, "Short of staff")  # P1's statements of T1.1
        made = session.scalar(select(Theme).where(Theme.created_by == "alice"))
        p4_statement = [row.statement_id for row in theme_suggestions(session, pay)][0]
        move = actions.move(session, "alice", p4_statement, made.id)  # rests on the split: into what it made
        confirm = actions.confirm_assignment(session, "alice",
                                             [row.statement_id for row in theme_suggestions(session, pay)][0])
        session.commit()
    store.dispose()
    runner = CliRunner()
    shown = runner.invoke(app, ["withdraw", "P4", "--data", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    output = " ".join(shown.output.split())
    assert f"2 decisions become permanent: #{move.id} (move), #{confirm.id} (confirm)" in output, output
    assert f"#{split.id} (split): #{move.id} (move) acted on what it changed" in output, output
    assert f"#{older.id} (rename), older, which undo reaches only through those" in output, output
    assert not [said for said in P4_SAYS if said in shown.output] and quoted_p4_names(shown.output) == []
    assert "pay" not in shown.output.lower()

    done = runner.invoke(app, ["withdraw", "P4", "--yes", "--data", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert f"2 decisions become permanent: #{move.id} (move), #{confirm.id} (confirm)" in " ".join(done.output.split())
    assert "pay" not in done.output.lower()
    with Store(default_database_url(tmp_path)).session() as session:
        assert session.scalars(select(Withdrawal)).one().counts["decisions_made_permanent"] == 2
    undone = runner.invoke(app, ["review", "undo", "--as", "bob", "--data", str(tmp_path)])
    assert undone.exit_code == 2 and f"cannot undo decision #{split.id} (split)" in undone.output


def test_a_theme_merged_away_holding_only_their_statements_loses_its_suggested_name(store):
    """Merged into another theme, P4's subcategory holds no statement for a withdrawal to find, but
    `audit` and the log still name it; so does its former parent, left with nothing."""
    with store.session() as session:
        pay, parent = with_p4(session, store)
        workload = theme_by_code(session, "T1.1")
        actions.accept(session, "alice", pay.id)
        others = theme_by_code(session, "T2.1")
        others_name = others.label
        actions.merge(session, "alice", [pay.id, others.id], workload.id)
        assert pay.status == "merged" and pay.size == 0
        # Described again from all it holds (review/actions.py merge): words two participants or more used.
        merged_name = workload.label
        assert not set(merged_name.split(" · ")) & {"pay", "工资", "salaries"}, merged_name
        withdraw_p4(session)
        assert (pay.status, pay.label, pay.keywords) == ("merged", EMPTIED_LABEL, [])
        assert parent.label == EMPTIED_LABEL
        for decision in session.scalars(select(Decision)):
            assert quoted_p4_names(decision.summary) == [], decision.summary
            assert not snapshot_wording(decision) & set(P4_NAMES), (decision.id, decision.before, decision.after)
        # The theme it went into, and one merged beside it, are others' words: they keep their names.
        assert workload.label == merged_name and (others.status, others.label) == ("merged", others_name)
