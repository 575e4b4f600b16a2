"""A statement taken out of its theme, or marked not significant, can be put back after other decisions
were made (web audit, finding 4). Undo still reaches only the newest decision; instead a statement in no
theme can be placed in a theme (logged as a move, so undoable and kept by later runs), and a reviewer's
"not significant" can be taken back (logged, undoable). Search lists both kinds with these controls."""

import html
import re

import pytest
from fastapi.testclient import TestClient
from fixtures.review.study import build, run_clustering
from qualflow.flows.cli import app as cli_app
from qualflow.models import Decision, Statement, Store, Suggestion, default_database_url
from qualflow.models.queries import NOT_SIGNIFICANT, active_assignment, theme_by_code
from qualflow.review import actions
from qualflow.review.actions import ReviewError
from qualflow.review.server import create_app
from qualflow.review.undo import undo
from sqlalchemy import select
from test_review_accounts import PASSWORDS, data  # noqa: F401 (data: a fixture)
from typer.testing import CliRunner


def session_of(data):
    return Store(default_database_url(data)).session()


def client_for(app, name) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False)
    response = client.post("/login", data={"name": name, "password": PASSWORDS[name], "next": "/",
                                           "csrf": token(client.get("/login").text)})
    assert response.status_code == 303
    return client


def token(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def ids(data, code):
    with session_of(data) as session:
        theme = theme_by_code(session, code)
        members = sorted(session.scalars(select(Suggestion.statement_id).where(
            Suggestion.theme_id == theme.id, Suggestion.status.in_(("suggested", "confirmed")))))
        return theme.id, members


def searched(client, data, statement_id) -> str:
    """The search page's entry for this statement (searched by its own words)."""
    with session_of(data) as session:
        text = session.get(Statement, statement_id).text
    page = client.get("/search", params={"q": text[:30]}).text
    entries = re.findall(r'<li class="statement".*?</li>', page, re.S)
    return next(e for e in entries if f'name="statement_id" value="{statement_id}"' in e
                or f"statement={statement_id}#" in e)


def decide(client, action, **form):
    csrf = token(client.get("/").text)
    return client.post(f"/decide/{action}", data={"csrf": csrf, **form})


def test_a_statement_taken_out_is_placed_back_from_search_after_another_decision(data):
    app = create_app(data)
    alice, bob = client_for(app, "alice"), client_for(app, "bob")
    theme_id, members = ids(data, "T1.1")
    other_id, _ = ids(data, "T2.1")
    statement = members[0]
    assert decide(alice, "take-out", statement_id=statement, theme=theme_id).status_code == 303
    assert decide(bob, "memo", theme=other_id, text="bob's memo").status_code == 303  # undo now reaches bob's

    entry = searched(alice, data, statement)
    assert "in no theme" in entry and 'action="/decide/place"' in entry and "Place in theme" in entry
    back = html.unescape(re.search(r'name="back" value="([^"]+)"', entry).group(1))
    assert back.startswith("/search?q=")
    placed = decide(alice, "place", statement_id=statement, target=theme_id, back=back)
    assert placed.status_code == 303 and placed.headers["location"] == back
    with session_of(data) as session:
        row = active_assignment(session, statement)
        assert (row.theme_id, row.status) == (theme_id, "confirmed")
        decision = session.scalars(select(Decision).order_by(Decision.id.desc())).first()
        assert decision.action == "move" and decision.reviewer == "alice"
        assert decision.summary == f"placed statement {statement} (in no theme) in T1.1"
    assert "in no theme" not in searched(alice, data, statement)
    # Undoable like any decision, while it is the newest: the statement is out again, as it was.
    with session_of(data) as session:
        undo(session, "alice")
        assert active_assignment(session, statement) is None


def test_placing_a_statement_someone_placed_meanwhile_is_a_conflict(data):
    app = create_app(data)
    alice = client_for(app, "alice")
    theme_id, members = ids(data, "T1.1")
    other_id, _ = ids(data, "T2.1")
    with session_of(data) as session:
        actions.reject_assignment(session, "alice", members[0])
        actions.move(session, "bob", members[0], other_id)  # the CLI's move places it too
    conflict = decide(alice, "place", statement_id=members[0], target=theme_id, back="/search?q=x")
    assert conflict.status_code == 409 and "Nothing was saved" in conflict.text
    with session_of(data) as session:
        assert active_assignment(session, members[0]).theme_id == other_id


def test_not_significant_is_listed_in_search_and_taken_back(data):
    app = create_app(data)
    alice, bob = client_for(app, "alice"), client_for(app, "bob")
    theme_id, members = ids(data, "T1.1")
    other_id, _ = ids(data, "T2.1")
    statement = members[1]
    assert decide(alice, "not-significant", statement_id=statement, theme=theme_id).status_code == 303
    assert decide(bob, "memo", theme=other_id, text="bob's memo").status_code == 303

    entry = searched(alice, data, statement)
    assert "marked not significant" in entry and 'action="/decide/significant"' in entry
    assert 'action="/decide/place"' not in entry  # significant first, then placed
    assert decide(alice, "significant", statement_id=statement).status_code == 303
    with session_of(data) as session:
        found = session.get(Statement, statement)
        assert found.significant and found.excluded_reason is None
        assert session.scalars(select(Decision).order_by(Decision.id.desc())).first().action == "significant"
    entry = searched(alice, data, statement)
    assert "in no theme" in entry and 'action="/decide/place"' in entry
    assert decide(alice, "place", statement_id=statement, target=theme_id).status_code == 303
    with session_of(data) as session:
        assert active_assignment(session, statement).theme_id == theme_id
        undo(session, "alice")  # the placement
        undo(session, "alice")  # "significant again": not significant once more
        found = session.get(Statement, statement)
        assert not found.significant and found.excluded_reason == NOT_SIGNIFICANT


def test_only_a_reviewers_mark_is_taken_back(data):
    with session_of(data) as session:
        statement = session.scalars(select(Statement)).first()
        statement.significant, statement.excluded_reason = False, "back-channel"
        session.flush()
        with pytest.raises(ReviewError, match="qualflow's selection"):
            actions.mark_significant(session, "alice", statement.id)
        _, members = ids(data, "T1.1")
        with pytest.raises(ReviewError, match="already significant"):
            actions.mark_significant(session, "alice", next(m for m in members if m != statement.id))


def test_the_command_line_places_and_takes_back_as_the_app_does(data):
    runner = CliRunner()

    def review(*args):
        return runner.invoke(cli_app, ["review", *args, "--data", str(data), "--as", "alice"])

    _, members = ids(data, "T1.1")
    assert review("take-out", str(members[0])).exit_code == 0
    assert review("not-significant", str(members[1])).exit_code == 0
    assert review("memo", "later", "--theme", "T2").exit_code == 0
    moved = review("move", str(members[0]), "T2.1")
    assert moved.exit_code == 0, moved.output
    assert f"placed statement {members[0]} (in no theme) in T2.1" in moved.output
    assert review("move", str(members[1]), "T2.1").exit_code == 2  # not significant: not placed
    again = review("significant", str(members[1]))
    assert again.exit_code == 0 and "significant again" in again.output
    with session_of(data) as session:
        assert active_assignment(session, members[0]).theme_id == theme_by_code(session, "T2.1").id
        assert session.get(Statement, members[1]).significant


def test_a_later_run_keeps_a_placement_and_suggests_a_statement_made_significant_again(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    topic_of = build(store)
    with store.session() as session:
        _, members = ids_in(session, "T1.1")
        target = theme_by_code(session, "T2.1").id  # not where the clusterer would put it
        actions.reject_assignment(session, "alice", members[0])
        actions.mark_not_significant(session, "alice", members[1])
        actions.write_memo(session, "bob", "later", theme_id=target)
        actions.move(session, "alice", members[0], target)
        actions.mark_significant(session, "alice", members[1])
    with store.session() as session:
        run_clustering(session, topic_of, "second")
    with store.session() as session:
        row = active_assignment(session, members[0])
        assert (row.theme_id, row.status) == (target, "confirmed")
        assert active_assignment(session, members[1]) is not None  # clustered again, as a suggestion
    store.dispose()


def ids_in(session, code):
    theme = theme_by_code(session, code)
    return theme.id, sorted(session.scalars(select(Suggestion.statement_id).where(
        Suggestion.theme_id == theme.id, Suggestion.status.in_(("suggested", "confirmed")))))
