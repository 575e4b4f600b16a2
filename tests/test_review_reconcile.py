"""Later runs respect decisions: the reconciliation of a new clustering with the reviewed codebook."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from fixtures.review.study import add_transcript, build, run_clustering, vector_for
from qualflow.flows.batch import code_interviews
from qualflow.models import Store, Suggestion, Theme, default_database_url
from qualflow.models.queries import (
    active_assignment,
    current_theme_set,
    current_themes,
    theme_by_code,
)
from qualflow.pipeline.persist import _whole_themes
from qualflow.pipeline.place import place_into_current_themes
from qualflow.pipeline.reconcile import (
    CandidateTheme,
    ConfirmedTheme,
    assign_to_confirmed_themes,
    match_clusters,
)
from qualflow.review import actions
from qualflow.review.undo import undo
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


def family(session, theme_id) -> tuple[set[int], set[int]]:
    """A theme's live subcategories and every statement it holds, its subcategories' included."""
    subs = set(session.scalars(select(Theme.id).where(Theme.parent_id == theme_id,
                                                      Theme.status.in_(("candidate", "confirmed")))))
    held = set(session.scalars(select(Suggestion.statement_id).where(Suggestion.theme_id.in_(subs | {theme_id}),
                                                                     Suggestion.status.in_(("suggested", "confirmed")))))
    return subs, held


def test_renamed_and_merged_into_themes_keep_their_subcategories_through_a_regrouping(store):
    new_interview(store, [3, 3, 3, 0, 1, 2])  # pay arrives: a third theme, T3
    with store.session() as session:
        renamed, target, source = (theme_by_code(session, c) for c in ("T1", "T2", "T3"))
        ids = {"renamed": renamed.id, "target": target.id}
        renamed_before = family(session, renamed.id)
        union = tuple(a | b for a, b in zip(family(session, target.id), family(session, source.id)))
        assert len(renamed_before[0]) == 2 and all(union)
        taken_out = min(members(session, theme_by_code(session, "T1.2").id))
        actions.rename(session, "alice", renamed.id, "Paperwork and records")
        actions.merge(session, "alice", [source.id], target.id)
        actions.reject_assignment(session, "alice", taken_out)
        overtime_id = theme_by_code(session, "T1.2").id
        # The clusterer now hears overtime as talk about families, and pay as talk about workload.
        topic_of = {s: {1: 2, 3: 0}.get(t, t) for s, t in store.topic_of.items()}
        run_clustering(session, topic_of, "regrouped")
        after = {key: family(session, theme_id) for key, theme_id in ids.items()}
        assert session.get(Theme, ids["renamed"]).label == "Paperwork and records"
        assert after["renamed"][0] == renamed_before[0]  # its subcategories stay under it
        assert after["renamed"][1] - {taken_out} == renamed_before[1] - {taken_out}  # and every statement it held
        assert taken_out not in members(session, overtime_id)  # taken out stays out
        assert union[0] <= after["target"][0] and union[1] <= after["target"][1]  # its own and the merged theme's
        # Nothing of the renamed theme leaked into it; the statement taken out of T1.2 is free to go there.
        assert after["target"][1] - {taken_out} == union[1]
        # A second re-clustering changes nothing.
        codebook = {(t.id, t.code, t.label, t.parent_id) for t in current_themes(session)}
        rows = {(r.theme_id, r.statement_id, r.status) for r in session.scalars(select(Suggestion))}
        run_clustering(session, topic_of, "regrouped again")
        assert {(t.id, t.code, t.label, t.parent_id) for t in current_themes(session)} == codebook
        assert {(r.theme_id, r.statement_id, r.status) for r in session.scalars(select(Suggestion))} == rows


def test_an_untouched_theme_beside_a_renamed_one_is_still_free_to_change(store):
    with store.session() as session:
        families, overtime = theme_by_code(session, "T2"), theme_by_code(session, "T1.2")
        families_before = family(session, families.id)
        actions.rename(session, "alice", families.id, "Families trust us")
        # The clusterer now sees overtime as part of workload: the plain candidate T1.2 is retired.
        topic_of = {s: (0 if t == 1 else t) for s, t in store.topic_of.items()}
        run_clustering(session, topic_of, "merged-by-clusterer")
        assert overtime.id not in {t.id for t in current_themes(session)}
        assert members(session, theme_by_code(session, "T1.1").id) == {s for s, t in topic_of.items() if t == 0}
        assert family(session, families.id) == families_before and families.label == "Families trust us"



def _split_t1(session):
    actions.split(session, "alice", theme_by_code(session, "T1").id,
                  sorted(members(session, theme_by_code(session, "T1.1").id))[:2], "Short of staff")


def _undone_rename(session):
    actions.rename(session, "alice", theme_by_code(session, "T1").id, "Paperwork")
    undo(session, "alice")


ACTS = {  # what a reviewer did -> whether T1 (with subcategories T1.1, T1.2) is theirs as a whole
    "rename T1": (lambda s: actions.rename(s, "alice", theme_by_code(s, "T1").id, "Paperwork"), True),
    "accept T1": (lambda s: actions.accept(s, "alice", theme_by_code(s, "T1").id), True),
    "memo on T1": (lambda s: actions.write_memo(s, "alice", "keep", theme_id=theme_by_code(s, "T1").id), True),
    "merge into T1": (lambda s: actions.merge(s, "alice", [theme_by_code(s, "T2").id], theme_by_code(s, "T1").id), True),
    "split T1": (_split_t1, True),
    "move into T1": (lambda s: actions.move(s, "alice", min(members(s, theme_by_code(s, "T2.1").id)),
                                            theme_by_code(s, "T1").id), True),
    "take out of T1.2": (lambda s: actions.reject_assignment(s, "alice", min(members(s, theme_by_code(s, "T1.2").id))),
                         False),
    "rename T1.2": (lambda s: actions.rename(s, "alice", theme_by_code(s, "T1.2").id, "Late"), False),
    "move into T1.2": (lambda s: actions.move(s, "alice", min(members(s, theme_by_code(s, "T2.1").id)),
                                              theme_by_code(s, "T1.2").id), False),
    "rename T1, undone": (_undone_rename, False),
}


@pytest.mark.parametrize("act", list(ACTS))
def test_which_actions_make_a_theme_the_reviewers_as_a_whole(store, act):
    """Acting on a theme itself keeps all of it; acting inside one subcategory keeps that subcategory only."""
    change, whole = ACTS[act]
    with store.session() as session:
        t1 = theme_by_code(session, "T1")
        change(session)
        subs, held = family(session, t1.id)
        assert (t1.id in _whole_themes(session, current_themes(session))) is whole
        if whole:  # (the rest is free to change: test_an_untouched_theme_beside_a_renamed_one_...)
            # The clusterer now sees one theme, and T1's two subcategories as one.
            topic_of = {s: {1: 0}.get(t, t) for s, t in store.topic_of.items()}
            run_clustering(session, topic_of, "one theme", theme_of={0: 0, 1: 0, 2: 0, 3: 0})
            assert family(session, t1.id) == (subs, held)


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def three_interviews_clustered(tmp_path):
    """The real flow on three English interviews, small-study settings: (inbox, data folder, store)."""
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "en_p3_new_graduate.txt"):
        shutil.copy(EXAMPLES / name, inbox / name)
    code_interviews(str(inbox), str(data), "small-study")
    return inbox, data, Store(default_database_url(data))


def largest_themes_first(session) -> list[Theme]:
    return sorted((t for t in current_themes(session) if t.level == "theme"),
                  key=lambda t: (-len(family(session, t.id)[0]), t.id))


@pytest.mark.slow
def test_a_real_recluster_keeps_what_reviewers_did_to_whole_themes(tmp_path):
    """The real flow on three interviews; a reviewer renames a theme, merges one into another and
    takes a statement out; then the study is clustered again with other settings, twice."""
    inbox, data, store = three_interviews_clustered(tmp_path)
    with store.session() as session:
        tops = largest_themes_first(session)
        renamed, target, source = tops[:3]
        ids = {"renamed": renamed.id, "target": target.id}
        assert len(family(session, renamed.id)[0]) >= 2 and family(session, source.id)[0]
        before = family(session, renamed.id)
        union = tuple(a | b for a, b in zip(family(session, target.id), family(session, source.id)))
        taken_from = min(before[0])
        taken_out = min(members(session, taken_from))
        actions.rename(session, "alice", renamed.id, "Paperwork and records")
        actions.merge(session, "alice", [source.id], target.id)
        actions.reject_assignment(session, "alice", taken_out)
        session.commit()
    # The researcher asks for larger clusters: the clusterer's themes change.
    config = tmp_path / "larger.yaml"
    config.write_text(yaml.safe_dump({"cluster": {"min_cluster_size": 5, "reducer": "pca"}}))
    assert code_interviews(str(inbox), str(data), str(config), recluster=True).reclustered
    with store.session() as session:
        after = {key: family(session, theme_id) for key, theme_id in ids.items()}
        live = {t.id for t in current_themes(session)}
        assert session.get(Theme, ids["renamed"]).label == "Paperwork and records"
        assert ids["renamed"] in live and ids["target"] in live
        assert before[0] == after["renamed"][0]  # every subcategory stays under it...
        assert before[1] - {taken_out} <= after["renamed"][1]  # ...with every statement it held
        assert union[0] <= after["target"][0]  # the merged-into theme keeps its own and the merged one's
        assert union[1] <= after["target"][1]
        assert taken_out not in members(session, taken_from)  # what a reviewer took out stays out
        codebook = {(t.id, t.code, t.label, t.parent_id, frozenset(members(session, t.id)))
                    for t in current_themes(session)}
    assert code_interviews(str(inbox), str(data), str(config), recluster=True).reclustered
    with store.session() as session:  # a second re-clustering changes nothing
        assert {(t.id, t.code, t.label, t.parent_id, frozenset(members(session, t.id)))
                for t in current_themes(session)} == codebook


def test_offered_statements_are_free_again_but_a_reviewer_acting_on_the_theme_keeps_them(store):
    """What a run offered into a confirmed theme is the run's, not the reviewer's: the next clustering
    places it again by the same rule. Once a reviewer acts on the theme, what it held then is theirs."""
    with store.session() as session:
        workload = theme_by_code(session, "T1.1")
        actions.accept(session, "alice", theme_by_code(session, "T1").id)
        accepted_with = members(session, workload.id)
    offered = new_interview(store, [0, 0])  # suggested into the confirmed T1.1
    with store.session() as session:
        assert set(offered) <= members(session, workload.id)
        # The clusterer now hears them as talk about families: they are free to go there.
        topic_of = {**store.topic_of, **{s: 2 for s in offered}}
        run_clustering(session, topic_of, "heard again")
        assert members(session, workload.id) == accepted_with
        assert set(offered) <= members(session, theme_by_code(session, "T2.1").id)
        # Heard as workload once more, they are offered back; then a reviewer writes a memo on T1.
        run_clustering(session, store.topic_of, "heard as before")
        assert members(session, workload.id) == accepted_with | set(offered)
        actions.write_memo(session, "alice", "seen all of it", theme_id=theme_by_code(session, "T1").id)
        run_clustering(session, topic_of, "heard again, after the memo")
        assert members(session, workload.id) == accepted_with | set(offered)


def test_a_nightly_placement_into_a_confirmed_theme_is_an_offer_too(store):
    """A statement a scheduled run placed into a confirmed theme (pipeline/place.py), which no
    reviewer has seen, is free at the next clustering like any other run's offer."""
    with store.session() as session:
        workload = theme_by_code(session, "T1.1")
        actions.accept(session, "alice", theme_by_code(session, "T1").id)
        accepted_with = members(session, workload.id)
        added = add_transcript(session, "p4.txt", "P4", [0, 0])
        new = [s.id for s in added]
        store.topic_of.update({i: 0 for i in new})
        ids = sorted(store.topic_of)
        vectors = np.vstack([vector_for(store.topic_of[i], i) for i in ids])
        placed = place_into_current_themes(session, current_theme_set(session), ids, vectors, new, "nightly", 0.5, 2)
        assert {p.statement_id for p in placed} == set(new) and set(new) <= members(session, workload.id)
        run_clustering(session, {**store.topic_of, **{i: 2 for i in new}}, "heard as families")
        assert members(session, workload.id) == accepted_with
        assert set(new) <= members(session, theme_by_code(session, "T2.1").id)


