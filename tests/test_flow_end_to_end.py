"""The real Prefect flow on a small study: offsets, jieba tokens, idempotence, the CLI."""

import json
import shutil
from pathlib import Path

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import (
    Embedding,
    Pseudonym,
    Replacement,
    Statement,
    Store,
    Suggestion,
    Theme,
    ThemeSet,
    Transcript,
    Turn,
    default_database_url,
)
from sqlalchemy import func, select
from typer.testing import CliRunner

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

RECORDS = (Transcript, Turn, Statement, Embedding, ThemeSet, Theme, Suggestion, Pseudonym, Replacement)


def counts(store: Store) -> dict:
    return {record.__name__: store.count(record) for record in RECORDS}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """One real flow run shared by the read-only tests below."""
    root = tmp_path_factory.mktemp("study")
    inbox = root / "inbox"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "zh_p5_社区医生.txt", "zh_p6_精防专干.txt"):
        shutil.copy(EXAMPLES / name, inbox / name)
    data = root / "data"
    summary = code_interviews(str(inbox), str(data))
    return inbox, data, summary


def test_flow_stores_transcripts_statements_and_themes(study):
    inbox, data, summary = study
    assert summary.transcripts_added == 4 and not summary.failed
    store = Store(default_database_url(data))
    found = counts(store)
    assert found["Transcript"] == 4 and found["Statement"] > 100
    assert found["Theme"] >= 2
    with store.session() as session:
        significant = session.scalar(select(ThemeSet)).n_statements
        # Every significant statement has exactly one suggestion: nothing silently dropped.
        assert found["Suggestion"] == significant
        # Each distinct statement text is embedded exactly once (keyword vectors are cached too).
        hashes = set(session.scalars(select(Statement.text_hash).where(Statement.significant.is_(True))))
        cached = session.scalars(select(Embedding.text_hash).where(Embedding.text_hash.in_(hashes))).all()
        assert sorted(cached) == sorted(hashes) and len(hashes) <= significant
    report = (data / "report.md").read_text("utf-8")
    assert report.startswith("# qualflow: candidate themes")
    with store.session() as session:
        weak = session.scalar(select(func.count()).select_from(Suggestion).where(Suggestion.weak_fit.is_(True)))
    assert f"{weak} of them" in report  # the unassigned share is reported, not hidden


def test_every_statement_slices_back_to_its_text(study):
    _, data, _ = study
    store = Store(default_database_url(data))
    with store.session() as session:
        statements = session.scalars(select(Statement)).all()
        for statement in statements:
            assert statement.transcript.text[statement.start : statement.end] == statement.text
            turn = statement.turn
            assert turn.start <= statement.start < statement.end <= turn.end


def test_chinese_statements_are_tokenised_by_jieba(study):
    _, data, _ = study
    store = Store(default_database_url(data))
    with store.session() as session:
        chinese = session.scalars(select(Statement).where(Statement.language == "zh")).all()
    assert len(chinese) > 50
    multi_character = sum(any(len(t) >= 2 for t in s.tokens) for s in chinese)
    assert multi_character / len(chinese) > 0.9
    assert all("".join(s.tokens) == "".join(s.text.split()) for s in chinese)


def test_interviewer_turns_are_stored_but_not_clustered(study):
    _, data, _ = study
    store = Store(default_database_url(data))
    with store.session() as session:
        rows = session.scalars(select(Statement).join(Turn).where(Turn.role == "interviewer")).all()
        assert rows and all(not s.significant and s.excluded_reason.startswith("interviewer") for s in rows)
        clustered = session.scalars(select(Suggestion.statement_id)).all()
        assert not set(clustered) & {s.id for s in rows}


def test_second_run_adds_no_rows(study):
    inbox, data, _ = study
    store = Store(default_database_url(data))
    before = counts(store)
    summary = code_interviews(str(inbox), str(data))
    assert counts(store) == before
    assert summary.transcripts_added == 0 and len(summary.unchanged) == 4
    assert summary.embedded == 0 and not summary.reclustered


def test_a_broken_file_is_reported_and_the_rest_is_kept(study, tmp_path):
    inbox, data, _ = study
    extra = tmp_path / "more"
    shutil.copytree(inbox, extra)
    (extra / "broken.docx").write_bytes(b"PK\x03\x04 not a document")
    store = Store(default_database_url(data))
    before = counts(store)
    summary = code_interviews(str(extra), str(data))
    assert len(summary.failed) == 1 and "broken.docx" in summary.failed[0]
    assert counts(store) == before  # the four good files were already stored; nothing changed
    assert (extra / "broken.docx").exists()  # the user's file is left alone


runner = CliRunner()


