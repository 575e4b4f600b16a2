"""What a reviewer saves between a withdrawal's plan and its write is kept, and loses the withdrawn words too.

`qualflow withdraw P4 --yes` reads its plan (which memos, theme names and logged decisions quote P4), prints it,
then writes. The review app may save a rename or a memo in between. The write used to apply what the plan had
read: a rename saved in between was overwritten with the plan's rewrite of the name before it, while the log
kept the reviewer's rename (a lost decision), and a memo written in between kept P4's words. `withdraw` now
reads them again once it holds the write lock (pipeline/withdraw.py): SQLite's, or on PostgreSQL the rows
themselves (FOR UPDATE), so a save that comes while it writes waits. Real SQLite and PostgreSQL studies; the
reviewer's save is a second connection's transaction, as the review app's would be.
"""

import pytest
from qualflow.models import Decision, Memo, Store, Theme, default_database_url
from qualflow.pipeline.withdraw import plan_withdrawal, study_participant, withdraw
from qualflow.pipeline.withdraw_memos import QUOTE_REMOVED
from qualflow.review import actions
from qualflow.review.undo import undo
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from test_withdraw17_typed_quotes import _quotes_p4, _study_with_quoting_names


def _withdraw_p4_while(tmp_path, reviewer_saves, url: str | None = None) -> dict:
    """Plan P4's withdrawal, let `reviewer_saves(session)` commit through another connection, then write."""
    made = _study_with_quoting_names(tmp_path, url)
    url = url or default_database_url(tmp_path)
    store, review_app = Store(url), Store(url)
    with store.session() as session:
        plan = plan_withdrawal(session, study_participant(session, "P4"))
        assert made["workload"] in plan.quoting_themes  # the plan read the name the reviewer then replaces
        with review_app.session() as other:
            made["saved"] = reviewer_saves(other, made)
        made["counts"] = withdraw(session, plan)
    review_app.dispose()
    store.dispose()
    return made


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_rename_saved_after_the_plan_is_kept_and_can_still_be_undone(tmp_path, database, request):
    url = request.getfixturevalue("postgres_url") if database == "postgresql" else default_database_url(tmp_path)
    made = _withdraw_p4_while(tmp_path, lambda session, made: actions.rename(
        session, "bob", made["workload"], "Understaffing", "Bob's reading").id, url)
    with Store(url).session() as session:
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


def test_on_postgresql_a_rename_sent_while_the_withdrawal_writes_waits_for_it(tmp_path, postgres_url):
    """The withdrawal holds every theme row from its re-reading to its commit, so a rename sent meanwhile
    waits (here: gives up after its lock timeout) instead of being overwritten or slipping in unread."""
    made = _study_with_quoting_names(tmp_path, postgres_url)
    store, review_app = Store(postgres_url), Store(postgres_url)
    with store.session() as session:
        withdraw(session, plan_withdrawal(session, study_participant(session, "P4")))
        with pytest.raises(OperationalError, match="lock timeout"), review_app.session() as other:
            other.execute(text("SET LOCAL lock_timeout = '300ms'"))
            # A theme the withdrawal does not rewrite: held all the same, as a quote could arrive in it.
            actions.rename(other, "bob", made["families"], "Night calls", "Bob's reading")
            other.flush()
    with review_app.session() as other:  # once it has committed, the rename goes through
        actions.rename(other, "bob", made["families"], "Night calls", "Bob's reading")
    with Store(postgres_url).session() as session:
        assert session.get(Theme, made["families"]).label == "Night calls"
    review_app.dispose()
    store.dispose()