@pytest.mark.slow
def test_a_real_recluster_twice_on_unchanged_data_changes_nothing_the_second_time(tmp_path):
    """The real flow on three interviews; a reviewer confirms one theme, renames another and confirms
    one assignment; then the study is clustered again with other settings, twice. What the first
    re-clustering offered into the reviewed themes is offered again by the second, not pinned and
    offered more: reviewed themes do not grow with every run."""
    inbox, data, store = three_interviews_clustered(tmp_path)
    with store.session() as session:
        tops = largest_themes_first(session)
        confirmed, renamed, other = tops[:3]
        reviewed = {confirmed.id, renamed.id}
        confirmed_statement = min(family(session, other.id)[1])
        confirmed_in = active_assignment(session, confirmed_statement).theme_id
        actions.accept(session, "alice", confirmed.id)
        actions.rename(session, "alice", renamed.id, "Paperwork and records")
        actions.confirm_assignment(session, "alice", confirmed_statement)
        at_action = {theme_id: family(session, theme_id)[1] for theme_id in reviewed}
        session.commit()

    def codebook(session):
        return {t.id: (t.code, t.label, t.status, t.parent_id, frozenset(members(session, t.id)))
                for t in current_themes(session)}

    config = tmp_path / "larger.yaml"
    config.write_text(yaml.safe_dump({"cluster": {"min_cluster_size": 5, "reducer": "pca"}}))
    assert code_interviews(str(inbox), str(data), str(config), recluster=True).reclustered
    with store.session() as session:
        first = codebook(session)
        offered = {theme_id: family(session, theme_id)[1] - at_action[theme_id] for theme_id in reviewed}
        assert any(offered.values())  # the run did offer statements into the reviewed themes
        assert all(active_assignment(session, s).status == "suggested" for held in offered.values() for s in held)
    assert code_interviews(str(inbox), str(data), str(config), recluster=True).reclustered
    with store.session() as session:
        assert codebook(session) == first  # every theme holds exactly what the first re-clustering left
        for theme_id in reviewed:
            held = family(session, theme_id)[1]
            assert at_action[theme_id] <= held  # what the theme held when a reviewer acted stays
            assert offered[theme_id] <= held  # what the first run offered is offered again
        row = active_assignment(session, confirmed_statement)
        assert (row.theme_id, row.status) == (confirmed_in, "confirmed")


