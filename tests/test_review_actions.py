"""Each reviewer action on a real SQLite store, its entry in the log, and its undo."""

import pytest
from fixtures.review.study import build
from qualflow.models import (
    AppendOnlyError,
    Decision,
    Memo,
    Statement,
    Store,
    Suggestion,
    Theme,
)
from qualflow.models.queries import active_assignment, theme_by_code
from qualflow.review import actions
from qualflow.review.actions import ConflictError, ReviewError
from qualflow.review.state import capture
from qualflow.review.undo import undo
from sqlalchemy import func, select, text


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    store.topic_of = build(store)
    return store


def code(session, c):
    return theme_by_code(session, c)


def everything(session) -> dict:
    """The whole codebook, to compare before an action and after its undo."""
    return capture(session, themes=session.scalars(select(Theme.id)).all(),
                   statements=session.scalars(select(Statement.id)).all(), memos=session.scalars(select(Memo.id)).all())


def members(session, theme) -> set[int]:
    return set(session.scalars(select(Suggestion.statement_id).where(
        Suggestion.theme_id == theme.id, Suggestion.status.in_(("suggested", "confirmed")))))


def first_member(session, c) -> int:
    return min(members(session, code(session, c)))


def check_undo_restores(store, before):
    with store.session() as session:
        decision = undo(session, "bob")
        assert decision.action == "undo" and decision.undoes_id is not None
    with store.session() as session:
        after = everything(session)
        # Undo puts back every field; only memos made by the action stay, withdrawn.
        assert after["themes"] == {k: v for k, v in after["themes"].items() if k in before["themes"]} | {
            k: v for k, v in after["themes"].items() if k not in before["themes"]}
        for key, fields in before["themes"].items():
            assert after["themes"][key] == fields
        assert after["statements"] == before["statements"]
        assert all(m["withdrawn"] for k, m in after["memos"].items() if k not in before["memos"])


def test_accept_and_undo(store):
    with store.session() as session:
        before = everything(session)
        decision = actions.accept(session, "alice", code(session, "T1").id)
        assert decision.reviewer == "alice" and decision.before["themes"][str(code(session, "T1").id)]["status"] == "candidate"
        assert code(session, "T1").status == "confirmed"
    check_undo_restores(store, before)


def test_reject_releases_statements_and_undo(store):
    with store.session() as session:
        before = everything(session)
        theme = code(session, "T2")
        actions.reject(session, "alice", theme.id)
        assert theme.status == "rejected" and code(session, "T2.1").status == "rejected"
        assert members(session, code(session, "T2.1")) == set()
    check_undo_restores(store, before)


def test_rename_and_undo(store):
    with store.session() as session:
        before = everything(session)
        actions.rename(session, "alice", code(session, "T1.1").id, "人手不足 Staff shortage", "Too few hands.")
        theme = code(session, "T1.1")
        assert theme.label == "人手不足 Staff shortage" and theme.description == "Too few hands."
        assert set(theme.reviewer_fields) == {"label", "description"}
        with pytest.raises(ReviewError):
            actions.rename(session, "alice", theme.id, "   ")
    check_undo_restores(store, before)


def test_merge_and_undo(store):
    with store.session() as session:
        before = everything(session)
        source, target = code(session, "T1.2"), code(session, "T1.1")
        moved = members(session, source)
        actions.merge(session, "alice", [source.id], target.id)
        assert source.status == "merged" and source.merged_into_id == target.id
        assert moved <= members(session, target) and target.size == 12
        with pytest.raises(ReviewError, match="same level"):
            actions.merge(session, "alice", [code(session, "T2").id], code(session, "T2.1").id)
    check_undo_restores(store, before)


def test_merge_top_level_themes_moves_subcategories(store):
    with store.session() as session:
        before = everything(session)
        moved = code(session, "T2.1")
        actions.merge(session, "alice", [code(session, "T2").id], code(session, "T1").id)
        assert moved.parent_id == code(session, "T1").id
        assert code(session, "T1").size == 18
        # Its code follows its new theme's: T2.1 under T1 would read as the merged theme's.
        assert moved.code == "T1.3" and code(session, "T2.1") is None
    check_undo_restores(store, before)
    with store.session() as session:
        assert code(session, "T2.1").id == moved.id


def test_split_by_picked_statements_and_undo(store):
    with store.session() as session:
        before = everything(session)
        theme = code(session, "T1.1")
        picked = sorted(members(session, theme))[:2]
        decision = actions.split(session, "alice", theme.id, picked, "Night shifts")
        new = session.get(Theme, max(int(i) for i in decision.after["themes"]))
        assert new.code == "T1.3" and new.parent_id == theme.parent_id and new.status == "confirmed"
        assert members(session, new) == set(picked) and not (members(session, theme) & set(picked))
        assert theme.size == 4
    check_undo_restores(store, before)
    with store.session() as session:
        assert session.get(Theme, new.id).status == "withdrawn"


