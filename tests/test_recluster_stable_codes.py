"""Re-clustering an unchanged study gives the same themes, also after reviewers rejected some:
the reconciliation (pipeline/reconcile.py) and the carried codebook (pipeline/persist.py) on a
real SQLite study, with the fixture's clusterer finding known groups."""

import pytest
from fixtures.review.study import add_transcript, build, run_clustering
from qualflow.models import Store, Suggestion, Theme
from qualflow.models.queries import current_themes, theme_by_code
from qualflow.review import actions
from sqlalchemy import select


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    store.topic_of = build(store)
    return store


def members(session, theme_id) -> frozenset[int]:
    return frozenset(session.scalars(select(Suggestion.statement_id).where(
        Suggestion.theme_id == theme_id, Suggestion.status.in_(("suggested", "confirmed")))))


def codebook(session) -> dict[int, tuple]:
    return {t.id: (t.code, t.label, t.status, t.parent_id, members(session, t.id)) for t in current_themes(session)}


def test_the_cluster_a_rejected_groups_statements_join_keeps_its_code_at_every_re_clustering(store):
    """A rejected subcategory's statements, found together again, are sent to the nearest other
    cluster. When they outnumber that cluster's own statements, it must still be matched to
    itself of the run before (which held them too), not made anew under a new code every time."""
    with store.session() as session:
        # A fourth interview about overtime only: the overtime group (T1.2) outnumbers every other.
        for statement, topic in zip(add_transcript(session, "p4.txt", "P4", [1, 1, 1, 1]), [1, 1, 1, 1]):
            store.topic_of[statement.id] = topic
        run_clustering(session, store.topic_of, "four interviews")
        overtime = theme_by_code(session, "T1.2")
        assert len(members(session, overtime.id)) == 10
        actions.reject(session, "alice", overtime.id)
        session.commit()
    with store.session() as session:
        run_clustering(session, store.topic_of, "recluster 1")  # the clusterer finds the overtime group again
        first = codebook(session)
        # The rejected group is not offered again; its statements sit, together, in the nearest other group.
        receiving = [t for t, (*_, held) in first.items() if len(held) > 10]
        assert len(receiving) == 1
        session.commit()
    for again in ("recluster 2", "recluster 3"):
        with store.session() as session:
            run_clustering(session, store.topic_of, again)
            assert codebook(session) == first, again
            session.commit()


def test_a_theme_named_only_for_its_subcategorys_sake_is_not_left_empty_when_its_group_regroups(store):
    """Rejecting T1.2 names T1 in the log (its counts changed) without acting on T1 itself. When the
    next clustering puts T1's remaining subcategory under a new theme, T1 is an unmatched candidate:
    retired like one, not shown as a live theme holding nothing beside its own near-twin. A theme a
    reviewer renamed stays, holding its statements."""
    with store.session() as session:
        # A fourth interview about families: T2 is the larger theme.
        for statement in add_transcript(session, "p4.txt", "P4", [2] * 8):
            store.topic_of[statement.id] = 2
        run_clustering(session, store.topic_of, "four interviews")
        t1_id = theme_by_code(session, "T1").id
        actions.reject(session, "alice", theme_by_code(session, "T1.2").id)
        session.commit()
    with store.session() as session:
        # Workload (T1.1) and families (T2.1) now form one theme: mostly T2's statements, so it continues T2.
        run_clustering(session, store.topic_of, "regrouped", theme_of={0: 1, 1: 1, 2: 1, 3: 2})
        live = current_themes(session)
        for theme in live:
            children = [t for t in live if t.parent_id == theme.id]
            assert members(session, theme.id) or children, f"{theme.code} is live and holds nothing"
        assert t1_id not in {t.id for t in live}
        assert session.get(Theme, t1_id).status == "candidate"  # retired, not rejected: the log's T1 is still T1
        workload = {s for s, topic in store.topic_of.items() if topic == 0}
        assert any(workload <= members(session, t.id) for t in live)


def test_an_emptied_theme_a_reviewer_renamed_stays(store):
    """The same regrouping, but the reviewer renamed T1 itself: T1 is theirs, subcategories and all."""
    with store.session() as session:
        t1_id = theme_by_code(session, "T1").id
        actions.reject(session, "alice", theme_by_code(session, "T1.2").id)
        actions.rename(session, "alice", t1_id, "Hours")
        session.commit()
    with store.session() as session:
        run_clustering(session, store.topic_of, "regrouped", theme_of={0: 1, 1: 1, 2: 1, 3: 2})
        live = {t.id: t for t in current_themes(session)}
        assert live[t1_id].label == "Hours"
        assert any(t.parent_id == t1_id and members(session, t.id) for t in live.values())
