"""A bug (an error qualflow did not foresee) while the review app answers a request: the reviewer gets the
app's own page (500) saying what may not have been saved and keeping what they typed; the traceback goes
to an owner-only file in the data folder's .qualflow-logs/ (it can quote interview text); the server's
terminal gets one content-free line naming that file, and never uvicorn's traceback; the transaction the
request was in is rolled back.

The bug is injected into a rename: the theme's new name is written (flushed, not committed), then a
KeyError quoting a statement is raised. The app is served by real uvicorn (tests/fixtures/browser.py) on a
real SQLite study, and once by `qualflow review serve` itself in a process of its own (python THIS_FILE
serve …, see the end of this file), to read what its terminal shows."""

import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from _net import free_port
from fastapi.testclient import TestClient
from fixtures.browser import served
from fixtures.review.study import add_transcript, build, run_clustering
from qualflow.models import Decision, Statement, Store, Theme, default_database_url
from qualflow.models.queries import theme_by_code
from qualflow.review import actions
from qualflow.review.accounts import add_reviewer
from qualflow.review.server import create_app
from sqlalchemy import func, select

TYPED_NAME = "Short-staffed nights"
TYPED_DESCRIPTION = "夜班人手不够，护士们很累。"  # shown with lang="zh", as the app shows Chinese
SERVER_LINE = re.compile(r"qualflow review hit an unexpected error \(KeyError in review/actions\.py, line \d+\) "
                         r"answering POST /decide/\{action\}; the reviewer was told it may not have been saved\. "
                         r"The full account is in (\S+\.txt) — it may quote interview text, so read it before "
                         r"sharing it\.")


@pytest.fixture
def data(tmp_path):
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        add_reviewer(session, "alice", "correct horse")
        add_transcript(session, "p9.txt", "P9", [0, 2])
    topic_of = build(store)
    with store.session() as session:
        run_clustering(session, topic_of, "first")
    store.dispose()
    return tmp_path


def a_statement(data: Path) -> str:
    with Store(default_database_url(data)).session() as session:
        return session.scalars(select(Statement.text).order_by(Statement.id)).first()


def stored(data: Path) -> dict:
    """What a failed decision must leave as it was."""
    with Store(default_database_url(data)).session() as session:
        return {"decisions": session.scalar(select(func.count(Decision.id))),
                "themes": sorted(session.execute(select(Theme.id, Theme.label, Theme.description, Theme.version)))}


def inject_a_bug(statement: str) -> None:
    """Refreshing the exemplars after a decision's change fails, with the change flushed but not committed."""
    def refresh_exemplars_with_a_bug(session, theme_ids):
        session.flush()
        raise KeyError(statement)

    actions.refresh_exemplars = refresh_exemplars_with_a_bug


def rename_form(client: httpx.Client, data: Path) -> dict:
    with Store(default_database_url(data)).session() as session:
        theme = theme_by_code(session, "T1")
        theme_id, version = theme.id, theme.version
    page = client.get(f"/themes/{theme_id}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return {"theme": theme_id, "version": version, "csrf": csrf, "label": TYPED_NAME,
            "description": TYPED_DESCRIPTION, "back": f"/themes/{theme_id}"}


def check_the_page(response: httpx.Response, statement: str, data: Path) -> None:
    assert response.status_code == 500, response.text
    page = response.text
    assert '<html lang="en">' in page and 'href="/static/review.css"' in page  # the app's own page
    assert "unexpected error" in page and "may not have been saved" in page
    assert TYPED_NAME in page and f'lang="zh">{TYPED_DESCRIPTION}</textarea>' in page  # kept to copy
    assert "What you typed (it may not have been saved)" in page
    assert ".qualflow-logs" in page and "qualflow review serve" in page  # where the details are …
    assert str(data) not in page and "error-" not in page  # … but not the server's path or file
    assert statement not in page and "Traceback" not in page and "KeyError" not in page
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


def check_the_account(account: Path, statement: str, data: Path) -> None:
    assert account.parent == data / ".qualflow-logs" and account.name.startswith("error-")
    assert stat.S_IMODE(account.stat().st_mode) == 0o600
    assert stat.S_IMODE(account.parent.stat().st_mode) == 0o700
    written = account.read_text(encoding="utf-8")
    assert "Traceback (most recent call last):" in written and statement in written
    assert "request: POST /decide/{action}" in written


