"""Later runs respect decisions: the reconciliation of a new clustering with the reviewed codebook."""

import numpy as np
import pytest
from fixtures.review.study import add_transcript, build, run_clustering
from qualflow.models import Store, Suggestion, Theme
from qualflow.models.queries import active_assignment, current_themes, theme_by_code
from qualflow.pipeline.reconcile import (
    CandidateTheme,
    ConfirmedTheme,
    assign_to_confirmed_themes,
    match_clusters,
)
from qualflow.review import actions
from sqlalchemy import select


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    store.topic_of = build(store)
    return store


def members(session, theme_id, statuses=("suggested", "confirmed")) -> set[int]:
    return set(session.scalars(select(Suggestion.statement_id).where(Suggestion.theme_id == theme_id,
                                                                     Suggestion.status.in_(statuses))))


def new_interview(store, topics, name="p4.txt", participant="P4") -> list[int]:
    with store.session() as session:
        added = add_transcript(session, name, participant, topics)
        store.topic_of.update({s.id: t for s, t in zip(added, topics)})
        run_clustering(session, store.topic_of, name)
        return [s.id for s in added]


def test_an_unchanged_clustering_keeps_every_id_and_code(store):
    with store.session() as session:
        before = {(t.id, t.code, t.label) for t in current_themes(session)}
        run_clustering(session, store.topic_of, "again")
        assert {(t.id, t.code, t.label) for t in current_themes(session)} == before


def test_new_statements_go_into_confirmed_themes_and_decisions_survive(store):
    with store.session() as session:
        workload, overtime, families = (theme_by_code(session, c) for c in ("T1.1", "T1.2", "T2.1"))
        ids = {"workload": workload.id, "overtime": overtime.id, "families": families.id}
        confirmed_members = members(session, workload.id)
        actions.accept(session, "alice", workload.id)
        actions.rename(session, "alice", families.id, "Families trust us")
        rejected_statement = min(members(session, overtime.id))
        actions.reject_assignment(session, "alice", rejected_statement)
    added = new_interview(store, [0, 0, 1, 3, 3])
    with store.session() as session:
        workload = session.get(Theme, ids["workload"])
        assert workload.status == "confirmed" and workload.code == "T1.1" and workload.label == "workload"
        now = members(session, workload.id)
        assert confirmed_members <= now
        new_in_workload = {s for s in added if store.topic_of[s] == 0}
        assert new_in_workload <= now
        assert all(active_assignment(session, s).status == "suggested" for s in new_in_workload)
        # A reviewed candidate keeps its id, code and members and grows by close new statements.
        overtime = session.get(Theme, ids["overtime"])
        assert overtime in current_themes(session) and overtime.code == "T1.2"
        assert {s for s in added if store.topic_of[s] == 1} <= members(session, overtime.id)
        # Never suggested back where a reviewer took it out.
        assert rejected_statement not in members(session, overtime.id)
        # Its cluster is overtime itself, so it stays unplaced rather than found a twin "overtime".
        placed = active_assignment(session, rejected_statement)
        assert placed is None, (session.get(Theme, placed.theme_id).label, placed.similarity)
        assert [t.label for t in current_themes(session)].count("overtime") == 1
        assert session.get(Theme, ids["families"]).label == "Families trust us"
        # The new topic became a new candidate theme with a code never used before.
        pay = [t for t in current_themes(session) if t.label == "pay"]
        assert len(pay) == 1 and pay[0].status == "candidate" and pay[0].code == "T3.1"
        assert members(session, pay[0].id) == {s for s in added if store.topic_of[s] == 3}


def test_merged_themes_stay_merged(store):
    with store.session() as session:
        source, target = theme_by_code(session, "T1.2"), theme_by_code(session, "T1.1")
        source_id, target_id = source.id, target.id
        merged = members(session, source.id) | members(session, target.id)
        actions.merge(session, "alice", [source.id], target.id)
    new_interview(store, [2, 2])
    with store.session() as session:
        assert session.get(Theme, source_id).status == "merged"
        assert merged <= members(session, target_id)
        assert not members(session, source_id)
        assert all(t.id != source_id for t in current_themes(session))


