"""The schema comes from Alembic revisions: they build exactly the models, on SQLite and
PostgreSQL, and a study made by qualflow 0.1 (before migrations) upgrades keeping its data."""

import importlib.util
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from qualflow.models import Base, Store
from qualflow.models.migrate import current_revision, head_revision

ROOT = Path(__file__).resolve().parent.parent


def _differences(store: Store) -> list:
    with store.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)


def test_revisions_build_exactly_the_models_on_sqlite(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    assert current_revision(store.engine) == head_revision()
    assert _differences(store) == []
    with sqlite3.connect(tmp_path / "study.sqlite") as db:
        triggers = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"decisions_no_update", "decisions_no_delete"} <= triggers


def test_revisions_build_exactly_the_models_on_postgres(postgres_url):
    store = Store(postgres_url)
    assert current_revision(store.engine) == head_revision()
    assert _differences(store) == []
    store.dispose()


def test_a_study_from_qualflow_0_1_is_upgraded_and_keeps_its_data(tmp_path):
    # The records as 0.1 shipped them (git history), creating tables directly as 0.1 did.
    old_source = subprocess.run(["git", "show", "7734bf5:models/records.py"], check=False, cwd=ROOT, capture_output=True, text=True)
    if old_source.returncode != 0:
        pytest.skip("needs the repository's history (a full clone)")
    module_file = tmp_path / "records_0_1.py"
    module_file.write_text(old_source.stdout)
    spec = importlib.util.spec_from_file_location("records_0_1", module_file)
    old = importlib.util.module_from_spec(spec)
    sys.modules["records_0_1"] = old
    spec.loader.exec_module(old)
    from sqlalchemy import create_engine

    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    engine = create_engine(url)
    old.Base.metadata.create_all(engine)
    engine.dispose()
    with sqlite3.connect(tmp_path / "study.sqlite") as db:
        db.execute("INSERT INTO theme_sets (id, fingerprint, encoder_id, settings, n_statements, created_at) "
                   "VALUES (1, 'f', 'use', '{}', 0, '2026-01-01')")
        db.execute("INSERT INTO themes (id, theme_set_id, number, code, level, status, label, keywords, "
                   "exemplar_statement_ids, size, participants, cohesion) "
                   "VALUES (1, 1, 1, 'T1', 'theme', 'candidate', 'Workload', '[]', '[]', 3, '[]', 0.5)")

    store = Store(url)
    assert current_revision(store.engine) == head_revision()
    assert _differences(store) == []
    with sqlite3.connect(tmp_path / "study.sqlite") as db:
        assert db.execute("SELECT label, version, reviewer_fields FROM themes").fetchall() == [("Workload", 1, "[]")]
        status = next(row for row in db.execute("PRAGMA table_info(suggestions)") if row[1] == "status")
        assert status[4] == "'suggested'"  # existing suggestions read as suggested, not confirmed
    Store(url)  # opening again changes nothing
    assert current_revision(store.engine) == head_revision()


def test_suggestions_stored_before_revision_0004_stay_the_reviewers(tmp_path):
    """0004 adds `suggestions.offered_after_decision`; which rows a run offered before it is not known,
    so every stored row reads NULL: not an offer, kept where it is (pipeline/persist.py)."""
    from alembic import command
    from qualflow.models.migrate import _config
    from sqlalchemy import create_engine

    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0003")
    engine.dispose()
    with sqlite3.connect(tmp_path / "study.sqlite") as db:
        db.execute("INSERT INTO theme_sets (id, fingerprint, encoder_id, settings, n_statements, created_at) "
                   "VALUES (1, 'f', 'use', '{}', 1, '2026-01-01')")
        db.execute("INSERT INTO themes (id, theme_set_id, number, code, level, status, label, keywords, "
                   "exemplar_statement_ids, size, participants, cohesion, reviewer_fields, version) "
                   "VALUES (1, 1, 1, 'T1', 'theme', 'confirmed', 'Workload', '[]', '[]', 1, '[]', 0.5, '[]', 1)")
        db.execute("INSERT INTO transcripts (id, content_hash, source_name, source_format, language, text, meta, "
                   "ingested_at) VALUES (1, 'h', 'p1.txt', 'txt', 'en', 'Too much work.', '{}', '2026-01-01')")
        db.execute("INSERT INTO turns (id, transcript_id, \"index\", role, start, \"end\", meta) "
                   "VALUES (1, 1, 0, 'participant', 0, 14, '{}')")
        db.execute("INSERT INTO statements (id, transcript_id, turn_id, \"index\", start, \"end\", text, text_hash, "
                   "language, tokens, significant) VALUES (1, 1, 1, 0, 0, 14, 'Too much work.', 'h', 'en', '[]', 1)")
        db.execute("INSERT INTO suggestions (id, theme_id, statement_id, similarity, outlier, weak_fit, status) "
                   "VALUES (1, 1, 1, 0.8, 0, 0, 'suggested')")

    store = Store(url)
    assert current_revision(store.engine) == head_revision()
    assert _differences(store) == []
    with sqlite3.connect(tmp_path / "study.sqlite") as db:
        assert db.execute("SELECT theme_id, statement_id, status, offered_after_decision FROM suggestions").fetchall() \
            == [(1, 1, "suggested", None)]
    store.dispose()
