"""A code a researcher wrote down last week still finds its theme, or says what became of it, and is
never given to another theme: `theme_codes` (models/theme_codes.py) and models/former_codes.py, on
real SQLite studies, themes stored as a run stores them, decisions made as reviewers make them."""

import sqlite3
from datetime import UTC, datetime

import pytest
from alembic import command
from fixtures.review.study import add_transcript, build, run_clustering
from qualflow.models import Store, Theme, ThemeCode
from qualflow.models.former_codes import continued_by, former_holders, merged_line
from qualflow.models.migrate import _config
from qualflow.models.queries import theme_by_code
from qualflow.review import actions
from qualflow.review.undo import undo
from sqlalchemy import create_engine, select

TODAY = f"{datetime.now(UTC):%Y-%m-%d}"
REGROUPED = {0: 0, 1: 1, 2: 1, 3: 0}  # overtime (T1.2) now grouped with families (T2); pay under T1


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    store.topic_of = build(store)  # T1 workload (T1.1) and overtime (T1.2); T2 families (T2.1)
    yield store
    store.dispose()


def test_a_code_a_run_renumbered_says_what_it_is_now(store):
    with store.session() as session:
        overtime = theme_by_code(session, "T1.2")
        run_clustering(session, store.topic_of, "regrouped", theme_of=REGROUPED)
        assert overtime.code == "T2.2" and theme_by_code(session, "T1.2") is None
        now, lines = continued_by(session, "T1.2")
        assert now is overtime
        assert lines == [f"T1.2 is now T2.2 “overtime”, renumbered on {TODAY}"]


def test_a_code_given_up_is_never_given_to_another_theme(store):
    with store.session() as session:
        run_clustering(session, store.topic_of, "regrouped", theme_of=REGROUPED)
        pay = add_transcript(session, "p4.txt", "P4", [3, 3, 3])
        store.topic_of.update({s.id: 3 for s in pay})
        run_clustering(session, store.topic_of, "pay arrives", theme_of=REGROUPED)  # a new subcategory under T1
        codes = {t.label: t.code for t in session.scalars(select(Theme))}
        assert codes["pay"] == "T1.3"  # not T1.2, which a note may still mean overtime by
        assert [h.theme.label for h in former_holders(session, "T1.2")] == ["overtime"]


def test_merged_themes_and_their_moved_subcategories(store):
    with store.session() as session:
        families_theme, families = theme_by_code(session, "T2"), theme_by_code(session, "T2.1")
        overtime = theme_by_code(session, "T1.2")
        actions.merge(session, "alice", [families_theme.id], theme_by_code(session, "T1").id)
        actions.merge(session, "alice", [overtime.id], theme_by_code(session, "T1.1").id)
        # A merged theme keeps its code (found as it is) and says where it went; its subcategory moved
        # under T1 with a new code.
        assert theme_by_code(session, "T2") is families_theme and families.code == "T1.3"
        # A merge describes its target again (review/actions.py), so the line names it as it is now.
        t1, t1_1 = theme_by_code(session, "T1").label, theme_by_code(session, "T1.1").label
        assert t1 != "theme 0" and t1_1 != "workload"
        assert merged_line(session, families_theme) == f"T2 was merged into T1 “{t1}” on {TODAY}"
        assert merged_line(session, overtime) == f"T1.2 was merged into T1.1 “{t1_1}” on {TODAY}"
        assert merged_line(session, families) is None
        now, lines = continued_by(session, "T2.1")
        assert now is families and lines == [f"T2.1 is now T1.3 “families”, renumbered on {TODAY}"]


def test_a_theme_no_later_run_found_says_so(store):
    with store.session() as session:
        without_families = {s: t for s, t in store.topic_of.items() if t != 2}
        run_clustering(session, without_families, "families gone")
        now, lines = continued_by(session, "T2.1")
        assert now is None and lines == [f"T2.1 was “families”, found by the run of {TODAY}; later runs did not "
                                         "find it again (no current theme continues it)"]


