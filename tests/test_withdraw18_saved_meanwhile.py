"""What a reviewer saves between a withdrawal's plan and its write is kept, and loses the withdrawn words too.

`qualflow withdraw P4 --yes` reads its plan (which memos, theme names and logged decisions quote P4), prints it,
then writes. The review app may save a rename or a memo in between. The write used to apply what the plan had
read: a rename saved in between was overwritten with the plan's rewrite of the name before it, while the log
kept the reviewer's rename (a lost decision), and a memo written in between kept P4's words. `withdraw` now
reads them again once it holds the write lock (pipeline/withdraw.py). Real SQLite study; the reviewer's save is
a second connection's committed transaction, as the review app's would be.
"""

from qualflow.models import Decision, Memo, Store, Theme, default_database_url
from qualflow.pipeline.withdraw import plan_withdrawal, study_participant, withdraw
from qualflow.pipeline.withdraw_memos import QUOTE_REMOVED
from qualflow.review import actions
from qualflow.review.undo import undo
from test_withdraw17_typed_quotes import _quotes_p4, _study_with_quoting_names


def _withdraw_p4_while(tmp_path, reviewer_saves) -> dict:
    """Plan P4's withdrawal, let `reviewer_saves(session)` commit through another connection, then write."""
    made = _study_with_quoting_names(tmp_path)
    store, review_app = Store(default_database_url(tmp_path)), Store(default_database_url(tmp_path))
    with store.session() as session:
        plan = plan_withdrawal(session, study_participant(session, "P4"))
        assert made["workload"] in plan.quoting_themes  # the plan read the name the reviewer then replaces
        with review_app.session() as other:
            made["saved"] = reviewer_saves(other, made)
        made["counts"] = withdraw(session, plan)
    review_app.dispose()
    store.dispose()
    return made


def test_a_rename_saved_after_the_plan_is_kept_and_can_still_be_undone(tmp_path):
    made = _withdraw_p4_while(tmp_path, lambda session, made: actions.rename(
        session, "bob", made["workload"], "Understaffing", "Bob's reading").id)
    with Store(default_database_url(tmp_path)).session() as session:
        workload = session.get(Theme, made["workload"])
        assert (workload.label, workload.description) == ("Understaffing", "Bob's reading")
        # Bob's rename quoted the name it replaced, P4's words: the log loses them, the snapshot agrees.
        renamed = session.get(Decision, made["saved"])
        assert not _quotes_p4(renamed.summary, made["said"]) and "Understaffing" in renamed.summary
        undone = undo(session, "bob")
        assert undone.undoes_id == made["saved"]
        back = session.get(Theme, made["workload"])
        assert back.label == f"Short staffed; compare “{QUOTE_REMOVED}.”" and not _quotes_p4(back.description,
                                                                                           made["said"])


def test_a_rename_saved_after_the_plan_that_quotes_them_loses_their_words(tmp_path):
    def quoting_rename(session, made):
        english = [s for s in made["said"] if s.startswith("The pay")][0]
        return actions.rename(session, "bob", made["families"], f"Night calls; see “{english}”").id

    made = _withdraw_p4_while(tmp_path, quoting_rename)
    with Store(default_database_url(tmp_path)).session() as session:
        assert session.get(Theme, made["families"]).label == f"Night calls; see “{QUOTE_REMOVED}.”"
        assert not _quotes_p4(session.get(Decision, made["saved"]).summary, made["said"])
    assert made["counts"]["themes_unquoted"] == 3  # the two the plan named, and Bob's


def test_a_memo_written_after_the_plan_loses_their_words(tmp_path):
    def quoting_memo(session, made):
        salaries = [s for s in made["said"] if s.startswith("Salaries")][0]
        written = actions.write_memo(session, "bob", f"Ask about this: {salaries}", theme_id=made["parent"])
        return int(next(iter(written.after["memos"])))

    made = _withdraw_p4_while(tmp_path, quoting_memo)
    with Store(default_database_url(tmp_path)).session() as session:
        assert session.get(Memo, made["saved"]).text == f"Ask about this: {QUOTE_REMOVED}."
    assert made["counts"]["memos_unquoted"] == 1
