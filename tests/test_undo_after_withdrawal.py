"""Undo after a participant withdrew (`qualflow withdraw`).

A decision that touched their statements can no longer be undone: the statements are deleted and their
ids never given again. Such a decision must not block every earlier one for good: undo passes over it,
saying why (the withdrawal, not "another decision or a batch run"), and reverses the next older decision,
unless the one passed over rests on what that older decision changed (review/undo.py `_rests_on`).
Real SQLite study (tests/fixtures/review/study.py: P1, P2, P3), the real withdrawal (pipeline/withdraw.py).
"""

import pytest
from fixtures.cli import one_line_error
from fixtures.review.study import add_transcript, build, built_study, run_clustering
from qualflow.flows.cli import app
from qualflow.models import Memo, Statement, Store, Suggestion, Theme, default_database_url
from qualflow.models.queries import ACTIVE_ASSIGNMENT, active_assignment, theme_by_code, theme_suggestions
from qualflow.pipeline.withdraw import plan_withdrawal, study_participant, withdraw
from qualflow.review import actions
from qualflow.review.actions import ConflictError, ReviewError
from qualflow.review.undo import last_undoable, undo
from sqlalchemy import select
from typer.testing import CliRunner


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    store.topic_of = build(store)
    return store


def withdraw_p2(session) -> None:
    withdraw(session, plan_withdrawal(session, study_participant(session, "P2")))


def of(session, theme: Theme, participant: str) -> list[int]:
    return [row.statement_id for row in theme_suggestions(session, theme)
            if session.get(Statement, row.statement_id).participant == participant]


def placements(session) -> dict[int, tuple[int, str]]:
    """Every statement's active row: (theme, status)."""
    return {row.statement_id: (row.theme_id, row.status)
            for row in session.scalars(select(Suggestion).where(Suggestion.status.in_(ACTIVE_ASSIGNMENT)))}


def the_audits_decisions(session) -> dict[str, int]:
    """The audit's scenario, on the fixture: rename T1.1 (it holds P2 statements), move a P2 statement,
    memo on T1.1, split T1.1's P2 statements off, rename T2.1 (unrelated); then P2 withdraws."""
    workload, overtime, families = (theme_by_code(session, code) for code in ("T1.1", "T1.2", "T2.1"))
    ids = {"rename": actions.rename(session, "alice", workload.id, "Staffing").id,
           "move": actions.move(session, "alice", of(session, overtime, "P2")[0], families.id).id,
           "memo": actions.write_memo(session, "alice", "short every week", theme_id=workload.id).id,
           "split": actions.split(session, "alice", workload.id, of(session, workload, "P2"), "P2 split").id,
           "rename unrelated": actions.rename(session, "alice", families.id, "Families at night").id}
    withdraw_p2(session)
    return ids


def test_undo_passes_over_decisions_a_withdrawal_made_permanent_to_the_older_ones(store):
    with store.session() as session:
        workload = theme_by_code(session, "T1.1")
        before = {"label": workload.label, "reviewer_fields": list(workload.reviewer_fields or []),
                  "placed": {s: place for s, place in placements(session).items()
                             if session.get(Statement, s).participant != "P2"}}
        ids = the_audits_decisions(session)
        made = session.scalar(select(Theme).where(Theme.created_by == "alice"))

        assert undo(session, "bob").undoes_id == ids["rename unrelated"]
        done = undo(session, "bob")
        assert done.undoes_id == ids["memo"]
        assert f"passed over #{ids['split']} (split): a withdrawal made it permanent" in done.summary
        assert session.scalars(select(Memo)).one().withdrawn
        done = undo(session, "bob")
        assert done.undoes_id == ids["rename"]
        assert f"passed over #{ids['split']} (split), #{ids['move']} (move)" in done.summary
        assert (workload.label, list(workload.reviewer_fields or [])) == (before["label"], before["reviewer_fields"])

        # Nothing older is left: the refusal names the withdrawal, and only decision numbers and kinds.
        with pytest.raises(ReviewError) as refused:
            undo(session, "bob")
        message = str(refused.value)
        assert f"#{ids['split']} (split), #{ids['move']} (move)" in message
        assert "deleted when P2 withdrew" in message and "no earlier decision is left to undo" in message
        assert "changed since" not in message
        assert not any(words in message for words in ("P2 split", "Staffing", before["label"]))

        # What the permanent decisions did stays; everything the undone ones did is back as it was.
        assert (made.status, made.label, made.size) == ("confirmed", "P2 split", 0)
        assert placements(session) == before["placed"]


