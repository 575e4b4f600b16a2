"""Incremental runs: a few new statements are placed into the current themes without re-clustering."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from qualflow.flows.batch import code_interviews
from qualflow.models import (
    Embedding,
    Statement,
    Store,
    Suggestion,
    Theme,
    ThemeSet,
    Transcript,
    default_database_url,
)
from qualflow.models.queries import ACTIVE_ASSIGNMENT, LIVE_STATUSES, current_theme_set
from qualflow.pipeline.cluster import (
    centre_per_language,
    least_typical_member,
    unit_length,
)
from qualflow.pipeline.describe import cohesion
from qualflow.pipeline.persist import significant_statements
from qualflow.pipeline.place import Target, place, refresh_cohesion, worth_reclustering
from qualflow.review import actions
from sqlalchemy import func, select

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FIRST = ("en_p1_nurse.txt", "en_p2_social_worker.txt", "en_p4_team_leader.md", "zh_p5_社区医生.txt",
         "zh_p6_精防专干.txt", "zh_p7_社工.txt", "zh_p8_护士.txt")


def _unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def test_a_statement_goes_to_the_nearest_theme_of_its_own_question():
    targets = [Target(1, None, _unit([1, 0, 0]), 0.5), Target(2, None, _unit([0, 1, 0]), 0.5),
               Target(3, "Q", _unit([0, 0, 1]), 0.5)]
    vectors = np.array([[0.9, 0.1, 0.0], [0.1, 0.2, 0.9], [0.0, 0.1, 1.0], [0.3, 0.3, 0.9]])
    placed = place([10, 11, 12, 13], vectors, [None, None, "Q", "other"], targets)
    assert [p.theme_id for p in placed[:3]] == [1, 2, 3]
    assert not placed[0].weak_fit and placed[1].weak_fit  # 0.2/0.92 of the way to theme 2: below its bar
    assert placed[3] is None  # no theme answers that question


def test_the_weak_fit_bar_is_the_least_typical_member_left_out():
    members = np.vstack([_unit([1, 0.1 * i, 0]) for i in range(5)])
    floor = least_typical_member(members)
    others = members[1:].sum(axis=0)
    assert floor == pytest.approx(min(float(members[i] @ _unit(members.sum(axis=0) - members[i])) for i in range(5)))
    assert floor < float(members[0] @ _unit(others)) + 1e-9 and least_typical_member(members[:1]) == 0.0


def test_many_new_or_many_weak_statements_call_for_clustering():
    assert not worth_reclustering(10, 0, 0, 500, 0.2, "auto")
    assert worth_reclustering(101, 0, 0, 500, 0.2, "auto")  # over a fifth of the study is new
    assert worth_reclustering(11, 11, 0, 500, 0.2, "auto")  # 11 weak fits could be a theme (auto size 11 at 500)
    assert not worth_reclustering(11, 10, 0, 500, 0.2, "auto")
    assert worth_reclustering(11, 5, 0, 500, 0.2, 5)
    assert worth_reclustering(1, 0, 1, 500, 0.2, "auto")  # a statement no theme can take


@pytest.fixture(scope="module")
def grown_study(tmp_path_factory):
    """Seven interviews clustered, then an eighth arrives."""
    root = tmp_path_factory.mktemp("grown")
    inbox, data = root / "inbox", root / "data"
    inbox.mkdir()
    for name in FIRST:
        shutil.copy(EXAMPLES / name, inbox / name)
    first = code_interviews(str(inbox), str(data))
    store = Store(default_database_url(data))
    with store.session() as session:
        themes_before = {t.id: (t.code, t.label) for t in session.scalars(select(Theme))}
        cohesion_before = {t.id: t.cohesion for t in session.scalars(select(Theme))}
        sets_before = store.count(ThemeSet)
        # A reviewer's decision the placement must leave alone.
        some = session.scalar(select(Suggestion).where(Suggestion.status == "suggested").order_by(Suggestion.id))
        actions.confirm_assignment(session, "ana", some.statement_id)
        session.commit()
        confirmed = (some.statement_id, some.theme_id)
    shutil.copy(EXAMPLES / "en_p3_new_graduate.txt", inbox / "en_p3_new_graduate.txt")
    second = code_interviews(str(inbox), str(data))
    return inbox, data, store, first, second, themes_before, sets_before, confirmed, cohesion_before


def test_one_new_interview_is_placed_without_clustering_again(grown_study):
    _, _, store, first, second, themes_before, sets_before, confirmed, _ = grown_study
    assert first.reclustered and second.transcripts_added == 1
    assert not second.reclustered and second.placed > 0
    with store.session() as session:
        assert {t.id: (t.code, t.label) for t in session.scalars(select(Theme))} == themes_before  # no churn
        assert store.count(ThemeSet) == sets_before
        new = session.scalars(select(Statement.id).join(Statement.transcript).where(
            Statement.significant.is_(True), Transcript.source_name == "en_p3_new_graduate.txt")).all()
        assert len(new) == second.placed
        rows = session.execute(select(Suggestion.statement_id, func.count()).where(
            Suggestion.statement_id.in_(new), Suggestion.status.in_(ACTIVE_ASSIGNMENT))
            .group_by(Suggestion.statement_id)).all()
        assert len(rows) == len(new) and all(n == 1 for _, n in rows)  # every new statement placed once
        sizes = {t.id: t.size for t in session.scalars(select(Theme).where(Theme.parent_id.is_not(None)))}
        counted = dict(session.execute(select(Suggestion.theme_id, func.count()).where(
            Suggestion.status.in_(ACTIVE_ASSIGNMENT)).group_by(Suggestion.theme_id)).all())
        assert all(sizes[t] == counted.get(t, 0) for t in sizes)  # theme counts follow the placements
        row = session.scalar(select(Suggestion).where(Suggestion.statement_id == confirmed[0]))
        assert (row.theme_id, row.status) == (confirmed[1], "confirmed")


def stored_space(session):
    """The significant statements, and their stored vectors with each language's mean removed: the
    space the themes were found in and placement measures in."""
    theme_set = current_theme_set(session)
    statements = significant_statements(session)
    stored = dict(session.execute(select(Embedding.text_hash, Embedding.vector).where(
        Embedding.encoder_id == theme_set.encoder_id)).all())
    vectors = centre_per_language(np.vstack([np.frombuffer(stored[s.text_hash], dtype="<f4") for s in statements]),
                                  [s.language for s in statements])
    return theme_set, statements, vectors


def test_placement_refreshes_the_cohesion_of_the_themes_that_grew_and_only_theirs(grown_study):
    _, _, store, *_, cohesion_before = grown_study
    with store.session() as session:
        theme_set, statements, vectors = stored_space(session)  # over the study as it is now
        row = {s.id: i for i, s in enumerate(statements)}
        new = {s.id for s in statements if s.transcript.source_name == "en_p3_new_graduate.txt"}
        themes = list(session.scalars(select(Theme).where(Theme.theme_set_id == theme_set.id)))
        grew = changed = 0
        for theme in themes:
            ids = [theme.id] + [t.id for t in themes if t.parent_id == theme.id and t.status in LIVE_STATUSES]
            members = session.execute(select(Suggestion.statement_id, Suggestion.outlier).where(
                Suggestion.theme_id.in_(ids), Suggestion.status.in_(ACTIVE_ASSIGNMENT))).all()
            if not new & {s for s, _ in members}:
                assert theme.cohesion == cohesion_before[theme.id], theme.code
                continue
            grew += 1
            changed += theme.cohesion != cohesion_before[theme.id]
            unit = unit_length(vectors[[row[s] for s, _ in members]])
            outlier = np.array([o for _, o in members], dtype=bool)
            similarity = unit @ unit_length(unit[~outlier].mean(axis=0))  # to the centre of the dense members
            assert theme.cohesion == pytest.approx(cohesion(similarity), abs=1e-4), theme.code
        assert grew > 0 and changed > 0


def test_the_clustering_and_a_placement_measure_cohesion_alike(tmp_path):
    """The flow stores cohesion on the statements' own vectors, not on those blended with their neighbours
    for clustering, so recomputing it as a placement does changes nothing: themes that grew sort beside
    themes that did not on one scale."""
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for path in EXAMPLES.iterdir():
        if path.name != "README.md":
            shutil.copy(path, inbox / path.name)
    assert code_interviews(str(inbox), str(data)).reclustered
    store = Store(default_database_url(data))
    with store.session() as session:
        theme_set, statements, vectors = stored_space(session)
        themes = list(session.scalars(select(Theme).where(Theme.theme_set_id == theme_set.id)))
        before = {t.id: t.cohesion for t in themes}
        refresh_cohesion(session, [t.id for t in themes], {s.id: i for i, s in enumerate(statements)}, vectors)
        assert len(themes) > 2
        assert {t.id: t.cohesion for t in themes} == pytest.approx(before, abs=1e-4)


def test_a_run_after_placement_does_nothing_and_recluster_forces_clustering(grown_study):
    inbox, data, store, *_ = grown_study
    again = code_interviews(str(inbox), str(data))
    assert again.placed == 0 and not again.reclustered and again.embedded == 0
    forced = code_interviews(str(inbox), str(data), recluster=True)
    assert forced.reclustered
    with store.session() as session:
        assert current_theme_set(session).n_statements == session.scalar(
            select(func.count()).select_from(Statement).where(Statement.significant.is_(True)))


def test_with_placement_switched_off_a_new_interview_is_clustered(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in FIRST[:4]:
        shutil.copy(EXAMPLES / name, inbox / name)
    config = tmp_path / "never.yaml"
    config.write_text(yaml.safe_dump({"incremental": {"place_new": "never"}}))
    code_interviews(str(inbox), str(data), str(config))
    shutil.copy(EXAMPLES / "zh_p7_社工.txt", inbox / "zh_p7_社工.txt")
    summary = code_interviews(str(inbox), str(data), str(config))
    assert summary.reclustered and summary.placed == 0