def test_split_suggestion_separates_two_topics(store):
    from fixtures.review.study import vector_for
    from qualflow.models import Embedding

    with store.session() as session:
        actions.merge(session, "alice", [code(session, "T1.2").id], code(session, "T1.1").id)
        theme = code(session, "T1.1")
        truth = store.topic_of
        for statement_id in members(session, theme):
            statement = session.get(Statement, statement_id)
            vector = vector_for(truth[statement_id], statement_id).astype("<f4")
            session.add(Embedding(encoder_id="test-encoder", text_hash=statement.text_hash, dim=16, vector=vector.tobytes()))
        session.flush()
        from qualflow.review.split_suggestion import suggest_split

        groups = suggest_split(session, theme.id)
    assert sorted(map(len, groups)) == [6, 6]
    assert all(len({truth[s] for s in group}) == 1 for group in groups)


def test_move_and_undo(store):
    with store.session() as session:
        before = everything(session)
        statement_id = first_member(session, "T1.1")
        actions.move(session, "alice", statement_id, code(session, "T2.1").id)
        row = active_assignment(session, statement_id)
        assert row.theme_id == code(session, "T2.1").id and row.status == "confirmed"
        old = session.scalar(select(Suggestion).where(Suggestion.statement_id == statement_id,
                                                      Suggestion.theme_id == code(session, "T1.1").id))
        assert old.status == "rejected"
    check_undo_restores(store, before)


def test_confirm_and_reject_assignment_and_undo(store):
    with store.session() as session:
        before = everything(session)
        statement_id = first_member(session, "T2.1")
        actions.confirm_assignment(session, "alice", statement_id)
        assert active_assignment(session, statement_id).status == "confirmed"
    check_undo_restores(store, before)
    with store.session() as session:
        actions.reject_assignment(session, "alice", statement_id)
        assert active_assignment(session, statement_id) is None
        assert code(session, "T2.1").size == 5
    check_undo_restores(store, before)


def test_not_significant_and_undo(store):
    with store.session() as session:
        before = everything(session)
        statement_id = first_member(session, "T2.1")
        actions.mark_not_significant(session, "alice", statement_id)
        statement = session.get(Statement, statement_id)
        assert not statement.significant and statement.excluded_reason == actions.NOT_SIGNIFICANT
        assert active_assignment(session, statement_id) is None
    check_undo_restores(store, before)


def test_set_parent_and_undo(store):
    with store.session() as session:
        before = everything(session)
        sub = code(session, "T1.2")
        decision = actions.set_parent(session, "alice", sub.id, code(session, "T2").id)
        assert sub.code == "T2.2" and sub.parent_id == code(session, "T2").id
        assert decision.summary == "put T1.2 under T2, now T2.2"  # the code reviewers knew, and the new one
        assert code(session, "T2").size == 12 and code(session, "T1").size == 6
        with pytest.raises(ReviewError, match="two levels"):
            actions.set_parent(session, "alice", code(session, "T1").id, code(session, "T2").id)
    check_undo_restores(store, before)


def test_memos_and_undo(store):
    with store.session() as session:
        before = everything(session)
        actions.write_memo(session, "alice", "Check with P2 <b>again</b>", theme_id=code(session, "T1").id)
        statement_id = first_member(session, "T1.1")
        actions.write_memo(session, "alice", "这句话很关键", statement_id=statement_id)
        assert [m.text for m in session.scalars(select(Memo))] == ["Check with P2 <b>again</b>", "这句话很关键"]
    with store.session() as session:
        undo(session, "alice")  # the statement memo
        undo(session, "alice")  # the theme memo
        assert all(m.withdrawn for m in session.scalars(select(Memo)))
        assert everything(session)["themes"] == before["themes"]


def test_undo_walks_back_and_says_when_nothing_is_left(store):
    with store.session() as session:
        theme_id = code(session, "T1").id
        actions.rename(session, "alice", theme_id, "one")
        actions.rename(session, "alice", theme_id, "two")
        undo(session, "alice")
        assert session.get(Theme, theme_id).label == "one"
        undo(session, "alice")
        assert session.get(Theme, theme_id).label == "theme 0"
        with pytest.raises(ReviewError, match="no decision to undo"):
            undo(session, "alice")
        assert [d.action for d in session.scalars(select(Decision).order_by(Decision.id))] == [
            "rename", "rename", "undo", "undo"]