def test_an_older_decision_is_not_undone_from_under_a_permanent_one_that_rests_on_it(store):
    """A split, then a merge into the theme it made, of a theme holding P2's statements. Undoing the split
    would withdraw the theme the merge put the others' statements in: refused, and nothing changes."""
    with store.session() as session:
        workload, overtime = theme_by_code(session, "T1.1"), theme_by_code(session, "T1.2")
        split = actions.split(session, "alice", workload.id, of(session, workload, "P1"), "Short of staff")
        made = session.scalar(select(Theme).where(Theme.created_by == "alice"))
        merge = actions.merge(session, "alice", [overtime.id], made.id)
        withdraw_p2(session)
        placed = placements(session)
        with pytest.raises(ReviewError) as refused:
            undo(session, "bob")
        message = str(refused.value)
        assert f"cannot undo decision #{split.id} (split): decision #{merge.id} (merge), made after it" in message
        assert "deleted when P2 withdrew" in message and "changed since" not in message
        assert (made.status, overtime.status, overtime.merged_into_id) == ("confirmed", "merged", made.id)
        assert placements(session) == placed


def test_the_undo_button_offers_the_decision_an_undo_would_reverse(store):
    """The web app offers `last_undoable` and sends its id back (`decision_id`); the permanent one,
    sent from a page loaded before the withdrawal, is refused for what it is."""
    with store.session() as session:
        ids = the_audits_decisions(session)
        undo(session, "bob")
        assert last_undoable(session).id == ids["memo"]
        with pytest.raises(ReviewError, match="deleted when P2 withdrew") as refused:
            undo(session, "bob", decision_id=ids["split"])
        assert not isinstance(refused.value, ConflictError)
        assert undo(session, "bob", decision_id=ids["memo"]).undoes_id == ids["memo"]
        assert last_undoable(session).id == ids["rename"]


def test_review_undo_after_withdraw_on_the_command_line(tmp_path):
    data = built_study(tmp_path)
    runner = CliRunner()

    def qualflow(*args):
        return runner.invoke(app, [*args, "--data", str(data)])

    with Store(default_database_url(data)).session() as session:
        workload = theme_by_code(session, "T1.1")
        p2 = of(session, workload, "P2")
        actions.write_memo(session, "alice", "short every week", theme_id=workload.id)
        actions.confirm_assignment(session, "alice", p2[0])
        session.commit()
    assert qualflow("withdraw", "P2", "--yes").exit_code == 0
    result = qualflow("review", "undo", "--as", "bob")
    assert result.exit_code == 0 and "undid #1: wrote a memo on T1.1" in result.output.replace("\n", " ")
    one_line_error(qualflow("review", "undo", "--as", "bob"), "cannot undo decision #2 (confirm)",
                   "deleted when P2 withdrew")
    with Store(default_database_url(data)).session() as session:
        assert session.scalars(select(Memo)).one().withdrawn
        assert active_assignment(session, p2[0]) is None


def test_a_decision_on_a_theme_the_withdrawal_emptied_is_undone_without_writing_their_words_back(store):
    """A memo on a suggested theme only P4 speaks in. The withdrawal clears its words (they were P4's) from
    the theme and from the log's copy of it (pipeline/withdraw.py `_scrub_log`): undoing the memo writes
    nothing of P4's back, and its summary quotes none of it. (Before the log lost them too, this undo was
    refused: restoring the snapshot would have written them back.)"""
    from qualflow.pipeline.withdraw import EMPTIED_LABEL

    with store.session() as session:
        topic_of = dict(store.topic_of)
        for statement in add_transcript(session, "p4.txt", "P4", [3, 3, 3]):
            topic_of[statement.id] = 3
        run_clustering(session, topic_of, "with P4")
        pay = next(t for t in session.scalars(select(Theme)) if t.label == "pay" and t.status == "candidate"
                   and t.level == "subcategory" and t.size == 3)
        memo = actions.write_memo(session, "alice", "only one voice", theme_id=pay.id)
        withdraw(session, plan_withdrawal(session, study_participant(session, "P4")))
        done = undo(session, "bob")
        assert done.undoes_id == memo.id and session.scalars(select(Memo)).one().withdrawn
        assert pay.label == EMPTIED_LABEL
        assert "pay" not in done.summary  # the summary quotes the theme's name, made of P4's words
