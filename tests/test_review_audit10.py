"""Audit 10, defects 9 and 10: sign-in over the network (throttling, TLS, Secure cookies, the
clear-text warning) and the review app's error pages (HTML, not JSON).

The TLS tests start the real `qualflow review serve` command with a self-signed certificate made
here and talk to it over real HTTPS."""

import datetime
import ipaddress
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from _net import free_port
from fastapi.testclient import TestClient
from fixtures.review.study import built_study
from qualflow.models import Store, default_database_url
from qualflow.models.queries import theme_by_code
from qualflow.review.accounts import add_reviewer
from qualflow.review.server import create_app

PASSWORD = "correct horse"
FREE_FAILURES = 5  # wrong passwords from one address before it must wait
QUALFLOW = Path(sys.executable).with_name("qualflow")


@pytest.fixture
def data(tmp_path):
    built_study(tmp_path)
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        add_reviewer(session, "alice", PASSWORD)
    store.dispose()
    return tmp_path


def client_for(app, address="192.0.2.10") -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False, client=(address, 40000))


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def sign_in(client, password=PASSWORD, name="alice"):
    csrf = csrf_of(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf": csrf, "next": "/"})


# --- 9a: failed sign-ins are throttled per client address -------------------------------------

def test_repeated_wrong_passwords_from_one_address_are_refused_for_a_while(data):
    app = create_app(data)
    guesser, colleague = client_for(app, "192.0.2.66"), client_for(app, "192.0.2.7")
    for _ in range(FREE_FAILURES - 1):
        response = sign_in(guesser, "wrong guess")
        assert response.status_code == 401 and "Wrong name or password" in response.text
    last = sign_in(guesser, "wrong guess")  # the one that starts the pause says so at once
    assert last.status_code == 401 and "try again in 30 s" in last.text
    refused = sign_in(guesser, PASSWORD)  # the right password too: guessing must not go on
    assert refused.status_code == 429, refused.text
    assert "Too many attempts" in refused.text and "try again in 30 s" in refused.text
    assert refused.headers["retry-after"] == "30"
    assert guesser.get("/").status_code == 303  # still signed out
    # Another address is not held up by the guesser's failures.
    assert sign_in(colleague).status_code == 303 and colleague.get("/").status_code == 200


def test_the_pause_doubles_with_each_failure_after_it_and_a_success_forgets_them():
    from qualflow.review.throttle import LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(LoginThrottle.FREE_FAILURES - 1):
        throttle.failed("192.0.2.1")
        assert throttle.wait_for("192.0.2.1") == 0
    throttle.failed("192.0.2.1")
    assert throttle.wait_for("192.0.2.1") == 30 and throttle.wait_for("192.0.2.2") == 0
    now[0] += 30
    assert throttle.wait_for("192.0.2.1") == 0
    throttle.failed("192.0.2.1")
    assert throttle.wait_for("192.0.2.1") == 60
    for _ in range(20):  # never longer than the longest pause
        now[0] += LoginThrottle.LONGEST_WAIT
        throttle.failed("192.0.2.1")
    assert throttle.wait_for("192.0.2.1") == LoginThrottle.LONGEST_WAIT
    now[0] += LoginThrottle.LONGEST_WAIT
    throttle.succeeded("192.0.2.1")
    for _ in range(LoginThrottle.FREE_FAILURES - 1):
        throttle.failed("192.0.2.1")
    assert throttle.wait_for("192.0.2.1") == 0


def test_failures_spread_over_a_long_time_are_forgotten():
    from qualflow.review.throttle import LoginThrottle

    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(3):
        for _ in range(LoginThrottle.FREE_FAILURES - 1):
            throttle.failed("192.0.2.1")
        now[0] += LoginThrottle.FORGET_AFTER + 1
    assert throttle.wait_for("192.0.2.1") == 0


def test_the_throttle_remembers_a_bounded_number_of_addresses():
    from qualflow.review.throttle import LoginThrottle

    throttle = LoginThrottle(clock=lambda: 0.0, max_addresses=50)
    for n in range(500):
        throttle.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(throttle) <= 50


# --- 9b: TLS, Secure cookies, the clear-text warning --------------------------------------------

def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "review.crt", folder / "review.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def start_serve(data, port, *options) -> subprocess.Popen:
    """The real `qualflow review serve`, on every address (a lab server's case), reached here on 127.0.0.1."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "400"}
    return subprocess.Popen([str(QUALFLOW), "review", "serve", "--data", str(data), "--host", "0.0.0.0",
                             "--port", str(port), *options], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_until_listening(process, port) -> None:
    deadline = time.monotonic() + 120  # the CLI imports Prefect first; a busy machine is slow
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"review serve exited: {process.communicate()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("review serve did not start listening")


def stop(process) -> tuple[str, str]:
    process.terminate()
    try:
        return process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


def session_cookie(response) -> str:
    cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("qualflow_review=")]
    assert cookies, response.headers
    return cookies[0].lower()


def test_serve_over_tls_signs_in_over_https_with_a_secure_cookie_and_no_clear_text_warning(data, tmp_path):
    cert_file, key_file = self_signed(tmp_path)
    port = free_port()
    process = start_serve(data, port, "--tls-cert", str(cert_file), "--tls-key", str(key_file))
    try:
        wait_until_listening(process, port)
        trust = ssl.create_default_context(cafile=str(cert_file))
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trust, follow_redirects=False) as client:
            login = client.get("/login")
            assert login.status_code == 200
            assert "; secure" in session_cookie(login)
            response = client.post("/login", data={"name": "alice", "password": PASSWORD,
                                                   "csrf": csrf_of(login.text), "next": "/"})
            assert response.status_code == 303 and "; secure" in session_cookie(response)
            assert client.get("/").status_code == 200  # signed in over HTTPS
        with pytest.raises(httpx.HTTPError):  # plain HTTP is not answered on a TLS port
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
    finally:
        out, err = stop(process)
    assert f"https://0.0.0.0:{port}" in out
    assert "clear text" not in out + err


def test_serve_without_tls_on_a_network_address_warns_and_the_cookie_is_not_secure(data):
    port = free_port()
    process = start_serve(data, port)
    try:
        wait_until_listening(process, port)
        plain = httpx.get(f"http://127.0.0.1:{port}/login")
        assert plain.status_code == 200 and "secure" not in session_cookie(plain)
        # No proxy named in FORWARDED_ALLOW_IPS: X-Forwarded-Proto is not believed, even from 127.0.0.1 (any
        # account on this machine could send it). A proxy named there: tests/test_review_webfix.py.
        proxied = httpx.get(f"http://127.0.0.1:{port}/login", headers={"X-Forwarded-Proto": "https"})
        assert "secure" not in session_cookie(proxied)
    finally:
        out, err = stop(process)
    warnings = [line for line in err.splitlines() if "clear text" in line]
    assert len(warnings) == 1, (out, err)
    assert "--tls-cert" in warnings[0] and "SSH tunnel" in warnings[0]


def test_serve_refuses_a_certificate_without_its_key_or_one_it_cannot_read(data, tmp_path):
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    cert_file, key_file = self_signed(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["review", "serve", "--data", str(data), "--tls-cert", str(cert_file)])
    assert result.exit_code == 2 and "--tls-cert and --tls-key" in result.output
    other_key = tmp_path / "other"
    other_key.mkdir()
    _, wrong_key = self_signed(other_key)
    result = runner.invoke(app, ["review", "serve", "--data", str(data), "--tls-cert", str(cert_file),
                                 "--tls-key", str(wrong_key)])
    assert result.exit_code == 2 and "cannot use" in result.output and "Traceback" not in result.output


# --- 10: error pages are the app's HTML pages, with their status codes --------------------------

def assert_html_error(response, status, *words):
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    assert '{"detail"' not in response.text and "int_parsing" not in response.text
    assert "<h1>" in response.text and 'href="/static/review.css"' in response.text
    for word in words:
        assert word in response.text, (word, response.text)


def test_csrf_refusal_is_an_html_page(data):
    client = client_for(create_app(data))
    response = client.post("/login", data={"name": "alice", "password": PASSWORD, "csrf": "stale"})
    assert_html_error(response, 403, "This form has expired")
    sign_in(client)
    response = client.post("/decide/accept", data={"theme": "1", "version": "1", "csrf": "stale"})
    assert_html_error(response, 403, "Reload the page")


def test_missing_pages_are_html_404s(data):
    client = client_for(create_app(data))
    sign_in(client)
    csrf = csrf_of(client.get("/").text)
    assert_html_error(client.get("/themes/99999"), 404, "No such theme")
    assert_html_error(client.get("/themes/99999/audit"), 404, "No such theme")
    assert_html_error(client.get("/transcripts/99999"), 404, "No such transcript")
    assert_html_error(client.get("/transcripts/abc"), 404, "No such transcript")
    assert_html_error(client.get("/no-such-page"), 404)
    assert_html_error(client.get("/static/no-such-file.css"), 404)
    assert_html_error(client.post("/decide/bogus", data={"csrf": csrf}), 404, "No such action")
    wrong_method = client.get("/decide/accept")
    assert_html_error(wrong_method, 405)
    assert wrong_method.headers["allow"] == "POST"


def test_a_malformed_address_before_sign_in_goes_to_the_login_page_not_a_validation_dump(data):
    client = client_for(create_app(data))
    for url in ("/transcripts/abc", "/themes/abc/audit"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), url


def test_a_validation_error_is_an_html_page_without_the_details(data):
    from fastapi import Query

    app = create_app(data)

    @app.get("/probe")  # the app's own routes parse their numbers; any future typed one lands here
    def probe(n: int = Query()):
        return n

    response = client_for(app).get("/probe", params={"n": "abc"})
    assert_html_error(response, 422)
    assert "abc" not in response.text and "loc" not in response.text


def test_deciding_on_a_theme_that_does_not_exist_shows_its_message_on_the_404_page(data):
    client = client_for(create_app(data))
    sign_in(client)
    csrf = csrf_of(client.get("/").text)
    response = client.post("/decide/accept", data={"theme": "99999", "version": "1", "csrf": csrf})
    assert response.status_code == 303
    assert_html_error(client.get(response.headers["location"]), 404, "No such theme", "no theme with id 99999")


def test_the_login_redirect_is_still_a_redirect(data):
    client = client_for(create_app(data))
    with Store(default_database_url(data)).session() as session:
        theme = theme_by_code(session, "T1").id
    response = client.get(f"/themes/{theme}")
    assert response.status_code == 303 and response.headers["location"] == f"/login?next=%2Fthemes%2F{theme}"
    # The page's query comes along: signed in, the reviewer lands on the search or statement the link named.
    response = client.get("/search?q=police&transcript=8")
    assert response.headers["location"] == "/login?" + urlencode({"next": "/search?q=police&transcript=8"})