def test_stale_version_is_a_conflict_not_a_lost_update(store):
    with store.session() as session:
        theme = code(session, "T1")
        seen = theme.version  # both reviewers open the theme page at this version
        theme_id = theme.id
    with store.session() as session:
        actions.rename(session, "alice", theme_id, "Alice's name", expected={theme_id: seen})
    with pytest.raises(ConflictError, match="changed after you opened it.*alice"), store.session() as session:
        actions.rename(session, "bob", theme_id, "Bob's name", expected={theme_id: seen})
    with store.session() as session:
        assert session.get(Theme, theme_id).label == "Alice's name"
        assert [d.reviewer for d in session.scalars(select(Decision))] == ["alice"]


def test_concurrent_write_is_caught_by_the_version_column(store):
    """Two sessions read the same version; the second commit must fail, not overwrite."""
    first, second = store._sessions(), store._sessions()
    try:
        theme_id = code(first, "T1").id
        a, b = first.get(Theme, theme_id), second.get(Theme, theme_id)
        actions.rename(first, "alice", a.id, "from alice", expected={a.id: a.version})
        first.commit()
        with pytest.raises(ConflictError):
            actions.rename(second, "bob", b.id, "from bob", expected={b.id: 1})
    finally:
        second.rollback()
        first.close()
        second.close()


def test_the_log_is_append_only(store):
    with store.session() as session:
        actions.accept(session, "alice", code(session, "T1").id)
    with pytest.raises(AppendOnlyError), store.session() as session:
        session.scalar(select(Decision)).summary = "rewritten"
    with pytest.raises(Exception, match="append-only"), store.session() as session:
        session.execute(text("DELETE FROM decisions"))
    assert store.count(Decision) == 1


def test_undo_of_a_named_decision_only_while_it_is_the_newest(store):
    with store.session() as session:
        t1, t2 = code(session, "T1").id, code(session, "T2").id
        offered = actions.rename(session, "alice", t1, "Staffing").id  # what alice's Undo button offered
        newer = actions.accept(session, "bob", t2).id
        with pytest.raises(ConflictError, match=f"#{newer}.*bob"):
            undo(session, "alice", decision_id=offered)
        assert session.get(Theme, t2).status == "confirmed" and session.get(Theme, t1).label == "Staffing"
        assert undo(session, "bob", decision_id=newer).undoes_id == newer
        with pytest.raises(ConflictError, match="already undone"):  # a double submit undoes nothing more
            undo(session, "bob", decision_id=newer)
        assert session.get(Theme, t1).label == "Staffing"
        assert [d.action for d in session.scalars(select(Decision).order_by(Decision.id))] == [
            "rename", "accept", "undo"]


def test_statement_decisions_bump_the_theme_version(store):
    with store.session() as session:
        sub = code(session, "T2.1")
        seen = {sub.id: sub.version}
        statement_id = first_member(session, "T2.1")
        actions.confirm_assignment(session, "alice", statement_id, expected=seen)
    with store.session() as session:
        with pytest.raises(ConflictError, match="changed after you opened it"):  # bob's form is stale
            actions.reject_assignment(session, "bob", statement_id, expected=seen)
        with pytest.raises(ConflictError, match="changed after you opened it"):
            actions.mark_not_significant(session, "bob", statement_id, expected=seen)
    with store.session() as session:
        assert active_assignment(session, statement_id).status == "confirmed"
        assert [d.reviewer for d in session.scalars(select(Decision))] == ["alice"]


def test_themes_from_an_earlier_clustering_cannot_be_changed(store):
    from fixtures.review.study import run_clustering

    with store.session() as session:
        retired = code(session, "T2").id
        # A later run without the "families" topic: T2 is left in the first theme set.
        run_clustering(session, {k: v for k, v in store.topic_of.items() if v != 2}, "second")
    with store.session() as session:
        for act in (lambda: actions.accept(session, "alice", retired),
                    lambda: actions.rename(session, "alice", retired, "x"),
                    lambda: actions.write_memo(session, "alice", "m", theme_id=retired)):
            with pytest.raises(ReviewError, match="earlier clustering; open the current themes"):
                act()
        assert session.get(Theme, retired).status == "candidate"
        assert session.scalar(select(Decision)) is None


def test_set_parent_to_none_on_a_top_level_theme_changes_nothing(store):
    with store.session() as session:
        theme = code(session, "T2")
        with pytest.raises(ReviewError, match="already a top-level theme"):
            actions.set_parent(session, "alice", theme.id, None)
        with pytest.raises(ReviewError, match="already under T1"):
            actions.set_parent(session, "alice", code(session, "T1.1").id, code(session, "T1").id)
        assert theme.code == "T2" and code(session, "T2.1").parent_id == theme.id
        assert session.scalar(select(Decision)) is None


