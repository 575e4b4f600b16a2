"""The review server's leftovers from audit 10: the password check off the event loop, HSTS over TLS,
the app's own page for a foreign Host, read-only wording that fits the store, and FORWARDED_ALLOW_IPS
behind a proxy on another machine (README: "Reviewing: decisions that last").

Servers are real: uvicorn in a thread, or the real `qualflow review serve` command in a process."""

import os
import re
import socket
import ssl
import subprocess
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
from _net import free_port
from fastapi.testclient import TestClient
from fixtures.browser import NEEDS_CHROMIUM, chromium, served
from fixtures.review.study import build
from qualflow.models import Reviewer, Store, default_database_url
from qualflow.review.server import create_app
from sqlalchemy import select
# A certificate for 127.0.0.1 made on the spot, and the study with reviewer alice (PASSWORD).
from test_review_audit10 import FREE_FAILURES, PASSWORD, QUALFLOW, data, self_signed  # noqa: F401 (data: a fixture)
# A SELECT-only role on a PostgreSQL server of the test's own (CI's shared account may not make roles).
from test_store_audit10 import PASSWORD as READER_PASSWORD
from test_store_audit10 import restartable, select_only_url, server  # noqa: F401 (fixtures)

def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def start_serve(data, port, *options, env=None) -> subprocess.Popen:
    """The real `qualflow review serve` on every address (a lab server's case)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "400", **(env or {})}
    return subprocess.Popen([str(QUALFLOW), "review", "serve", "--data", str(data), "--host", "0.0.0.0",
                             "--port", str(port), *options], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@contextmanager
def serving(data, *options, env=None):
    port = free_port()
    process = start_serve(data, port, *options, env=env)
    try:
        deadline = time.monotonic() + 120  # the CLI imports Prefect first; a busy machine is slow
        while True:
            if process.poll() is not None:
                raise AssertionError(f"review serve exited: {process.communicate()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "review serve did not start listening"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


# --- 1: the argon2 check runs off the event loop ---------------------------------------------------


def slow_to_check(data) -> None:
    """Give alice a hash made with costlier settings (as a stronger setup may have left): checking it takes
    most of a second, long enough to see what the server does meanwhile (little memory: the machine is shared)."""
    from argon2 import PasswordHasher

    store = Store(default_database_url(data))
    with store.session() as session:
        alice = session.scalar(select(Reviewer).where(Reviewer.name == "alice"))
        alice.password_hash = PasswordHasher(time_cost=150, memory_cost=8192).hash(PASSWORD)
    store.dispose()


def test_a_slow_password_check_does_not_hold_up_other_reviewers(data):
    slow_to_check(data)
    with served(create_app(data)) as base, httpx.Client(base_url=base, timeout=60) as alices:
        csrf = csrf_of(alices.get("/login").text)
        answers = {}

        def sign_in():
            answers["sign-in"] = alices.post("/login", data={"name": "alice", "password": PASSWORD, "csrf": csrf})

        signing_in = threading.Thread(target=sign_in)
        signing_in.start()
        time.sleep(0.3)  # the sign-in is being checked now
        other = httpx.get(f"{base}/login", timeout=30)
        answered_during_the_check = signing_in.is_alive()
        signing_in.join(60)
    assert other.status_code == 200
    assert answered_during_the_check, "another reviewer's page waited for the password check to finish"
    assert answers["sign-in"].status_code == 303  # and the sign-in itself still works


def test_only_a_few_passwords_are_checked_at_once(data, monkeypatch):
    # Each check holds 64 MiB (argon2's default) and a core: a burst of sign-ins must queue, not run all at
    # once (the worker threads' default limit, 40, would be gigabytes, and leave no thread for the pages).
    from argon2 import PasswordHasher
    from qualflow.review import accounts
    from qualflow.review.server import PASSWORD_CHECKS_AT_ONCE

    running, peak, lock = [0], [0], threading.Lock()

    class CountingHasher(PasswordHasher):  # the real check, counted
        def verify(self, hash, password):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                return super().verify(hash, password)
            finally:
                with lock:
                    running[0] -= 1

    monkeypatch.setattr(accounts, "_hasher", CountingHasher())
    slow_to_check(data)
    with served(create_app(data)) as base:
        def sign_in(answers: list):
            with httpx.Client(base_url=base, timeout=120) as client:
                csrf = csrf_of(client.get("/login").text)
                answers.append(client.post("/login", data={"name": "alice", "password": "wrong guess",
                                                            "csrf": csrf}).status_code)

        answers = []
        burst = [threading.Thread(target=sign_in, args=(answers,)) for _ in range(PASSWORD_CHECKS_AT_ONCE + 3)]
        for thread in burst:
            thread.start()
        for thread in burst:
            thread.join(120)
    assert answers == [401] * len(burst)  # every guess was checked (the throttle pauses after them)
    assert 1 < peak[0] <= PASSWORD_CHECKS_AT_ONCE


# --- 2: HSTS over TLS, and only then ---------------------------------------------------------------


def test_serve_over_tls_sends_hsts_on_every_answer(data, tmp_path):
    cert_file, key_file = self_signed(tmp_path)
    with serving(data, "--tls-cert", str(cert_file), "--tls-key", str(key_file)) as port:
        trust = ssl.create_default_context(cafile=str(cert_file))
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trust) as client:
            answers = [client.get("/login"), client.get("/static/review.css"), client.get("/no-such-page")]
    assert [a.status_code for a in answers] == [200, 200, 404]
    for answer in answers:
        assert answer.headers.get("strict-transport-security") == "max-age=31536000", answer.url


# --- 3: a foreign Host gets the app's HTML error page ----------------------------------------------


@pytest.mark.parametrize("host", ["rebound.example", "rebound.example:8765", "<b>rebound</b>.example"])
def test_a_foreign_host_gets_the_html_error_page_without_its_name(data, host):
    client = TestClient(create_app(data), base_url="http://127.0.0.1:8765")
    response = client.get("/login", headers={"Host": host})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Not understood</h1>" in response.text and 'href="/static/review.css"' in response.text
    assert "rebound" not in response.text and "Invalid host header" not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "set-cookie" not in response.headers  # refused before any session is made
    assert client.get("/login").status_code == 200  # the server's own name still works


@NEEDS_CHROMIUM
def test_a_browser_sent_here_by_a_rebound_name_sees_the_error_page(data):
    # The browser resolves the attacker's name to this machine, as DNS rebinding makes it do.
    with served(create_app(data, login=False)) as base, \
            chromium("--host-resolver-rules=MAP rebound.example 127.0.0.1") as browser:
        page = browser.new_page()
        response = page.goto(base.replace("127.0.0.1", "rebound.example") + "/")
        assert response.status == 400
        assert page.locator("h1").inner_text() == "Not understood"
        assert "does not answer to the name" in page.locator("#error").inner_text()
        assert "rebound" not in page.content() and not page.locator("table.themes").count()


# --- 4: the read-only page names what cannot be written ----------------------------------------------


@pytest.fixture
def postgres_study(postgres_url):
    store = Store(postgres_url)
    build(store)
    store.dispose()
    return postgres_url


def _admin(url: str) -> dict:
    from sqlalchemy.engine import make_url

    url = make_url(url)
    return {k: v for k, v in {"host": url.host, "port": url.port, "user": url.username, "password": url.password,
                              "dbname": url.database, "autocommit": True}.items() if v is not None}


@pytest.fixture
def read_only_server(postgres_study):
    """The study on a database where every transaction may only read (as on a standby)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(postgres_study).database
    with psycopg.connect(**_admin(postgres_study)) as connection:
        connection.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    return postgres_study


