"""`qualflow review …` and `qualflow audit` on a real store."""

import json

import pytest
from fixtures.review.study import build, built_study, drop_table
from qualflow.flows.cli import app
from qualflow.models import (
    Memo,
    Reviewer,
    Store,
    Suggestion,
    default_database_url,
)
from qualflow.models.queries import active_assignment, theme_by_code
from sqlalchemy import select
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture
def data(tmp_path):
    return built_study(tmp_path)


def qualflow(data, *args, input=None):
    return runner.invoke(app, [*args, "--data", str(data)], input=input)


def session_of(data):
    return Store(default_database_url(data)).session()


def test_scripted_review_then_audit(data):
    assert qualflow(data, "review", "accept", "T1", "--as", "alice").exit_code == 0
    result = qualflow(data, "review", "rename", "T2.1", "家属信任 Family trust", "--description", "Trust.", "--as", "bob")
    assert result.exit_code == 0 and "decision #2 by bob: renamed T2.1" in result.output
    assert qualflow(data, "review", "merge", "T1.2", "--into", "T1.1").exit_code == 0
    with session_of(data) as session:
        statement = min(session.scalars(select(Suggestion.statement_id).where(
            Suggestion.theme_id == theme_by_code(session, "T1.1").id)))
        picked = sorted(session.scalars(select(Suggestion.statement_id).where(
            Suggestion.theme_id == theme_by_code(session, "T1.1").id)))[-2:]
    assert qualflow(data, "review", "move", str(statement), "T2.1").exit_code == 0
    result = qualflow(data, "review", "split", "T1.1", "--statements", ",".join(map(str, picked)), "--label", "Nights")
    assert result.exit_code == 0 and "into T1.3" in result.output
    assert qualflow(data, "review", "memo", "Ask P1 about this", "--theme", "T2.1").exit_code == 0
    assert qualflow(data, "review", "memo", "<b>key</b> quote", "--statement", str(statement)).exit_code == 0
    with session_of(data) as session:
        assert theme_by_code(session, "T1").status == "confirmed"
        assert theme_by_code(session, "T1.2").status == "merged"
        assert active_assignment(session, statement).theme_id == theme_by_code(session, "T2.1").id
        assert len(session.scalars(select(Memo)).all()) == 2

    result = qualflow(data, "audit", "T2.1", "--json")
    assert result.exit_code == 0, result.output
    audit = json.loads(result.output)
    assert [d["action"] for d in audit["decisions"]] == ["rename", "move", "memo"]
    assert audit["decisions"][0]["reviewer"] == "bob" and audit["label"] == "家属信任 Family trust"
    assert audit["decisions"][0]["before"]["themes"][str(audit["id"])]["label"] == "families"
    moved = [row for row in audit["statements"] if row["statement_id"] == statement]
    assert moved and {"transcript", "start", "end", "text"} <= set(moved[0])
    assert "Decisions" in qualflow(data, "audit", "T2.1").output
    # The memos' words, not only "wrote a memo on T2.1" (a researcher's audit found no command showed them).
    assert [(m["on"], m["text"]) for m in audit["memos"]] == [("T2.1", "Ask P1 about this"),
                                                              (f"statement {statement}", "<b>key</b> quote")]
    shown = " ".join(runner.invoke(app, ["audit", "T2.1", "--data", str(data)], env={"COLUMNS": "300"}).output.split())
    assert "Memos (2)" in shown and "Ask P1 about this" in shown and "<b>key</b> quote" in shown


def test_undo_from_the_command_line(data):
    qualflow(data, "review", "rename", "T1", "Working conditions")
    result = qualflow(data, "review", "undo", "--as", "carol")
    assert result.exit_code == 0 and "undid #1" in result.output
    with session_of(data) as session:
        assert theme_by_code(session, "T1").label == "theme 0"
    result = qualflow(data, "review", "undo")
    assert result.exit_code == 2 and "no decision to undo" in result.output


