"""Reviewer accounts after the first one (web audit, finding 5): `qualflow review set-password NAME`,
`remove-reviewer NAME` and `list-reviewers`. A password change or a removal made with the real command,
in another process, ends the sessions that reviewer has open in a running review app at their next request:
the app compares each request's session generation with the database's."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fixtures.review.study import built_study
from qualflow.flows.cli import app as cli_app
from qualflow.models import Decision, Reviewer, Store, Theme, default_database_url
from qualflow.models.queries import theme_by_code
from qualflow.review.accounts import add_reviewer
from qualflow.review.actions import ReviewError
from qualflow.review.server import create_app
from sqlalchemy import select
from typer.testing import CliRunner

QUALFLOW = Path(sys.executable).parent / "qualflow"
PASSWORDS = {"alice": "correct horse", "bob": "battery staple"}


@pytest.fixture
def data(tmp_path):
    built_study(tmp_path)
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        for name, password in PASSWORDS.items():
            add_reviewer(session, name, password)
    store.dispose()
    return tmp_path


def command(data, *args, password=None):
    """The real `qualflow` command in a process of its own, as a team member would run it beside the server."""
    return subprocess.run([str(QUALFLOW), "review", *args, "--data", str(data)], input=password and password + "\n",
                          capture_output=True, text=True, timeout=300)


def token(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def signed_in(app, name, password=None):
    client = TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False)
    response = client.post("/login", data={"name": name, "password": password or PASSWORDS[name], "next": "/",
                                           "csrf": token(client.get("/login").text)})
    return client, response


def accept(client, data, code="T1"):
    with Store(default_database_url(data)).session() as session:
        theme_id = theme_by_code(session, code).id
    csrf = token(client.get(f"/themes/{theme_id}").text)
    return client.post("/decide/accept", data={"csrf": csrf, "theme": theme_id})


def test_a_new_password_set_from_another_process_ends_the_open_session(data):
    app = create_app(data)
    alice, response = signed_in(app, "alice")
    assert response.status_code == 303
    bob, _ = signed_in(app, "bob")
    csrf = token(alice.get("/").text)
    assert alice.get("/").status_code == 200

    done = command(data, "set-password", "alice", "--password-stdin", password="a new secret")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "new password set" in done.stdout

    # The session opened before the change is refused: pages send to sign-in, a form saves nothing.
    assert alice.get("/").status_code == 303 and alice.get("/").headers["location"].startswith("/login")
    with Store(default_database_url(data)).session() as session:
        theme_id = theme_by_code(session, "T1").id
    refused = alice.post("/decide/accept", data={"csrf": csrf, "theme": theme_id})
    assert refused.status_code == 401
    with Store(default_database_url(data)).session() as session:
        assert session.get(Theme, theme_id).status == "candidate"
    assert bob.get("/").status_code == 200  # other reviewers stay signed in
    assert signed_in(app, "alice")[1].status_code == 401  # the old password no longer works
    again, response = signed_in(app, "alice", "a new secret")
    assert response.status_code == 303 and again.get("/").status_code == 200


def test_removing_a_reviewer_ends_their_sessions_and_keeps_their_decisions(data):
    app = create_app(data)
    bob, _ = signed_in(app, "bob")
    assert accept(bob, data).status_code == 303

    done = command(data, "remove-reviewer", "bob")
    assert done.returncode == 0, done.stderr + done.stdout

    assert bob.get("/").status_code == 303
    assert signed_in(app, "bob")[1].status_code == 401
    with Store(default_database_url(data)).session() as session:
        assert [d.reviewer for d in session.scalars(select(Decision))] == ["bob"]  # the log keeps his name
        assert "argon2" not in session.scalar(select(Reviewer.password_hash).where(Reviewer.name == "bob"))
    listed = command(data, "list-reviewers")
    assert listed.stdout.split("\n")[:2] == ["alice", "bob (removed)"]
    # The name stays his: nobody else is added under it, and only an explicit --restore lets him back in.
    assert command(data, "add-reviewer", "bob", "--password-stdin", password="someone else").returncode == 2
    refused = command(data, "set-password", "bob", "--password-stdin", password="battery staple")
    assert refused.returncode == 2 and "--restore" in refused.stdout + refused.stderr
    assert signed_in(app, "bob")[1].status_code == 401
    restored = command(data, "set-password", "bob", "--restore", "--password-stdin", password="battery staple")
    assert restored.returncode == 0
    assert signed_in(app, "bob")[1].status_code == 303


def test_account_commands_keep_the_password_rules_and_name_unknown_reviewers(data):
    runner = CliRunner()

    def review(*args, input=None):
        return runner.invoke(cli_app, ["review", *args, "--data", str(data)], input=input)

    short = review("set-password", "alice", "--password-stdin", input="short\n")
    assert short.exit_code == 2 and "at least 8 characters" in short.output
    assert review("set-password", "carol", "--password-stdin", input="long enough\n").exit_code == 2
    unknown = review("set-password", "carol")  # said before asking for a password twice
    assert unknown.exit_code == 2 and "Password" not in unknown.output and "no reviewer called carol" in unknown.output
    assert "no reviewer called carol" in review("remove-reviewer", "carol").output
    # Prompted twice, like add-reviewer: two different passwords change nothing.
    mismatch = review("set-password", "alice", input="first try 1\nsecond try\n")
    assert mismatch.exit_code != 0
    assert review("set-password", "alice", input="typed twice\ntyped twice\n").exit_code == 0
    app = create_app(data)
    assert signed_in(app, "alice", "typed twice")[1].status_code == 303
    assert review("remove-reviewer", "alice").exit_code == 0
    assert review("remove-reviewer", "alice").exit_code == 2  # already removed
    assert review("remove-reviewer", "bob").exit_code == 0
    with pytest.raises(ReviewError, match="no reviewer accounts"):
        create_app(data)  # every account removed: nobody could sign in
