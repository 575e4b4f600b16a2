"""Statements released by rejecting their theme are suggested elsewhere by the next run, also by a
run that only places new statements (pipeline/place.py) and by one with no new file at all; those a
reviewer took out on purpose or marked not significant stay out, and no rejected assignment returns."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from fixtures.review.study import add_transcript, build, vector_for
from qualflow.flows.batch import code_interviews
from qualflow.models import Statement, Store, Suggestion, Theme, default_database_url
from qualflow.models.queries import (
    active_assignment,
    current_theme_set,
    current_themes,
    theme_by_code,
)
from qualflow.pipeline.cluster import unit_length
from qualflow.pipeline.place import place_into_current_themes
from qualflow.review import actions
from qualflow.review.undo import undo
from sqlalchemy import select


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    store.topic_of = build(store)
    return store


def members(session, theme_id) -> set[int]:
    return set(session.scalars(select(Suggestion.statement_id).where(
        Suggestion.theme_id == theme_id, Suggestion.status.in_(("suggested", "confirmed")))))


def rejected_from(session, statement_id) -> set[int]:
    return set(session.scalars(select(Suggestion.theme_id).where(Suggestion.statement_id == statement_id,
                                                                 Suggestion.status == "rejected")))


def nightly(session, store, new_topics=(), name="p4.txt"):
    """A scheduled run's placement (as flows/tasks.place_new calls it), with a new interview of
    `new_topics` (none: nothing new). Returns the new statement ids and the placements."""
    new = []
    if new_topics:
        new = [s.id for s in add_transcript(session, name, "P4", list(new_topics))]
        store.topic_of.update({s: t for s, t in zip(new, new_topics)})
    ids = sorted(s for s in store.topic_of if session.get(Statement, s).significant)
    vectors = np.vstack([vector_for(store.topic_of[i], i) for i in ids])
    placed = place_into_current_themes(session, current_theme_set(session), ids, vectors, new, "nightly", 0.5, 2)
    assert placed is not None  # placed, not re-clustered
    return new, placed


def nearest(session, store, statement_id, allowed: list[Theme]) -> int:
    """The allowed theme whose members' centre is nearest the statement (as place.py measures it)."""
    def centre(theme):
        rows = unit_length(np.vstack([vector_for(store.topic_of[s], s) for s in members(session, theme.id)]))
        return unit_length(rows.mean(axis=0))
    v = unit_length(vector_for(store.topic_of[statement_id], statement_id))
    return max(allowed, key=lambda t: float(centre(t) @ v)).id


def test_a_placement_with_new_statements_suggests_a_rejected_themes_statements_elsewhere(store):
    with store.session() as session:
        overtime = theme_by_code(session, "T1.2")
        released = members(session, overtime.id)
        live = [theme_by_code(session, c) for c in ("T1.1", "T2.1")]
        expected = {s: nearest(session, store, s, live) for s in released}
        actions.reject(session, "alice", overtime.id)
        new, _ = nightly(session, store, [0, 2])
        for s in released:
            row = active_assignment(session, s)
            assert row is not None, f"released statement {s} was left in no theme"
            assert row.theme_id == expected[s] and row.status == "suggested"
        assert all(active_assignment(session, s) is not None for s in new)
        # The theme set now covers them: a second placement with nothing new changes nothing.
        before = {s: active_assignment(session, s).theme_id for s in released}
        nightly(session, store)
        assert {s: active_assignment(session, s).theme_id for s in released} == before


def test_a_placement_with_nothing_new_suggests_released_statements(store):
    with store.session() as session:
        families = theme_by_code(session, "T2.1")
        released = members(session, families.id)
        actions.reject(session, "alice", theme_by_code(session, "T2").id)  # the theme with its subcategory
        new, placed = nightly(session, store)
        assert new == [] and {p.statement_id for p in placed} == released
        live = {t.id for t in current_themes(session)}
        for s in released:
            row = active_assignment(session, s)
            assert row is not None and row.theme_id in live and row.theme_id != families.id