def test_review_errors_are_one_line(data):
    for args, message in [
        (["review", "accept", "T9"], "no theme T9"),
        (["review", "merge", "T1", "--into", "T1.1"], "same level"),
        (["review", "split", "T1.1"], "--statements"),
        (["review", "take-out", "99999"], "no statement with id 99999"),
    ]:
        result = qualflow(data, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_reject_confirm_take_out_and_not_significant(data):
    with session_of(data) as session:
        ids = sorted(session.scalars(select(Suggestion.statement_id).where(
            Suggestion.theme_id == theme_by_code(session, "T1.1").id)))
    assert qualflow(data, "review", "confirm", str(ids[0])).exit_code == 0
    assert qualflow(data, "review", "take-out", str(ids[1])).exit_code == 0
    assert qualflow(data, "review", "not-significant", str(ids[2])).exit_code == 0
    assert qualflow(data, "review", "reject", "T2").exit_code == 0
    assert qualflow(data, "review", "parent", "T1.1", "T2").exit_code == 2  # T2 is rejected now
    with session_of(data) as session:
        assert active_assignment(session, ids[0]).status == "confirmed"
        assert active_assignment(session, ids[1]) is None
        assert active_assignment(session, ids[2]) is None
        assert theme_by_code(session, "T2").status == "rejected"


def test_add_reviewer_stores_only_a_hash(data):
    result = qualflow(data, "review", "add-reviewer", "alice", "--password-stdin", input="s3cret-enough\n")
    assert result.exit_code == 0, result.output
    with session_of(data) as session:
        reviewer = session.scalar(select(Reviewer))
        assert reviewer.name == "alice" and "s3cret" not in reviewer.password_hash
        assert reviewer.password_hash.startswith("$argon2id$")
    result = qualflow(data, "review", "add-reviewer", "bob", "--password-stdin", input="short\n")
    assert result.exit_code == 2 and "at least 8 characters" in result.output


def test_serve_refuses_other_hosts_without_login(data):
    result = qualflow(data, "review", "serve", "--host", "0.0.0.0", "--no-login")
    assert result.exit_code == 2 and "refusing to listen on 0.0.0.0 without login" in result.output
    result = qualflow(data, "review", "serve")
    assert result.exit_code == 2 and "no reviewer accounts yet" in result.output
    # The refusal comes alone: nothing said it was serving first (found in a browser audit).
    result = qualflow(data, "review", "serve", "--host", "0.0.0.0")
    assert result.exit_code == 2 and "no reviewer accounts yet" in result.output
    assert "qualflow review on" not in result.output and "clear text" not in result.output


def test_review_on_a_postgres_study_named_by_qualflow_db(tmp_path, postgres_url, monkeypatch):
    store = Store(postgres_url)
    build(store)
    store.dispose()
    monkeypatch.setenv("QUALFLOW_DB", postgres_url)
    result = qualflow(tmp_path, "review", "accept", "T1", "--as", "alice")  # no SQLite file in tmp_path
    assert result.exit_code == 0, result.output
    audit = qualflow(tmp_path, "audit", "T1", "--json")
    assert audit.exit_code == 0 and "alice" in audit.output
    with Store(postgres_url).session() as session:
        assert theme_by_code(session, "T1").status == "confirmed"


def test_a_store_that_fails_is_one_line_never_called_busy_and_echoes_nothing(data):
    drop_table(data, "memos")
    result = qualflow(data, "review", "memo", "She said her son Tom drinks every night", "--statement", "5")
    assert result.exit_code == 2, result.exception  # an uncaught exception would be exit 1 and a traceback
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qualflow: error:"), result.output
    assert "study database failed" in lines[0] and "no such table: memos" in lines[0]
    assert "busy" not in lines[0] and "try again" not in lines[0]
    assert "Tom" not in result.output and "INSERT" not in result.output and "Traceback" not in result.output


def test_is_lock_error_tells_a_lock_from_other_database_failures(tmp_path):
    import sqlite3

    import psycopg.errors
    from qualflow.models.store import is_lock_error
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    path = tmp_path / "study.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")  # a run holding the write lock
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    failures = {}
    for name, sql in [("locked", "INSERT INTO t VALUES (1)"), ("missing", "SELECT * FROM no_such_table")]:
        with pytest.raises(OperationalError) as caught, engine.begin() as connection:
            connection.execute(text(sql))
        failures[name] = caught.value
    holder.close()
    engine.dispose()
    assert is_lock_error(failures["locked"]) and is_lock_error(failures["locked"].orig)
    assert not is_lock_error(failures["missing"])
    for message in ("unable to open database file", "disk I/O error", "attempt to write a readonly database"):
        assert not is_lock_error(OperationalError("SELECT 1", {}, sqlite3.OperationalError(message)))
    assert is_lock_error(OperationalError("UPDATE", {}, sqlite3.OperationalError("database table is locked")))
    # PostgreSQL: by SQLSTATE, whatever language the server speaks.
    assert is_lock_error(psycopg.errors.LockNotAvailable("konnte Sperre nicht setzen"))
    assert is_lock_error(psycopg.errors.SerializationFailure("could not serialize access"))
    assert not is_lock_error(psycopg.OperationalError("server closed the connection unexpectedly"))


def test_undo_of_a_named_decision_from_the_command_line(data):
    qualflow(data, "review", "rename", "T1", "Working conditions")
    qualflow(data, "review", "rename", "T2", "Families")
    # Decision 1 is no longer the newest: nothing is undone.
    result = qualflow(data, "review", "undo", "--decision", "1")
    assert result.exit_code == 2 and "no longer the newest" in result.output and "Nothing was undone" in result.output
    with session_of(data) as session:
        assert theme_by_code(session, "T2").label == "Families"
    result = qualflow(data, "review", "undo", "--decision", "2")
    assert result.exit_code == 0 and "undid #2" in result.output
    with session_of(data) as session:
        assert theme_by_code(session, "T2").label != "Families" and theme_by_code(session, "T1").label == "Working conditions"