def test_a_code_held_by_two_themes_lists_both(store):
    with store.session() as session:
        overtime, families = theme_by_code(session, "T1.2"), theme_by_code(session, "T2.1")
        actions.set_parent(session, "alice", overtime.id, theme_by_code(session, "T2").id)  # T1.2 -> T2.2
        # Before revision 0008 a code given up could be handed on: families is given T1.2 as old studies did.
        families.code = "T1.2"
        session.flush()
        assert theme_by_code(session, "T1.2") is families
        assert [h.line for h in former_holders(session, "T1.2", excluding=families.id)] == \
            [f"T1.2 is now T2.2 “overtime”, renumbered on {TODAY}"]
        actions.set_parent(session, "alice", families.id, theme_by_code(session, "T1").id)  # and leaves it too
        now, lines = continued_by(session, "T1.2")
        assert now is None  # two themes, two answers: none is picked
        assert lines == [f"T1.2 is now T2.2 “overtime”, renumbered on {TODAY}",
                         f"T1.2 is now {families.code} “families”, renumbered on {TODAY}"]


def test_an_undo_gives_a_code_back_and_the_history_shows_both(store):
    with store.session() as session:
        overtime = theme_by_code(session, "T1.2")
        actions.set_parent(session, "alice", overtime.id, theme_by_code(session, "T2").id)
        undo(session, "alice")
        assert theme_by_code(session, "T1.2") is overtime and former_holders(session, "T1.2") == []
        history = session.scalars(select(ThemeCode.code).where(ThemeCode.theme_id == overtime.id)
                                  .order_by(ThemeCode.id)).all()
        assert history == ["T1.2", "T2.2", "T1.2"]
        assert former_holders(session, "T2.2")[0].line == f"T2.2 is now T1.2 “overtime”, renumbered on {TODAY}"


def test_a_study_at_0007_gets_the_codes_its_decision_log_shows(tmp_path):
    database = tmp_path / "study.sqlite"
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0007")
    engine.dispose()
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO theme_sets (id, fingerprint, encoder_id, settings, n_statements, created_at) "
                   "VALUES (1, 'f', 'use', '{}', 0, '2026-11-01')")
        for theme_id, code, parent in ((1, "T1", None), (2, "T2", None), (3, "T2.4", 2)):
            db.execute("INSERT INTO themes (id, theme_set_id, number, code, level, status, parent_id, label, keywords, "
                       "exemplar_statement_ids, size, participants, cohesion, reviewer_fields, version) VALUES "
                       f"({theme_id}, 1, {theme_id}, '{code}', 'theme', 'candidate', ?, 'L{theme_id}', '[]', '[]', 1, "
                       "'[]', 0.5, '[]', 1)", (parent,))
        # A reviewer put T1.2 under T2 (it became T2.3); a later run renumbered it T2.4, which no log shows.
        db.execute("INSERT INTO decisions (id, at, reviewer, action, summary, theme_ids, statement_ids, before, after) "
                   "VALUES (1, '2026-11-20 10:00:00.000000+00:00', 'alice', 'set-parent', 'put T1.2 under T2', '[3]', "
                   "'[]', '{\"themes\": {\"3\": {\"code\": \"T1.2\"}}}', "
                   "'{\"themes\": {\"3\": {\"code\": \"T2.3\"}}}')")
    store = Store(f"sqlite:///{database}")
    with store.session() as session:
        history = session.execute(select(ThemeCode.theme_id, ThemeCode.code, ThemeCode.given_at)
                                  .order_by(ThemeCode.id)).all()
        assert [(t, c) for t, c, _ in history] == [(1, "T1"), (2, "T2"), (3, "T1.2"), (3, "T2.3"), (3, "T2.4")]
        assert history[3].given_at.date().isoformat() == "2026-11-20" and history[4].given_at is None
        assert continued_by(session, "T1.2")[1] == ["T1.2 is now T2.4 “L3”, renumbered on 2026-11-20"]
        assert continued_by(session, "T2.3")[1] == ["T2.3 is now T2.4 “L3”, renumbered (date not recorded)"]
    store.dispose()
