"""What a theme shows after review decisions and re-clustering: its quotes are its own members, a
moved statement's similarity is to the theme it went to, and the assignments export keeps a row for
every statement, in a theme or not."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from fixtures.review.study import build, vector_for
from qualflow.flows.batch import code_interviews
from qualflow.models import Embedding, Statement, Store, Suggestion, Theme, default_database_url
from qualflow.models.codebook import family_ids
from qualflow.models.queries import ACTIVE_ASSIGNMENT, current_theme_set, current_themes, theme_by_code
from qualflow.pipeline.describe import ThemeDescription
from qualflow.pipeline.persist import Assignment, ClusteredGroup, store_theme_set
from qualflow.pipeline.markdown_text import markdown_text
from qualflow.pipeline.report import _quote, export_assignment_rows, statement_list, theme_rows
from qualflow.review import actions
from qualflow.review.undo import undo
from sqlalchemy import select

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def members(session, theme: Theme) -> set[int]:
    """A theme's statements now: its own and, for a top-level theme, its live subcategories'."""
    return set(session.scalars(select(Suggestion.statement_id).where(
        Suggestion.theme_id.in_(family_ids(session, theme)), Suggestion.status.in_(ACTIVE_ASSIGNMENT))))


def quotes_that_are_not_members(session) -> dict[str, list[int]]:
    """Per theme code, the stored exemplars and the displayed ones (`qualflow themes`) that it does not hold."""
    wrong = {}
    for theme in current_themes(session):
        held = members(session, theme)
        if stray := [i for i in theme.exemplar_statement_ids if i not in held]:
            wrong[theme.code] = stray
    for row in theme_rows(session):
        for item in [row, *row["subcategories"]]:
            held = members(session, theme_by_code(session, item["code"]))
            if stray := [e["statement_id"] for e in item["exemplars"] if e["statement_id"] not in held]:
                wrong[f"{item['code']} shown"] = stray
    return wrong


# Fast: the review fixture (known vectors, a stand-in clusterer) in a real SQLite store.

@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    store.topic_of = build(store)
    return store


def test_a_cluster_described_from_a_reviewed_themes_statements_is_not_quoted_with_them(store):
    """The clusterer joins 'workload' and 'overtime' into one group, described by a workload
    statement; a reviewer renamed T1.1 (workload), so its statements stay there and the group
    continues T1.2 (overtime) with the overtime statements only: T1.2 must quote one of those."""
    with store.session() as session:
        workload, overtime = theme_by_code(session, "T1.1"), theme_by_code(session, "T1.2")
        actions.rename(session, "alice", workload.id, "Too much work")
        session.commit()
        statements = sorted((session.get(Statement, i) for i in store.topic_of), key=lambda s: s.id)
        joined = {0: 0, 1: 0, 2: 1}  # topic -> the clusterer's subcategory
        first_workload = next(i for i, s in enumerate(statements) if store.topic_of[s.id] == 0)

        def described(label, indices, exemplar):
            participants = sorted({statements[i].participant for i in indices})
            return ThemeDescription(label, [label], [exemplar], participants, 0.8)

        in_sub = [[i for i, s in enumerate(statements) if joined[store.topic_of[s.id]] == k] for k in (0, 1)]
        group = ClusteredGroup(None, statements,
                               [Assignment(joined[store.topic_of[s.id]], 0.9, False, False) for s in statements],
                               [described("workload overtime", in_sub[0], first_workload),
                                described("families", in_sub[1], in_sub[1][0])],
                               [described("work", in_sub[0], first_workload),
                                described("home", in_sub[1], in_sub[1][0])],
                               [0, 1])
        vectors = np.vstack([vector_for(store.topic_of[s.id], s.id) for s in statements])
        store_theme_set(session, "joined", "test-encoder", {}, [group], [s.id for s in statements], vectors)
        session.commit()
        overtime = session.get(Theme, overtime.id)
        assert overtime.theme_set_id == current_theme_set(session).id  # the group did continue T1.2
        assert statements[first_workload].id in members(session, session.get(Theme, workload.id))
        assert overtime.exemplar_statement_ids and set(overtime.exemplar_statement_ids) <= members(session, overtime)
        assert quotes_that_are_not_members(session) == {}


def test_moving_a_quoted_statement_replaces_the_quote_and_its_undo_does_too(store):
    with store.session() as session:
        workload, families = theme_by_code(session, "T1.1"), theme_by_code(session, "T2.1")
        quoted = workload.exemplar_statement_ids[0]
        actions.move(session, "alice", quoted, families.id)
        session.commit()
        assert quoted not in workload.exemplar_statement_ids and workload.exemplar_statement_ids
        assert quoted not in theme_by_code(session, "T1").exemplar_statement_ids  # the parent held it too
        assert quotes_that_are_not_members(session) == {}
        actions.move(session, "alice", theme_by_code(session, "T2.1").exemplar_statement_ids[0], workload.id)
        session.commit()
        undo(session, "alice")  # the second move, back
        undo(session, "alice")  # the first: the statement is in T1.1 again, and not T2.1's quote
        session.commit()
        assert quotes_that_are_not_members(session) == {}


def test_the_themes_table_never_shows_a_quote_from_another_theme(store):
    """Whatever the stored ids say (a study from before exemplars were kept among members)."""
    with store.session() as session:
        workload, families = theme_by_code(session, "T1.1"), theme_by_code(session, "T2.1")
        stranger = min(members(session, families))
        workload.exemplar_statement_ids = [stranger, *workload.exemplar_statement_ids]
        session.commit()
        shown = {item["code"]: [e["statement_id"] for e in item["exemplars"]]
                 for row in theme_rows(session) for item in [row, *row["subcategories"]]}
        assert stranger not in shown["T1.1"] and shown["T1.1"] and stranger in shown["T2.1"] + shown["T2"]


def test_export_keeps_a_row_for_statements_in_no_theme_and_says_why(store):
    with store.session() as session:
        t1_1, t2 = theme_by_code(session, "T1.1"), theme_by_code(session, "T2")
        taken_out, not_significant = sorted(members(session, t1_1))[:2]
        released = sorted(members(session, t2))
        actions.reject_assignment(session, "alice", taken_out)
        actions.mark_not_significant(session, "alice", not_significant)
        actions.reject(session, "alice", t2.id)
        session.commit()
        rows = {row["statement_id"]: row for row in export_assignment_rows(session)}
        assert set(rows) == set(store.topic_of)  # every statement, once
        assert rows[taken_out]["assignment_status"] == "taken-out"
        assert rows[not_significant]["assignment_status"] == "not-significant"
        assert {rows[i]["assignment_status"] for i in released} == {"released"}
        for i in [taken_out, not_significant, *released]:
            assert rows[i]["theme_id"] is None and rows[i]["similarity"] is None and rows[i]["text"]
        assert {rows[i]["assignment_status"] for i in rows if i not in [taken_out, not_significant, *released]} \
            == {"suggested"}


# Slow: the real flow on three English interviews (small-study settings), clustered once for the module.

@pytest.fixture(scope="module")
def clustered(tmp_path_factory):
    inbox, data = tmp_path_factory.mktemp("inbox"), tmp_path_factory.mktemp("study") / "data"
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "en_p3_new_graduate.txt"):
        shutil.copy(EXAMPLES / name, inbox / name)
    code_interviews(str(inbox), str(data), "small-study")
    return inbox, data


@pytest.fixture
def study(clustered, tmp_path):
    inbox, data = clustered
    shutil.copytree(data, tmp_path / "data")
    return inbox, tmp_path / "data", Store(default_database_url(tmp_path / "data"))


def quoted_subcategory(session) -> Theme:
    return next(t for t in current_themes(session)
                if t.level == "subcategory" and len(members(session, t)) >= 3 and t.exemplar_statement_ids)


@pytest.mark.slow
def test_split_then_recluster_quotes_only_members_everywhere(study, tmp_path):
    inbox, data, store = study
    with store.session() as session:
        source = quoted_subcategory(session)
        quoted = source.exemplar_statement_ids[0]
        taken_out = next(iter(members(session, source) - {quoted} - set(source.exemplar_statement_ids)))
        decision = actions.split(session, "alice", source.id, [quoted], "Phone calls")
        new = session.get(Theme, max(decision.theme_ids))
        actions.reject_assignment(session, "alice", taken_out)
        session.commit()
        assert quoted not in source.exemplar_statement_ids and source.exemplar_statement_ids
        assert new.exemplar_statement_ids == [quoted]
        assert quotes_that_are_not_members(session) == {}
    config = tmp_path / "larger.yaml"
    config.write_text(yaml.safe_dump({"cluster": {"min_cluster_size": 5, "reducer": "pca"}}))
    assert code_interviews(str(inbox), str(data), str(config), recluster=True).reclustered
    with store.session() as session:
        assert quotes_that_are_not_members(session) == {}
        # The run's report.md quotes, under each subcategory, only that subcategory's statements.
        heading, quotes = None, 0
        for line in (data / "report.md").read_text(encoding="utf-8").splitlines():
            if line.startswith("### "):
                heading = theme_by_code(session, line[4:].split(":")[0])
            elif line.startswith("> ") and heading is not None:
                held = [session.get(Statement, i) for i in members(session, heading)]
                assert line[2:] in {f"{markdown_text(_quote(s.text, 400))} ({s.participant or 'unknown'})"
                                    for s in held}, f"{heading.code} quotes a statement it does not hold"
                quotes += 1
        assert quotes
        # Every significant statement has its row, the one taken out too (in no theme or offered into another).
        rows = {row["statement_id"]: row for row in export_assignment_rows(session)}
        assert {row["statement_id"] for row in statement_list(session, significant=True)} == set(rows)
        assert rows[taken_out]["theme_id"] != session.get(Theme, source.id).code


@pytest.mark.slow
def test_a_moved_statement_gets_its_similarity_to_the_theme_it_went_to(study):
    _, _, store = study
    with store.session() as session:
        source = quoted_subcategory(session)
        target = next(t for t in current_themes(session)
                      if t.level == "subcategory" and t.parent_id != source.parent_id)
        statement_id = min(members(session, source))
        left = session.scalar(select(Suggestion.similarity).where(Suggestion.statement_id == statement_id,
                                                                  Suggestion.theme_id == source.id))
        actions.move(session, "alice", statement_id, target.id)
        session.commit()
        # The cosine to the centre of the target's dense members (the moved statement one of them) on the
        # stored vectors: one language here, so no language mean to remove.
        dense = session.scalars(select(Statement).join(Suggestion, Suggestion.statement_id == Statement.id).where(
            Suggestion.theme_id == target.id, Suggestion.status.in_(ACTIVE_ASSIGNMENT),
            Suggestion.outlier.is_(False))).all()
        encoder = current_theme_set(session).encoder_id

        def unit_vector(statement):
            blob = session.scalar(select(Embedding.vector).where(Embedding.encoder_id == encoder,
                                                                 Embedding.text_hash == statement.text_hash))
            vector = np.frombuffer(blob, dtype="<f4").astype(float)
            return vector / np.linalg.norm(vector)

        centre = np.mean([unit_vector(s) for s in dense], axis=0)
        expected = float(unit_vector(session.get(Statement, statement_id)) @ (centre / np.linalg.norm(centre)))
        row = next(r for r in export_assignment_rows(session) if r["statement_id"] == statement_id)
        assert row["theme_id"] == target.code and row["assignment_status"] == "confirmed"
        assert row["similarity"] == pytest.approx(expected, abs=1e-3)
        assert row["similarity"] != pytest.approx(left, abs=1e-3)  # not the similarity to the theme it left


@pytest.mark.parametrize("output_format", ["json", "csv"])
def test_the_export_command_writes_the_row_of_a_statement_taken_out(tmp_path, output_format):
    import csv
    import io
    import json

    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    study = Store(default_database_url(tmp_path))
    build(study)
    with study.session() as session:
        taken_out = min(members(session, theme_by_code(session, "T1.1")))
        actions.reject_assignment(session, "alice", taken_out)
        session.commit()
        significant = session.query(Statement).filter(Statement.significant.is_(True)).count()
    study.dispose()
    result = CliRunner().invoke(app, ["export", "assignments", "--format", output_format, "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output) if output_format == "json" else list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == significant  # one row per statement, the one taken out included
    [row] = [r for r in rows if str(r["statement_id"]) == str(taken_out)]
    assert row["assignment_status"] == "taken-out" and not row["theme_id"]