def test_a_bug_in_a_decision_is_a_page_keeping_what_was_typed_and_a_private_account(data, monkeypatch, capfd, caplog):
    statement, before = a_statement(data), stored(data)
    monkeypatch.setattr(actions, "refresh_exemplars", actions.refresh_exemplars)  # put back after the test
    inject_a_bug(statement)
    with served(create_app(data)) as base, httpx.Client(base_url=base, follow_redirects=False) as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        signed_in = client.post("/login", data={"name": "alice", "password": "correct horse", "csrf": csrf})
        assert signed_in.status_code == 303
        response = client.post("/decide/rename", data=rename_form(client, data))
        assert httpx.get(f"{base}/login").status_code == 200  # the server goes on serving

    terminal = capfd.readouterr()  # uvicorn's own lines, and the app's log records (pytest holds those)
    logged = [record.getMessage() for record in caplog.records]
    said = terminal.out + terminal.err + "\n".join(logged)
    assert statement not in said and "Traceback" not in said and "Exception in ASGI" not in said, said[-3000:]
    assert not any(record.exc_info for record in caplog.records)
    check_the_page(response, statement, data)
    assert "alice" in response.text  # still signed in: the app's page, with its header
    accounts = list((data / ".qualflow-logs").iterdir())
    assert len(accounts) == 1
    check_the_account(accounts[0], statement, data)
    found = [SERVER_LINE.fullmatch(message) for message in logged if "unexpected error" in message]
    assert len(found) == 1 and found[0] and Path(found[0].group(1)) == accounts[0], logged
    assert stored(data) == before  # the rename was rolled back, and no decision was logged


def test_review_serve_shows_one_line_on_its_terminal_and_no_traceback(data):
    """`qualflow review serve` as started from a terminal: what it prints there is all it prints."""
    statement, before, port = a_statement(data), stored(data), free_port()
    server = subprocess.Popen([sys.executable, __file__, "serve", "--data", str(data), "--no-login",
                               "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, follow_redirects=False) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                    time.sleep(0.2)
            response = client.post("/decide/rename", data=rename_form(client, data))
    finally:
        server.terminate()
        out, err = server.communicate(timeout=60)

    check_the_page(response, statement, data)
    said = out + err
    assert statement not in said and "Traceback" not in said and "Exception in ASGI" not in said, said[-3000:]
    found = [SERVER_LINE.fullmatch(line) for line in said.splitlines() if "unexpected error" in line]
    assert len(found) == 1 and found[0], said[-3000:]
    check_the_account(Path(found[0].group(1)), statement, data)
    assert stored(data) == before


def test_a_bug_in_a_page_is_the_error_page_and_an_account(data, monkeypatch, caplog):
    from qualflow.review import server

    statement = a_statement(data)

    def theme_list_with_a_bug(session, filters):
        raise KeyError(statement)

    monkeypatch.setattr(server, "theme_list", theme_list_with_a_bug)
    client = TestClient(create_app(data, login=False), base_url="http://127.0.0.1:8765", follow_redirects=False)
    response = client.get("/", params={"q": "a search the log must not repeat"})
    assert response.status_code == 500 and "while making this page" in response.text
    assert statement not in response.text and 'id="typed"' not in response.text
    messages = [record.getMessage() for record in caplog.records]
    assert any("answering GET /; the reviewer was shown an error page" in m for m in messages), messages
    assert not any("a search the log must not repeat" in m or statement in m for m in messages)
    [account] = (data / ".qualflow-logs").iterdir()
    assert statement in account.read_text(encoding="utf-8")


def test_refusals_and_missing_pages_are_as_before_and_leave_no_account(data):
    client = TestClient(create_app(data), base_url="http://127.0.0.1:8765", follow_redirects=False)
    assert client.get("/").status_code == 303  # not signed in: to the login page
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"name": "alice", "password": "correct horse", "csrf": csrf}).status_code == 303
    missing = client.get("/themes/999999")
    assert missing.status_code == 404 and "No such theme." in missing.text
    assert client.post("/decide/accept", data={"theme": 1, "csrf": "forged"}).status_code == 403
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)  # a new one, signed in
    assert client.post("/decide/frobnicate", data={"theme": 1, "csrf": csrf}).status_code == 404
    assert not (data / ".qualflow-logs").exists()


def test_a_debugging_app_still_shows_the_traceback(data, monkeypatch):
    """FastAPI's debug flag (a developer's, never set by `qualflow review serve`): Starlette's traceback page."""
    statement = a_statement(data)
    monkeypatch.setattr(actions, "refresh_exemplars", actions.refresh_exemplars)
    inject_a_bug(statement)
    app = create_app(data, login=False)
    app.debug = True
    client = TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False, raise_server_exceptions=False)
    response = client.post("/decide/rename", data=rename_form(client, data))
    assert response.status_code == 500 and "Traceback" in response.text and "KeyError" in response.text
    assert not (data / ".qualflow-logs").exists()


if __name__ == "__main__":  # python THIS_FILE qualflow-review-arguments…, with the bug injected
    from qualflow.flows.cli import app

    with Store(default_database_url(Path(sys.argv[sys.argv.index("--data") + 1]))).session() as session:
        inject_a_bug(session.scalars(select(Statement.text).order_by(Statement.id)).first())
    app(["review", *sys.argv[1:]], prog_name="qualflow")
