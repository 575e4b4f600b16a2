"""Undoing a split after a run suggested statements into the split-off theme leaves none of them stranded.

The undo withdraws the theme the split made. Statements a run suggested into it since were not in the
split's snapshot; they go back, still suggestions, to the theme the split came from, so `show`, the
export and the run summary agree about them, and they stay a run's offer (a re-clustering does not
take them for the reviewer's). Real SQLite study (tests/fixtures/review/study.py), the placement a
scheduled run makes (pipeline/place.py, through test_released_statements.nightly).
"""

import numpy as np
import pytest
from fixtures.review.study import build, vector_for
from qualflow.models import Statement, Store, Suggestion, Theme
from qualflow.models.queries import active_assignment, current_theme_set, theme_by_code, theme_suggestions
from qualflow.pipeline.persist import _codebook
from qualflow.pipeline.place import never_placed, place_into_current_themes
from qualflow.pipeline.report import assignment_rows, fit_summary
from qualflow.review import actions
from qualflow.review.undo import undo
from sqlalchemy import select
from test_released_statements import nightly


def next_run(session, store) -> None:
    """A scheduled run with no new file, as flows/tasks.place_new places: what `never_placed` finds."""
    ids = sorted(s for s in store.topic_of if session.get(Statement, s).significant)
    vectors = np.vstack([vector_for(store.topic_of[i], i) for i in ids])
    assert place_into_current_themes(session, current_theme_set(session), ids, vectors,
                                     never_placed(session, ids), "next", 0.5, 2) is not None


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    store.topic_of = build(store)
    return store


def split_then_run(session, store) -> tuple[Theme, Theme, list[int], list[int]]:
    """Split two statements of T1.1 off, then a run with a new interview: the theme split from, the
    split-off one, the statements split off, and the new statements the run suggested into the split-off one."""
    source = theme_by_code(session, "T1.1")
    split_off = [row.statement_id for row in theme_suggestions(session, source)][:2]
    actions.split(session, "alice", source.id, split_off, "Short of staff")
    made = session.scalar(select(Theme).where(Theme.created_by == "alice"))
    new, _ = nightly(session, store, new_topics=[0, 0, 0, 0, 0, 0])
    offered = sorted(s for s in new if active_assignment(session, s).theme_id == made.id)
    assert offered, "the run should suggest some new statements into the split-off theme"
    return source, made, split_off, offered


def test_undoing_a_split_returns_a_runs_suggestions_to_the_theme_it_came_from(store):
    with store.session() as session:
        source, made, split_off, offered = split_then_run(session, store)
        done = undo(session, "alice")
        assert made.status == "withdrawn"
        for statement_id in split_off + offered:
            row = active_assignment(session, statement_id)
            assert row is not None and row.theme_id == source.id, statement_id
        assert {active_assignment(session, s).status for s in offered} == {"suggested"}
        # Nothing left in the withdrawn theme: `show`/`audit` list nothing there, the export has every one placed.
        assert theme_suggestions(session, made) == []
        assert session.scalars(select(Suggestion).where(Suggestion.theme_id == made.id)).all() == []
        exported = {row["statement_id"]: row["theme_id"] for row in assignment_rows(session)}
        assert all(exported.get(s) == source.code for s in split_off + offered)
        # The run summary counts what the export places.
        assert fit_summary(session)["statements"] == len(exported)
        # The log says where they went, and names them.
        assert f"{', '.join(map(str, offered))} suggested in {source.code}" in done.summary
        assert set(offered) <= set(done.statement_ids)


def test_the_returned_suggestions_stay_a_runs_offer_at_the_next_clustering(store):
    with store.session() as session:
        _, _, split_off, offered = split_then_run(session, store)
        undo(session, "alice")
        ids = sorted(s.id for s in session.scalars(select(Statement).where(Statement.significant.is_(True))))
        pinned = _codebook(session, ids)[1]
        # A reviewer never put them in T1.1: a re-clustering is free to offer them anew, and the
        # withdrawn theme holds nothing for it to carry.
        assert not set(offered) & pinned


def test_a_later_run_places_nothing_twice_and_leaves_no_statement_without_a_place(store):
    with store.session() as session:
        _, made, _, offered = split_then_run(session, store)
        undo(session, "alice")
        next_run(session, store)
        for statement_id in offered:
            rows = session.scalars(select(Suggestion).where(Suggestion.statement_id == statement_id,
                                                            Suggestion.status.in_(("suggested", "confirmed")))).all()
            assert len(rows) == 1 and rows[0].theme_id != made.id


def test_a_study_an_older_undo_left_stranded_gets_them_placed_by_the_next_run(store):
    from qualflow.models import Decision
    from qualflow.review.state import restore

    with store.session() as session:
        _, made, _, offered = split_then_run(session, store)
        # What an undo did before it returned a run's suggestions: the split's snapshot restored, the
        # run's rows left active in the now withdrawn theme.
        restore(session, session.scalar(select(Decision).where(Decision.action == "split")).before)
        assert made.status == "withdrawn" and {active_assignment(session, s).theme_id for s in offered} == {made.id}
        next_run(session, store)
        for statement_id in offered:
            rows = session.scalars(select(Suggestion).where(Suggestion.statement_id == statement_id)).all()
            assert [(r.status, r.theme_id != made.id) for r in rows] == [("suggested", True)], statement_id
        assert session.scalars(select(Suggestion).where(Suggestion.theme_id == made.id)).all() == []


def test_a_suggestion_with_no_theme_to_return_to_is_left_for_the_next_run(store):
    with store.session() as session:
        source = theme_by_code(session, "T1.1")
        members_before = [row.statement_id for row in theme_suggestions(session, source)]
        # A statement of T1.1 moved to T2.1, then T2 rejected: it is released, and barred from T1.1 and T2.1.
        barred = members_before[-1]
        actions.move(session, "alice", barred, theme_by_code(session, "T2.1").id)
        actions.reject(session, "alice", theme_by_code(session, "T2").id)
        actions.split(session, "alice", source.id, members_before[:2], "Short of staff")
        made = session.scalar(select(Theme).where(Theme.created_by == "alice"))
        next_run(session, store)  # suggests the released statement into the nearest theme it may go to
        assert active_assignment(session, barred).theme_id == made.id
        done = undo(session, "alice")
        assert active_assignment(session, barred) is None  # not in the withdrawn theme, nor back in T1.1
        assert f"{barred} left for the next run to place" in done.summary
        next_run(session, store)
        placed = active_assignment(session, barred)
        assert placed is not None and placed.theme_id not in {made.id, source.id, theme_by_code(session, "T2.1").id}