def refused_decision(data, monkeypatch, url: str) -> str:
    monkeypatch.setenv("QUALFLOW_DB", url)
    client = TestClient(create_app(data, login=False), base_url="http://127.0.0.1:8765", follow_redirects=False)
    home = client.get("/")
    theme_id = re.search(r'href="/themes/(\d+)"', home.text).group(1)
    page = client.get(f"/themes/{theme_id}")
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    response = client.post("/decide/accept", data={"theme": theme_id, "version": version, "csrf": csrf_of(page.text)})
    assert response.status_code == 403, response.text
    assert "read-only" in response.text and "nothing was saved" in response.text
    return " ".join(response.text.split())


def test_a_select_only_postgres_role_is_told_about_the_role_not_a_file(select_only_url, tmp_path, monkeypatch):
    said = refused_decision(tmp_path, monkeypatch, select_only_url)
    assert "PostgreSQL role the server signs in as has no right to write" in said
    assert "file" not in said and "folder" not in said
    assert READER_PASSWORD not in said


def test_a_read_only_postgres_server_is_told_about_the_database_not_a_file(read_only_server, tmp_path,
                                                                           monkeypatch):
    said = refused_decision(tmp_path, monkeypatch, read_only_server)
    assert "the database server only allows reading" in said
    assert "file" not in said and "folder" not in said


def test_a_read_only_sqlite_file_is_still_told_about_its_file_or_folder(data, monkeypatch):
    read_only_url = f"sqlite:///file:{data / 'qualflow.sqlite'}?mode=ro&uri=true"
    said = refused_decision(data, monkeypatch, read_only_url)
    assert "database file or folder cannot be written" in said and "PostgreSQL" not in said


# --- 5: behind a proxy on another machine, FORWARDED_ALLOW_IPS keeps reviewers apart ----------------


def test_forwarded_allow_ips_reaches_review_serve_and_the_throttle_pauses_only_the_guesser(data):
    # The proxy is "another machine": 127.0.0.2, which uvicorn does not trust by default (127.0.0.1, ::1).
    # Naming it in FORWARDED_ALLOW_IPS makes each reviewer's own address (X-Forwarded-For) the one throttled.
    proxy = httpx.HTTPTransport(local_address="127.0.0.2")
    with serving(data, env={"FORWARDED_ALLOW_IPS": "127.0.0.2"}) as port:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", transport=proxy) as through_proxy:
            # Plain HTTP from a TLS proxy: the proxy holds the certificate, and decides about HSTS.
            from_tls_proxy = through_proxy.get("/login", headers={"X-Forwarded-Proto": "https"})
            assert "; secure" in from_tls_proxy.headers["set-cookie"].lower()  # the proxy is trusted
            assert "strict-transport-security" not in from_tls_proxy.headers
            through_proxy.cookies.clear()  # a Secure cookie is not sent back over this plain HTTP

            def sign_in(client_address: str, password: str) -> httpx.Response:
                forwarded = {"X-Forwarded-For": client_address}
                login = through_proxy.get("/login", headers=forwarded)
                return through_proxy.post("/login", headers=forwarded, data={
                    "name": "alice", "password": password, "csrf": csrf_of(login.text), "next": "/"})

            for _ in range(FREE_FAILURES):
                guess = sign_in("192.0.2.66", "wrong guess")
            assert guess.status_code == 401 and "try again in 30 s" in guess.text
            assert sign_in("192.0.2.66", PASSWORD).status_code == 429
            assert sign_in("192.0.2.7", PASSWORD).status_code == 303  # a colleague behind the same proxy
