"""Ids people write down are never given to something else (SQLite reuses the highest freed rowid
unless a table has AUTOINCREMENT): coding imports after `coding-imports --remove`, and statements,
memos and transcripts after a withdrawal. Real SQLite studies, the real CLI, the real migration."""

import csv
import json
import sqlite3
from pathlib import Path

from alembic import command
from fixtures.review.study import add_transcript, built_study
from qualflow.flows.cli import app
from qualflow.models import Memo, Statement, Store, Transcript, default_database_url
from qualflow.models.migrate import _config, current_revision, head_revision
from qualflow.pipeline.withdraw import plan_withdrawal, withdraw
from sqlalchemy import create_engine
from typer.testing import CliRunner

runner = CliRunner()


def qualflow(data: Path, *args: str):
    result = runner.invoke(app, [*args, "--data", str(data)])
    assert result.exit_code == 0, result.output
    return result


def coding_file(path: Path, code: str, text: str = "How is work?") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "text", "code", "coder"])
        writer.writerow(["p1.txt", text, code, "dana"])
    return path


def import_ids(data: Path) -> list[int]:
    return [row["id"] for row in json.loads(qualflow(data, "coding-imports", "--json").output)]


def test_an_import_after_a_removed_one_gets_an_id_never_used_before(tmp_path):
    data = built_study(tmp_path)
    qualflow(data, "import-coding", str(coding_file(tmp_path / "first.csv", "Workload")))
    qualflow(data, "import-coding", str(coding_file(tmp_path / "second.csv", "Pay")))
    assert import_ids(data) == [1, 2]
    assert "Removed import 2" in qualflow(data, "coding-imports", "--remove", "2").output
    qualflow(data, "import-coding", str(coding_file(tmp_path / "third.csv", "Families")))
    assert import_ids(data) == [1, 3]  # "import 2" in someone's notes names nothing now, not this file


def test_statements_memos_and_transcripts_of_a_withdrawn_participant_leave_their_ids_unused(tmp_path):
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        add_transcript(session, "p1.txt", "P1", [0, 1])
        last = add_transcript(session, "p2.txt", "P2", [0, 1])  # the newest rows: the ones SQLite would reuse
        session.add(Memo(statement_id=last[-1].id, reviewer="alice", text="ask again"))
    with store.session() as session:
        gone = (session.query(Transcript).count(), last[-1].id, session.query(Memo).one().id)
        withdraw(session, plan_withdrawal(session, "P2"))
    with store.session() as session:
        new = add_transcript(session, "p3.txt", "P3", [0, 1])
        memo = Memo(statement_id=new[0].id, reviewer="alice", text="new")
        session.add(memo)
        session.flush()
        assert new[0].transcript_id > gone[0] and new[0].id > gone[1] and memo.id > gone[2]
    store.dispose()


def insert_0007_rows(database: Path) -> None:
    with sqlite3.connect(database) as db:
        for n in (1, 2, 3):
            db.execute("INSERT INTO manual_coding_imports (id, file_hash, file_name, file_format, imported_at, stats) "
                       f"VALUES ({n}, 'h{n}', 'f{n}.csv', 'csv', '2026-11-01', '{{}}')")
            db.execute(f"INSERT INTO manual_codes (id, import_id, name, path) VALUES ({n}, {n}, 'c{n}', 'c{n}')")
            db.execute("INSERT INTO manual_codings (id, import_id, code_id, coder, document, quality) "
                       f"VALUES ({n}, {n}, {n}, 'dana', 'p1.txt', 1.0)")
        db.execute("INSERT INTO transcripts (id, content_hash, source_name, source_format, language, text, meta, "
                   "ingested_at) VALUES (1, 'h', 'p1.txt', 'txt', 'en', 'Too much work.', '{}', '2026-01-01')")
        db.execute("INSERT INTO turns (id, transcript_id, \"index\", role, start, \"end\", meta) "
                   "VALUES (1, 1, 0, 'participant', 0, 14, '{}')")
        db.execute("INSERT INTO statements (id, transcript_id, turn_id, \"index\", start, \"end\", text, text_hash, "
                   "language, tokens, significant) VALUES (1, 1, 1, 0, 0, 14, 'Too much work.', 'h', 'en', '[]', 1)")
        # A decision names statement 7: a withdrawn participant's, deleted before this upgrade.
        db.execute("INSERT INTO decisions (id, at, reviewer, action, summary, theme_ids, statement_ids, before, "
                   "after) VALUES (1, '2026-11-02', 'alice', 'confirm', 'confirmed statement 7', '[]', '[7]', '{}', "
                   "'{}')")


def test_a_study_at_0007_keeps_its_imports_and_ids_and_then_never_reuses_them(tmp_path):
    database = tmp_path / "qualflow.sqlite"
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0007")
    engine.dispose()
    insert_0007_rows(database)

    store = Store(default_database_url(tmp_path))
    assert current_revision(store.engine) == head_revision()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT id, file_name FROM manual_coding_imports ORDER BY id").fetchall() == \
            [(1, "f1.csv"), (2, "f2.csv"), (3, "f3.csv")]
        assert db.execute("SELECT id, import_id, code_id FROM manual_codings ORDER BY id").fetchall() == \
            [(1, 1, 1), (2, 2, 2), (3, 3, 3)]
        assert db.execute("SELECT id, text FROM statements").fetchall() == [(1, "Too much work.")]
        assert db.execute("PRAGMA foreign_keys").fetchone() == (0,)  # a plain connection: off by default
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    store.dispose()

    data = tmp_path
    qualflow(data, "coding-imports", "--remove", "3")
    qualflow(data, "import-coding", str(coding_file(tmp_path / "new.csv", "Workload", "Too much work.")))
    assert import_ids(data) == [1, 2, 4]
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        # The store's connections enforce foreign keys again after the upgrade turned them off for it.
        assert session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        statement = add_transcript(session, "p2.txt", "P2", [0])[0]
        assert statement.id == 8  # past the log's statement 7, not 2
        assert session.get(Statement, 1).text == "Too much work."
    store.dispose()