def test_children_codes_follow_a_theme_whose_code_changes(store):
    with store.session() as session:
        before = everything(session)
        t1 = code(session, "T1")
        for sub in ("T1.1", "T1.2"):  # T1 keeps its two subcategories, rejected, as children
            actions.reject(session, "alice", code(session, sub).id)
        actions.set_parent(session, "alice", t1.id, code(session, "T2").id)
        assert t1.code == "T2.2"
        children = session.scalars(select(Theme).where(Theme.parent_id == t1.id)).all()
        assert sorted(c.code for c in children) == ["T2.2.1", "T2.2.2"]
    with store.session() as session:
        undo(session, "bob")  # the set-parent: the children's codes come back too
        undo(session, "bob")
        undo(session, "bob")
        assert everything(session)["themes"] == before["themes"]


def test_accepting_a_rejected_theme_is_refused_not_an_empty_theme(store):
    with store.session() as session:
        theme = code(session, "T2")
        rejection = actions.reject(session, "alice", theme.id).id
        with pytest.raises(ReviewError, match=f"undo the rejection.*#{rejection}"):
            actions.accept(session, "bob", theme.id)
        assert theme.status == "rejected"
        assert [d.action for d in session.scalars(select(Decision))] == ["reject"]


def test_split_name_is_limited_like_rename(store):
    with store.session() as session:
        theme = code(session, "T1.1")
        picked = sorted(members(session, theme))[:1]
        with pytest.raises(ReviewError, match="1 to 300 characters"):
            actions.split(session, "alice", theme.id, picked, "长" * 301)
        actions.split(session, "alice", theme.id, picked, "长" * 300)


def test_what_reviewers_type_is_stored_with_the_studys_identifiers_replaced(store):
    from qualflow.models import Pseudonym

    with store.session() as session:
        session.add(Pseudonym(kind="PERSON", real="rebecca hargreaves", placeholder="[PERSON_1]"))
        session.add(Pseudonym(kind="PERSON", real="林小雨", placeholder="[PERSON_2]"))
        session.flush()
        t1, t2 = code(session, "T1"), code(session, "T2")
        actions.write_memo(session, "alice", "Rebecca Hargreaves said the same on the phone: 07700 900123, "
                                             "rebecca.h@example.org", theme_id=t1.id)
        actions.rename(session, "alice", t2.id, "林小雨的夜班 and overtime", description="as REBECCA  HARGREAVES told it")
        sub = code(session, "T1.1")
        actions.split(session, "alice", sub.id, [first_member(session, "T1.1")], "Rebecca Hargreaves story")
        memo = session.scalars(select(Memo)).one().text
        labels = [t.label for t in session.scalars(select(Theme))]
        stored = " ".join([memo, *labels, session.get(Theme, t2.id).description])
    assert "Hargreaves" not in stored and "HARGREAVES" not in stored and "林小雨" not in stored
    assert "900123" not in stored and "example.org" not in stored
    assert memo.startswith("[PERSON_1] said the same") and "[PHONE]" in memo and "[EMAIL]" in memo
    assert "[PERSON_2]的夜班 and overtime" in labels and "[PERSON_1] story" in labels


def test_a_memo_sent_twice_is_saved_once(store):
    with store.session() as session:
        t1 = code(session, "T1")
        actions.write_memo(session, "alice", "Ask about night shifts next time.", theme_id=t1.id)
        with pytest.raises(ReviewError, match="saved already"):
            actions.write_memo(session, "alice", "Ask about night shifts next time.", theme_id=t1.id)
        # Another reviewer, another target or other words are memos of their own.
        actions.write_memo(session, "bob", "Ask about night shifts next time.", theme_id=t1.id)
        actions.write_memo(session, "alice", "Ask about night shifts next time.", statement_id=first_member(session, "T1.1"))
        assert session.scalar(select(func.count()).select_from(Memo)) == 3


@pytest.mark.parametrize("first", ["move", "take-out"])
@pytest.mark.parametrize("second", ["confirm", "not-significant", "take-out"])
def test_a_stale_page_is_a_conflict_before_any_other_refusal(store, first, second):
    """Alice moves a statement out of T2.1 (or takes it out); Bob's page of T2.1 is older. His action is a
    conflict naming alice's change, not "already confirmed" or "not in any theme" (found in a browser audit)."""
    with store.session() as session:
        sub, other = code(session, "T2.1"), code(session, "T1")
        seen = {sub.id: sub.version}
        statement_id = first_member(session, "T2.1")
        if first == "move":
            actions.move(session, "alice", statement_id, other.id, expected=seen)
        else:
            actions.reject_assignment(session, "alice", statement_id, expected=seen)
    bob = {"confirm": actions.confirm_assignment, "not-significant": actions.mark_not_significant,
           "take-out": actions.reject_assignment}[second]
    with pytest.raises(ConflictError, match="changed after you opened it.*alice"), store.session() as session:
        bob(session, "bob", statement_id, expected=seen)
    with store.session() as session:
        assert [d.reviewer for d in session.scalars(select(Decision))] == ["alice"]