def test_cli_themes_and_show_as_json(study):
    _, data, _ = study
    result = runner.invoke(app, ["themes", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    themes = json.loads(result.output)
    assert themes and {"code", "label", "keywords", "statements", "participants_covered", "exemplars",
                       "subcategories"} <= set(themes[0])
    assert themes[0]["participants_covered"].endswith("of 4")
    # Two levels: each theme's size is the sum of its subcategories'.
    for theme in themes:
        assert theme["subcategories"] and theme["statements"] == sum(s["statements"] for s in theme["subcategories"])
        assert all(s["code"].startswith(theme["code"] + ".") for s in theme["subcategories"])
    result = runner.invoke(app, ["show", "T1", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert len(shown["statements"]) == themes[0]["statements"]
    sub = themes[0]["subcategories"][0]
    result = runner.invoke(app, ["show", sub["code"], "--data", str(data), "--json"])
    assert len(json.loads(result.output)["statements"]) == sub["statements"]
    first = shown["statements"][0]
    assert {"participant", "transcript", "start", "end", "text"} <= set(first)
    store = Store(default_database_url(data))
    with store.session() as session:
        transcript = session.get(Transcript, first["transcript_id"])
        assert transcript.text[first["start"] : first["end"]] == first["text"]


def test_cli_human_readable_tables(study):
    _, data, _ = study
    result = runner.invoke(app, ["themes", "--data", str(data)])
    assert result.exit_code == 0 and "Themes and subcategories" in result.output
    result = runner.invoke(app, ["show", "1", "--data", str(data)])
    assert result.exit_code == 0 and "T1:" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "no/such/folder"], "no such file or folder"),
        (["show", "99"], "no theme T99"),
        (["show", "abc"], "is not a theme code"),
    ],
)
def test_cli_errors_are_one_line(study, args, message):
    _, data, _ = study
    result = runner.invoke(app, args + ["--data", str(data)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_unknown_config_key(tmp_path, small_study):
    config = tmp_path / "bad.yaml"
    config.write_text("embed:\n  modle: x\n")
    result = runner.invoke(app, ["run", str(small_study), "--config", str(config), "--data", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "unknown config key 'embed.modle'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_unreachable_database_is_one_line_before_any_work(tmp_path, small_study):
    result = runner.invoke(app, ["run", str(small_study), "--data", str(tmp_path / "d"),
                                 "--db", "postgresql://nobody@127.0.0.1:1/study"])
    assert result.exit_code == 2
    assert "cannot open the database postgresql://nobody@127.0.0.1:1/study" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "d").exists()  # nothing started, nothing written


def test_a_model_that_cannot_be_loaded_is_one_line_before_any_file_is_read(tmp_path, small_study):
    """The flow loads the encoder after storing every file: it would fail there with a traceback."""
    (tmp_path / "not-a-model").mkdir()
    config = tmp_path / "model.yaml"
    config.write_text(f"embed:\n  backend: sentence-transformers\n  model: {tmp_path / 'not-a-model'}\n")
    result = runner.invoke(app, ["run", str(small_study), "--config", str(config), "--data", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert f"embed.model '{tmp_path / 'not-a-model'}' could not be loaded" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "d" / "qualflow.sqlite").exists()  # no file was read or stored


def test_cli_unreadable_single_file(tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"\x00\x01 not a docx")
    result = runner.invoke(app, ["run", str(broken), "--data", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "broken.docx" in result.output and "Traceback" not in result.output


def test_cli_no_study_yet(tmp_path):
    result = runner.invoke(app, ["themes", "--data", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "no qualflow study" in result.output


def test_cli_lists_excluded_statements_with_reasons(study):
    _, data, _ = study
    result = runner.invoke(app, ["statements", "--excluded", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    excluded = json.loads(result.output)
    reasons = {row["reason"] for row in excluded}
    assert any(r.startswith("interviewer turn") for r in reasons)
    assert all(row["reason"] for row in excluded)
    store = Store(default_database_url(data))
    with store.session() as session:
        not_significant = session.scalars(select(Statement).where(Statement.significant.is_(False))).all()
    assert len(excluded) == len(not_significant)


def test_names_are_replaced_before_storage_and_listed_for_review(study):
    _, data, _ = study
    store = Store(default_database_url(data))
    with store.session() as session:
        texts = [t.text for t in session.scalars(select(Transcript))]
        statements = [s.text for s in session.scalars(select(Statement))]
    # en_p2_social_worker.txt names an (invented) "Ms. Hart"; she must not survive into storage.
    assert not any("Hart" in text for text in texts + statements)
    assert any("[PERSON_" in text for text in texts)
    result = runner.invoke(app, ["deid-report", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert any(row["original"] == "hart" and row["placeholder"].startswith("[PERSON_") for row in report)


@pytest.mark.parametrize("output_format", ["csv", "json"])
def test_export_assignments(study, tmp_path, output_format):
    import csv

    _, data, _ = study
    target = tmp_path / f"assignments.{output_format}"
    result = runner.invoke(app, ["export", "assignments", "--format", output_format, "-o", str(target),
                                 "--data", str(data)])
    assert result.exit_code == 0, result.output
    if output_format == "csv":
        rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))  # Excel's byte-order mark
    else:
        rows = json.loads(target.read_text("utf-8"))
    store = Store(default_database_url(data))
    with store.session() as session:
        assert len(rows) == session.scalar(select(ThemeSet)).n_statements
        for row in rows[:50]:
            statement = session.get(Statement, int(row["statement_id"]))
            assert statement.text == row["text"]
            assert statement.transcript.text[int(row["start"]) : int(row["end"])] == row["text"]
            assert row["theme_id"].startswith(row["parent_theme_id"] + ".")