def test_split_and_moved_statements_stay_where_the_reviewer_put_them(store):
    with store.session() as session:
        families = theme_by_code(session, "T2.1")
        picked = sorted(members(session, families.id))[:2]
        decision = actions.split(session, "alice", families.id, picked, "Night calls")
        new_id = max(int(i) for i in decision.after["themes"])
        moved = min(members(session, theme_by_code(session, "T1.1").id))
        actions.move(session, "alice", moved, families.id)
    new_interview(store, [0, 1, 2])
    with store.session() as session:
        assert set(picked) <= members(session, new_id)
        assert active_assignment(session, moved).theme_id == families.id


def test_an_unmatched_candidate_is_retired_not_kept_as_churn(store):
    with store.session() as session:
        overtime_id = theme_by_code(session, "T1.2").id
        # The clusterer now sees overtime as part of workload: one cluster.
        topic_of = {s: (0 if t == 1 else t) for s, t in store.topic_of.items()}
        run_clustering(session, topic_of, "merged-by-clusterer")
        assert overtime_id not in {t.id for t in current_themes(session)}
        assert theme_by_code(session, "T1.1") is not None


def test_assign_to_confirmed_themes_needs_closeness():
    rng = np.random.default_rng(0)
    centre = np.zeros(8)
    centre[0] = 1
    members = centre + rng.normal(size=(10, 8)) * 0.1
    near, far = centre + rng.normal(size=8) * 0.1, -centre + rng.normal(size=8) * 0.1
    ids = list(range(12))
    vectors = np.vstack([members, near, far])
    placed = assign_to_confirmed_themes(ids, vectors, [10, 11], {}, [ConfirmedTheme(7, None, list(range(10)))], set())
    assert set(placed) == {10} and placed[10][0] == 7
    assert not assign_to_confirmed_themes(ids, vectors, [10], {}, [ConfirmedTheme(7, None, list(range(10)))],
                                          {(7, 10)})


def test_match_clusters_by_members_then_centre():
    previous = [CandidateTheme(1, "subcategory", None, frozenset({1, 2, 3, 4})),
                CandidateTheme(2, "subcategory", None, frozenset({5, 6}))]
    new = [{1, 2, 3, 40, 41}, {7, 8}]  # 40, 41 are new statements: they do not count against a match
    centres = np.array([[1.0, 0.0], [0.0, 1.0]])
    old_centres = np.array([[0.9, 0.1], [0.1, 0.99]])
    assert match_clusters(new, centres, previous, old_centres, known={1, 2, 3, 4, 5, 6, 7, 8}) == [1, 2]
    far = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert match_clusters(new, far, previous, old_centres, known={1, 2, 3, 4, 5, 6, 7, 8}) == [1, None]


def test_unreviewed_candidates_keep_their_ids_when_they_grow(store):
    with store.session() as session:
        before = {t.code: t.id for t in current_themes(session)}
    added = new_interview(store, [2, 2, 0, 1])
    with store.session() as session:
        after = {t.code: t.id for t in current_themes(session)}
        assert after == before  # no churn: same ids under the same codes, nothing new
        families = session.get(Theme, before["T2.1"])
        assert {s for s in added if store.topic_of[s] == 2} <= members(session, families.id)
        assert families.size == 8


def test_a_subcategory_regrouped_under_another_theme_keeps_its_id_and_gets_a_matching_code(store):
    with store.session() as session:
        overtime_id = theme_by_code(session, "T1.2").id
        # The clusterer now groups overtime with families.
        run_clustering(session, store.topic_of, "regrouped", theme_of={0: 0, 1: 1, 2: 1, 3: 2})
        overtime = session.get(Theme, overtime_id)
        parent = session.get(Theme, overtime.parent_id)
        assert overtime in current_themes(session) and parent.code == "T2"
        assert overtime.code == "T2.2"  # a code never used before, under its new parent
        assert theme_by_code(session, "T1.1") is not None and theme_by_code(session, "T2.1") is not None