def test_no_rejected_assignment_is_suggested_again(store):
    """A workload statement moved into families, then families rejected: it is released, but never
    back into workload, where the move rejected it; it goes to the nearest other theme."""
    with store.session() as session:
        workload, overtime, families = (theme_by_code(session, c) for c in ("T1.1", "T1.2", "T2.1"))
        moved = min(members(session, workload.id))
        actions.move(session, "alice", moved, families.id)
        released = members(session, families.id)
        actions.reject(session, "alice", families.id)
        nightly(session, store, [0])
        assert active_assignment(session, moved).theme_id == overtime.id
        for s in released:
            row = active_assignment(session, s)
            assert row is not None and row.theme_id not in rejected_from(session, s)


def test_taken_out_and_not_significant_statements_stay_out(store):
    """Released statements are placed; a statement taken out of a theme (also one whose theme is
    rejected afterwards) or marked not significant is not."""
    with store.session() as session:
        workload, overtime = theme_by_code(session, "T1.1"), theme_by_code(session, "T1.2")
        taken_out, taken_then_rejected, *rest = sorted(members(session, overtime.id))
        not_significant = min(members(session, workload.id))
        taken_from_workload = max(members(session, workload.id))
        actions.reject_assignment(session, "alice", taken_out)
        actions.reject_assignment(session, "alice", taken_then_rejected)
        actions.mark_not_significant(session, "alice", not_significant)
        actions.reject_assignment(session, "alice", taken_from_workload)
        actions.reject(session, "alice", overtime.id)
        nightly(session, store, [2])
        for s in rest:
            assert active_assignment(session, s) is not None, f"released statement {s} was left in no theme"
        for s in (taken_out, taken_then_rejected, not_significant, taken_from_workload):
            assert active_assignment(session, s) is None
        assert session.scalars(select(Suggestion).where(Suggestion.statement_id == not_significant)).all() == []


def test_an_undone_rejection_releases_nothing_and_a_rejection_after_an_undone_take_out_does(store):
    with store.session() as session:
        overtime = theme_by_code(session, "T1.2")
        held = members(session, overtime.id)
        back = min(held)
        actions.reject_assignment(session, "alice", back)
        undo(session, "alice")  # back in overtime
        actions.reject(session, "alice", overtime.id)
        nightly(session, store, [0])
        assert all(active_assignment(session, s) is not None for s in held)


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.slow
def test_the_next_real_run_places_released_statements_even_with_no_new_file(tmp_path):
    """The real flow (the auditor's repro): a reviewer rejects a theme and takes a statement out of
    another; the next run, with no new file, suggests every released statement into a live theme it
    was never rejected from; the taken-out statement stays out; a run with a new file keeps all that."""
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt"):
        shutil.copy(EXAMPLES / name, inbox / name)
    code_interviews(str(inbox), str(data), "small-study")
    store = Store(default_database_url(data))
    with store.session() as session:
        themes = sorted((t for t in current_themes(session) if t.level == "subcategory" or not any(
            c.parent_id == t.id for c in current_themes(session))), key=lambda t: (-len(members(session, t.id)), t.id))
        assert len(themes) >= 3
        rejected, other = themes[0], themes[1]
        released = members(session, rejected.id)
        taken_out = min(members(session, other.id))
        actions.reject_assignment(session, "alice", taken_out)
        actions.reject(session, "alice", rejected.id)
        session.commit()
    summary = code_interviews(str(inbox), str(data), "small-study")
    assert not summary.reclustered

    def check(reclustered=False):
        with store.session() as session:
            live = {t.id for t in current_themes(session)}
            for s in released:
                row = active_assignment(session, s)
                assert row is not None, f"released statement {s} is in no theme after the run"
                assert row.theme_id in live and row.theme_id not in rejected_from(session, s)
            row = active_assignment(session, taken_out)  # a re-clustering may offer it elsewhere (reconcile.py)
            assert row is None if not reclustered else row is None or row.theme_id != other.id
            return {s: active_assignment(session, s).theme_id for s in released}

    placed = check()
    assert code_interviews(str(inbox), str(data), "small-study").placed == 0  # now unchanged: nothing moves
    assert check() == placed
    shutil.copy(EXAMPLES / "en_p3_new_graduate.txt", inbox / "en_p3_new_graduate.txt")
    check(code_interviews(str(inbox), str(data), "small-study").reclustered)  # never back where rejected
    store.dispose()