def test_a_rejected_theme_is_not_offered_again_under_a_new_code(store):
    with store.session() as session:
        overtime = theme_by_code(session, "T1.2")
        overtime_id, rejected_members = overtime.id, members(session, overtime.id)
        actions.reject(session, "alice", overtime_id)
    # The clusterer finds the same group again, plus a new interview's overtime statement.
    added = new_interview(store, [1, 0])
    with store.session() as session:
        assert session.get(Theme, overtime_id).status == "rejected"
        for theme in current_themes(session):
            held = members(session, theme.id)
            # No live theme is the rejected group again (the rule that matches a cluster to a theme).
            assert len(held & rejected_members) <= len(held | rejected_members) / 2, theme.code
        # Its statements, and the new one that clustered with them, went to other themes or wait unplaced.
        for statement_id in rejected_members | {added[0]}:
            row = active_assignment(session, statement_id)
            assert row is None or (row.theme_id != overtime_id and row.outlier)


def test_a_code_a_theme_gave_up_is_never_given_to_another_theme(store):
    """A subcategory set under another theme takes a new code there; set at the top level, it gives
    that one up too. The decision log (and the reviewers' notes, exports) still call it by those
    codes: a theme made later must not get one of them."""
    with store.session() as session:
        moved = theme_by_code(session, "T1.2")
        actions.set_parent(session, "alice", moved.id, theme_by_code(session, "T2").id)
        once = session.get(Theme, moved.id).code
        actions.set_parent(session, "alice", moved.id, None)
        families = theme_by_code(session, "T2.1")
        decision = actions.split(session, "alice", families.id, sorted(members(session, families.id))[:1], "Night calls")
        new = session.get(Theme, max(int(i) for i in decision.after["themes"]))
        assert once == "T2.2" and new.code != once
        codes = [t.code for t in session.scalars(select(Theme))]
        assert len(codes) == len(set(codes))
        # Undoing the move to the top level gives the theme its code back; the one it had there stays used.
        undo(session, "alice")  # the split
        top = session.get(Theme, moved.id).code
        undo(session, "alice")  # the move to the top level
        assert session.get(Theme, moved.id).code == once
        split_again = actions.split(session, "alice", session.get(Theme, moved.id).id,
                                    sorted(members(session, moved.id))[:1], "Late nights")
        assert session.get(Theme, max(int(i) for i in split_again.after["themes"])).code not in {once, top, new.code}
