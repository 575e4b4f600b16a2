"""Rows left in a withdrawn theme are never pinned nor counted; a re-clustering places their statements afresh.

An undo of a split made by an earlier qualflow left the statements a run had suggested into the split-off
theme there, active, in a theme no list or export shows (review/undo.py now returns them). The logged undo
names that theme, so `_codebook` (pipeline/persist.py) took those rows for a reviewer's and a `--recluster`
carried them into the withdrawn theme once more; `fit_summary` (pipeline/report.py) counted them as placed.
Real SQLite study (tests/fixtures/review/study.py), the fixture's clusterer storing a theme set as a run does.
"""

import pytest
from fixtures.review.study import build, run_clustering
from qualflow.models import Decision, Statement, Store, Suggestion, Theme
from qualflow.models.codebook import refresh_counts
from qualflow.models.queries import ACTIVE_ASSIGNMENT, active_assignment
from qualflow.pipeline.persist import _codebook
from qualflow.pipeline.report import assignment_rows, fit_summary
from qualflow.review.state import capture, restore
from sqlalchemy import select
from test_undo_split_after_run import split_then_run


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    store.topic_of = build(store)
    return store


def undo_as_before(session, decision: Decision) -> None:
    """What an undo of a split did before it returned a run's suggestions: the split's snapshot restored
    and the undo logged (naming the split-off theme), the run's rows left active in the withdrawn theme."""
    named = {kind: [int(i) for i in decision.after.get(kind, {})] for kind in ("themes", "statements", "memos")}
    now = capture(session, **named)
    restore(session, decision.before)
    refresh_counts(session, named["themes"])
    session.add(Decision(reviewer="alice", action="undo", summary=f"undid #{decision.id}: {decision.summary}",
                         theme_ids=decision.theme_ids, statement_ids=decision.statement_ids, before=now,
                         after=capture(session, **named), undoes_id=decision.id))
    session.flush()


def stranded_study(session, store) -> tuple[Theme, list[int]]:
    """A study an earlier qualflow's undo left broken: the withdrawn theme, and the statements stranded in it
    (one of them confirmed there, as a reviewer's confirm before the undo would have left it)."""
    _, made, _, offered = split_then_run(session, store)
    undo_as_before(session, session.scalar(select(Decision).where(Decision.action == "split")))
    assert made.status == "withdrawn" and {active_assignment(session, s).theme_id for s in offered} == {made.id}
    active_assignment(session, offered[0]).status = "confirmed"
    session.flush()
    return made, offered


def significant(session) -> list[int]:
    return sorted(session.scalars(select(Statement.id).where(Statement.significant.is_(True))))


def test_rows_in_a_withdrawn_theme_are_not_pinned_and_not_counted(store):
    with store.session() as session:
        _, offered = stranded_study(session, store)
        _, pinned, confirmed, *_, known, _ = _codebook(session, significant(session))
        assert not set(offered) & pinned
        assert not set(offered) & known  # free, as a new statement is
        assert not set(offered) & {s for theme in confirmed for s in theme.members}
        # The run summary counts what the export places: nothing in the withdrawn theme.
        assert fit_summary(session)["statements"] == len(assignment_rows(session))


def test_a_re_clustering_places_a_withdrawn_themes_statements_afresh(store):
    with store.session() as session:
        made, offered = stranded_study(session, store)
        run_clustering(session, store.topic_of, "recluster")
        assert session.scalars(select(Suggestion).where(Suggestion.theme_id == made.id,
                                                        Suggestion.status.in_(ACTIVE_ASSIGNMENT))).all() == []
        for statement_id in offered:
            rows = session.scalars(select(Suggestion).where(Suggestion.statement_id == statement_id,
                                                            Suggestion.status.in_(ACTIVE_ASSIGNMENT))).all()
            assert len(rows) == 1 and session.get(Theme, rows[0].theme_id).status in ("candidate", "confirmed")
        assert made.status == "withdrawn"
        exported = {row["statement_id"] for row in assignment_rows(session)}
        assert set(offered) <= exported
        assert fit_summary(session)["statements"] == len(exported)
