"""The review app over HTTP (FastAPI's TestClient): sign-in, CSRF, escaping, conflicts, paging, binding."""

import html
import re
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from fixtures.review.study import add_transcript, build, drop_table, one_big_theme, run_clustering
from qualflow.models import Decision, Memo, Statement, Store, Suggestion, Theme, default_database_url
from qualflow.models.queries import theme_by_code
from qualflow.review.accounts import add_reviewer
from qualflow.review.server import UnsafeBind, check_bind, create_app
from sqlalchemy import event


@pytest.fixture
def data(tmp_path):
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        add_reviewer(session, "alice", "correct horse")
        add_reviewer(session, "bob", "battery staple")
        statements = add_transcript(session, "evil.txt", "P9", [0, 2], script=' <script>alert("x")</script>')
    store.topic_of = build(store)
    store.topic_of.update({statements[0].id: 0, statements[1].id: 2})
    with store.session() as session:
        run_clustering(session, store.topic_of, "with-evil")
    store.dispose()
    return tmp_path


def client_for(data, name=None, password=None, app=None) -> TestClient:
    # The Host a browser sends to the default address: the app refuses names it was not served on.
    client = TestClient(app or create_app(data), base_url="http://127.0.0.1:8765", follow_redirects=False)
    if name:
        csrf = token(client.get("/login").text)
        response = client.post("/login", data={"name": name, "password": password, "csrf": csrf, "next": "/"})
        assert response.status_code == 303, response.text
    return client


def token(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def theme_id(data, code):
    with Store(default_database_url(data)).session() as session:
        theme = theme_by_code(session, code)
        return theme.id, theme.version


def test_pages_need_sign_in_and_a_wrong_password_is_refused(data):
    client = client_for(data)
    assert client.get("/").status_code == 303
    assert client.get("/").headers["location"].startswith("/login")
    csrf = token(client.get("/login").text)
    response = client.post("/login", data={"name": "alice", "password": "wrong!!!", "csrf": csrf})
    assert response.status_code == 401 and "Wrong name or password" in response.text
    assert client.get("/").status_code == 303


def test_theme_list_shows_sizes_coverage_status_and_keywords(data):
    client = client_for(data, "alice", "correct horse")
    page = client.get("/")
    assert page.status_code == 200
    assert "T1.1" in page.text and "workload" in page.text and "candidate" in page.text
    assert re.search(r">\s*4 of 4\s*<", page.text)  # participants covered
    filtered = client.get("/", params={"participant": "P9"}).text
    assert "T1.1" in filtered and "overtime" not in filtered


def test_forms_without_the_csrf_token_are_refused(data):
    client = client_for(data, "alice", "correct horse")
    theme, version = theme_id(data, "T1")
    response = client.post("/decide/accept", data={"theme": theme, "version": version})
    assert response.status_code == 403
    response = client.post("/decide/accept", data={"theme": theme, "version": version, "csrf": "forged"})
    assert response.status_code == 403
    with Store(default_database_url(data)).session() as session:
        assert session.get(Theme, theme).status == "candidate"


def test_a_decision_is_attributed_to_the_signed_in_reviewer(data):
    client = client_for(data, "bob", "battery staple")
    theme, version = theme_id(data, "T2")
    csrf = token(client.get(f"/themes/{theme}").text)
    response = client.post("/decide/accept", data={"theme": theme, "version": version, "csrf": csrf})
    assert response.status_code == 303
    with Store(default_database_url(data)).session() as session:
        decision = session.query(Decision).one()
        assert decision.reviewer == "bob" and decision.action == "accept"
    assert "Saved: accepted T2" in client.get(response.headers["location"]).text


def test_transcript_text_is_escaped(data):
    client = client_for(data, "alice", "correct horse")
    theme, _ = theme_id(data, "T1.1")
    page = client.get(f"/themes/{theme}", params={"participant": "P9"}).text
    assert '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;' in page and "<script>alert" not in page
    transcript = re.search(r'href="/transcripts/(\d+)\?statement=(\d+)', page)
    shown = client.get(f"/transcripts/{transcript.group(1)}", params={"statement": transcript.group(2)})
    assert "&lt;script&gt;" in shown.text and "<script>alert" not in shown.text
    assert f'<mark id="s{transcript.group(2)}" class="highlight">' in shown.text
    assert "script-src 'self'" in shown.headers["content-security-policy"]


def test_pages_show_file_names_with_the_key_maps_names_replaced(data):
    # A file is often named after the person interviewed. The study keeps the name it knows the file
    # by; every page shows it as the exports and the report do, with the key map's names replaced.
    from qualflow.models import Pseudonym, Transcript

    with Store(default_database_url(data)).session() as session:
        transcript = session.query(Transcript).filter_by(source_name="evil.txt").one()
        transcript.source_name = "Mary_Smith interview.txt"
        session.add(Pseudonym(kind="PERSON", real="mary smith", placeholder="[PERSON_7]"))
    client = client_for(data, "alice", "correct horse")
    theme, _ = theme_id(data, "T1.1")
    pages = {"themes": client.get("/").text, "theme": client.get(f"/themes/{theme}").text,
             "search": client.get("/search", params={"participant": "P9"}).text}
    link = re.search(r'href="/transcripts/(\d+)\?statement=(\d+)', pages["search"])
    pages["transcript"] = client.get(f"/transcripts/{link.group(1)}").text
    for name, page in pages.items():
        assert "Mary" not in page and "Smith" not in page, name
    assert "[PERSON_7]_interview.txt" in pages["transcript"] or "[PERSON_7] interview.txt" in pages["transcript"]
    assert "[PERSON_7]" in pages["search"] and "[PERSON_7]" in pages["themes"]


def test_two_reviewers_on_one_theme_get_a_conflict_not_a_lost_update(data):
    alice, bob = client_for(data, "alice", "correct horse"), client_for(data, "bob", "battery staple")
    theme, version = theme_id(data, "T1.1")
    alice_csrf, bob_csrf = token(alice.get(f"/themes/{theme}").text), token(bob.get(f"/themes/{theme}").text)
    first = alice.post("/decide/rename", data={"theme": theme, "version": version, "csrf": alice_csrf,
                                               "label": "Staffing", "description": ""})
    assert first.status_code == 303
    second = bob.post("/decide/rename", data={"theme": theme, "version": version, "csrf": bob_csrf,
                                              "label": "Workload", "description": ""})
    assert second.status_code == 409
    assert "changed after you opened it" in second.text and "alice" in second.text
    with Store(default_database_url(data)).session() as session:
        assert session.get(Theme, theme).label == "Staffing"


def test_chinese_text_is_served_as_utf8(data):
    client = client_for(data, "alice", "correct horse")
    theme, _ = theme_id(data, "T1.1")
    response = client.get(f"/themes/{theme}")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "夜班太多，人手不够。" in response.text
    assert "家属很信任我们" in client.get("/search", params={"q": "家属"}).text


def test_open_redirects_are_refused(data):
    client = client_for(data)
    csrf = token(client.get("/login").text)
    response = client.post("/login", data={"name": "alice", "password": "correct horse", "csrf": csrf,
                                            "next": "//evil.example/"})
    assert response.headers["location"] == "/"


def test_binding_beyond_this_machine_needs_login():
    check_bind("127.0.0.1", login=False)
    check_bind("0.0.0.0", login=True)
    with pytest.raises(UnsafeBind):
        check_bind("0.0.0.0", login=False)
    with pytest.raises(UnsafeBind):
        check_bind("192.168.1.5", login=False)


def test_a_theme_of_5000_statements_loads_one_page_at_a_time(tmp_path):
    """Each page of a large theme reads its own 50 statements from the database, not the theme's 5,000,
    whichever page it is. How long a page takes is measured by benchmarks/response_times.py."""
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        add_reviewer(session, "alice", "correct horse")
        theme_id = one_big_theme(session)
        assert session.get(Theme, theme_id).size == 5000
    store.dispose()
    client = client_for(tmp_path, "alice", "correct horse")
    loaded = Counter()

    def count_loaded(target, context):
        loaded[type(target).__name__] += 1

    for model in (Statement, Suggestion):
        event.listen(model, "load", count_loaded)
    try:
        for page in (1, 50, 100):
            loaded.clear()
            response = client.get(f"/themes/{theme_id}", params={"page": page})
            assert response.status_code == 200 and f"page {page} of 100" in response.text
            assert response.text.count('class="statement ') == 50
            assert 50 <= loaded["Statement"] <= 60 and 50 <= loaded["Suggestion"] <= 60, (page, loaded)
    finally:
        for model in (Statement, Suggestion):
            event.remove(model, "load", count_loaded)


def test_memo_and_undo_over_http(data):
    client = client_for(data, "alice", "correct horse")
    theme, version = theme_id(data, "T2.1")
    csrf = token(client.get(f"/themes/{theme}").text)
    client.post("/decide/memo", data={"theme": theme, "version": version, "csrf": csrf, "text": "<i>check</i> 核对"})
    page = client.get(f"/themes/{theme}").text
    # Escaped; its Chinese word marked lang="zh" (the memo mixes scripts).
    assert '&lt;i&gt;check&lt;/i&gt; <span lang="zh">核对</span>' in page and "Undo last decision" in page
    offered = re.search(r'name="decision" value="(\d+)"', page).group(1)
    response = client.post("/decide/undo", data={"csrf": csrf, "decision": offered, "back": f"/themes/{theme}"})
    assert response.status_code == 303
    assert "核对" not in client.get(f"/themes/{theme}").text


def test_a_statement_memo_shows_when_it_was_written_and_the_icon_asks_nothing(data):
    """A theme's memo showed reviewer, date and time, a statement's only the reviewer; and every page's
    request for /favicon.ico was a 404 in the browser's console (browser audit)."""
    client = client_for(data, "alice", "correct horse")
    theme, version = theme_id(data, "T2.1")
    page = client.get(f"/themes/{theme}").text
    statement = re.search(r'name="statement_id" value="(\d+)"', page).group(1)
    client.post("/decide/memo", data={"theme": theme, "version": version, "csrf": token(page),
                                      "statement_id": statement, "text": "ask about nights"})
    page = client.get(f"/themes/{theme}").text
    assert re.search(r"ask about nights<footer>alice, \d{4}-\d{2}-\d{2} \d{2}:\d{2}</footer>", page), page
    assert client.get("/favicon.ico").status_code == 204


def test_a_theme_with_subcategories_offers_no_parent_menu_and_says_why(data):
    """Every choice of the menu was refused ("T2 has subcategories of its own"): a useless round trip
    (browser audit). A subcategory still has the menu."""
    client = client_for(data, "alice", "correct horse")
    with_subcategories, _ = theme_id(data, "T2")
    page = client.get(f"/themes/{with_subcategories}").text
    assert 'id="parent-target"' not in page and 'id="parent-kept"' in page and "only two levels" in page
    subcategory, _ = theme_id(data, "T2.1")
    page = client.get(f"/themes/{subcategory}").text
    assert 'id="parent-target"' in page and 'id="parent-kept"' not in page


def test_no_endpoint_takes_a_path(data):
    from starlette.convertors import PathConvertor
    from starlette.routing import Mount

    app = create_app(data)
    for route in app.routes:
        if isinstance(route, Mount):
            assert route.path == "/static"  # the package's own folder; StaticFiles refuses "../"
            continue
        assert not any(isinstance(c, PathConvertor) for c in route.param_convertors.values()), route.path
    client = client_for(data, "alice", "correct horse")
    for probe in ("/static/../server.py", "/static/..%2Fserver.py", "/transcripts/..%2Fqualflow.sqlite"):
        response = client.get(probe)
        assert response.status_code == 404, probe
        assert b"SQLite format" not in response.content and b"def create_app" not in response.content


def test_review_app_shows_the_saturation_curve_and_links_the_report(data):
    client = client_for(data, "alice", "correct horse")
    themes_page = client.get("/").text
    assert 'src="/saturation.png"' in themes_page and 'href="/report"' in themes_page
    picture = client.get("/saturation.png")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG\r\n\x1a\n")
    report = client.get("/report")
    assert report.status_code == 200 and "Table 2. Themes" in report.text and "Data saturation" in report.text
    assert "img-src data:" in report.headers["content-security-policy"]
    assert client_for(data).get("/report").status_code == 303  # signed out: to the login page


def test_huge_numbers_in_a_request_are_a_404_or_an_empty_page_never_a_500(data):
    client = client_for(data, "alice", "correct horse")
    theme, version = theme_id(data, "T1.1")
    big = "9" * 23  # past SQLite's 64-bit integers; 5,000 digits is past what int() reads
    for url, status in [(f"/themes/{theme}?page={big}", 200), (f"/search?transcript={big}", 200),
                        (f"/search?q=staff&page={'9' * 5000}", 200), (f"/?transcript={big}", 200),
                        (f"/transcripts/1?statement={big}", 200), (f"/themes/{big}", 404),
                        (f"/themes/{big}/audit", 404), (f"/transcripts/{big}", 404)]:
        assert client.get(url).status_code == status, url
    # The clamped id names no transcript: the filter finds nothing rather than being dropped.
    assert "short of" in client.get("/search?q=staff").text
    assert "short of" not in client.get(f"/search?q=staff&transcript={big}").text
    csrf = token(client.get(f"/themes/{theme}").text)
    response = client.post("/decide/move", data={"statement_id": big, "target": big, "theme": theme,
                                                 "version": version, "csrf": csrf})
    assert response.status_code == 303  # back to the page with the error, nothing changed


def test_a_theme_page_opens_by_its_code_as_reviewers_write_it(data):
    client = client_for(data, "alice", "correct horse")
    theme, _ = theme_id(data, "T1.1")
    for code in ("T1.1", "t1.1"):
        response = client.get(f"/themes/{code}", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/themes/{theme}", code
    assert "T1.1" in client.get("/themes/T1.1", follow_redirects=True).text
    missing = client.get("/themes/T99")
    assert missing.status_code == 404 and "T99" in missing.text and "int_parsing" not in missing.text
    # A link with a page, a filter or a suggestion keeps it (found in a browser audit: it was dropped).
    response = client.get("/themes/T1.1?page=2&participant=P8", follow_redirects=False)
    assert response.headers["location"] == f"/themes/{theme}?page=2&participant=P8"


def test_a_decision_while_a_run_holds_the_write_lock_is_busy_and_saves_nothing(data):
    import sqlite3

    client = client_for(data, "alice", "correct horse")
    theme, version = theme_id(data, "T2.1")
    csrf = token(client.get(f"/themes/{theme}").text)
    holder = sqlite3.connect(data / "qualflow.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as a batch run storing its results holds it
    try:
        response = client.post("/decide/memo", data={"theme": theme, "version": version, "csrf": csrf,
                                                     "text": "Tom drinks every night"})
    finally:
        holder.close()
    # The memo typed is shown back to copy (in the page only: never in the session cookie's notice).
    assert response.status_code == 503
    assert "Tom" not in response.headers.get("set-cookie", "")
    page = response.text
    assert "The study database is busy" in page and "try again in a moment" in page
    assert "Tom drinks every night" in page and "not saved" in page.lower()
    with Store(default_database_url(data)).session() as session:
        assert session.query(Memo).count() == 0


def test_a_store_that_fails_is_an_error_page_never_called_busy_and_logged_without_sql(data, caplog):
    client = client_for(data, "alice", "correct horse")
    theme, version = theme_id(data, "T2.1")
    csrf = token(client.get(f"/themes/{theme}").text)
    drop_table(data, "memos")
    with caplog.at_level("ERROR", logger="qualflow.review.server"):
        response = client.post("/decide/memo", data={"theme": theme, "version": version, "csrf": csrf,
                                                     "text": "Tom drinks every night"})
        shown = client.get(f"/themes/{theme}")  # reading fails too (the page lists memos)
    for failed in (response, shown):
        text = html.unescape(failed.text)
        assert failed.status_code == 500
        assert "could not be read or written" in text and "administrator" in text and "server's log" in text
        assert "busy" not in text and "try again" not in text and "Tom" not in text
        assert "no such table" not in text  # the details are for the log, not the page
    logged = [r for r in caplog.records if r.name == "qualflow.review.server"]
    assert len(logged) == 2 and all(r.levelname == "ERROR" for r in logged)
    message = logged[0].getMessage()
    assert "OperationalError" in message and "no such table: memos" in message
    assert "Tom" not in message and "INSERT" not in message and "SQL" not in message
    assert all(r.exc_info is None for r in logged)  # a traceback would quote the statement


def test_a_database_file_that_is_not_a_database_is_the_error_page_never_busy(data, caplog):
    client = client_for(data, "alice", "correct horse")
    theme, _ = theme_id(data, "T2.1")
    assert client.get(f"/themes/{theme}").status_code == 200
    database = data / "qualflow.sqlite"
    for beside in data.glob("qualflow.sqlite-*"):  # the WAL and its index: SQLite would read them first
        beside.unlink()
    garbage = b"This was qualflow.sqlite until a sync tool overwrote it.\n" * 200
    database.write_bytes(garbage)
    with caplog.at_level("ERROR", logger="qualflow.review.server"):
        pages = [client.get("/"), client.get(f"/themes/{theme}")]
    for failed in pages:
        text = html.unescape(failed.text)
        assert failed.status_code == 500
        assert "could not be read or written" in text and "server's log" in text
        assert "busy" not in text.lower() and "try again" not in text
        assert "not a database" not in text  # the details are for the log, not the page
    logged = [r for r in caplog.records if r.name == "qualflow.review.server"]
    assert len(logged) == 2 and all(r.levelname == "ERROR" and r.exc_info is None for r in logged)
    message = logged[0].getMessage()  # a pooled connection may see the damage before the header
    assert "DatabaseError" in message and ("file is not a database" in message or "malformed" in message)
    assert database.read_bytes() == garbage


def flash(client) -> str:
    return html.unescape(re.search(r'class="flash[^>]*>([^<]*)', client.get("/").text).group(1))


def test_undo_undoes_only_the_decision_the_page_offered_and_only_once(data):
    alice, bob = client_for(data, "alice", "correct horse"), client_for(data, "bob", "battery staple")
    t1, v1 = theme_id(data, "T1")
    t2, v2 = theme_id(data, "T2")
    alice_csrf, bob_csrf = token(alice.get("/").text), token(bob.get("/").text)
    alice.post("/decide/rename", data={"csrf": alice_csrf, "theme": t1, "version": v1, "label": "Staffing"})
    page = alice.get(f"/themes/{t1}").text
    offered = re.search(r'name="decision" value="(\d+)"', page).group(1)
    assert 'title="Undo #' + offered in page
    bob.post("/decide/accept", data={"csrf": bob_csrf, "theme": t2, "version": v2})
    stale = alice.post("/decide/undo", data={"csrf": alice_csrf, "decision": offered})
    assert stale.status_code == 409 and "bob" in stale.text and "Nothing was undone" in html.unescape(stale.text)
    with Store(default_database_url(data)).session() as session:
        assert session.get(Theme, t2).status == "confirmed" and session.get(Theme, t1).label == "Staffing"
    newest = re.search(r'name="decision" value="(\d+)"', bob.get("/").text).group(1)
    first = bob.post("/decide/undo", data={"csrf": bob_csrf, "decision": newest})
    again = bob.post("/decide/undo", data={"csrf": bob_csrf, "decision": newest})  # a double click
    assert first.status_code == 303 and again.status_code == 409
    with Store(default_database_url(data)).session() as session:
        assert session.get(Theme, t1).label == "Staffing"
        assert [d.action for d in session.query(Decision).order_by(Decision.id)] == ["rename", "accept", "undo"]


def test_confirming_a_statement_makes_another_reviewers_stale_form_a_conflict(data):
    from qualflow.models import Suggestion

    alice, bob = client_for(data, "alice", "correct horse"), client_for(data, "bob", "battery staple")
    theme, version = theme_id(data, "T1.1")
    alice_csrf, bob_csrf = token(alice.get(f"/themes/{theme}").text), token(bob.get(f"/themes/{theme}").text)
    with Store(default_database_url(data)).session() as session:
        statement = session.query(Suggestion).filter(Suggestion.theme_id == theme).first().statement_id
    response = alice.post("/decide/confirm", data={"csrf": alice_csrf, "theme": theme, "version": version,
                                                   "statement_id": statement})
    assert response.status_code == 303
    for action in ("take-out", "not-significant"):
        stale = bob.post(f"/decide/{action}", data={"csrf": bob_csrf, "theme": theme, "version": version,
                                                    "statement_id": statement})
        assert stale.status_code == 409 and "changed after you opened it" in stale.text
    with Store(default_database_url(data)).session() as session:
        rows = session.query(Suggestion).filter(Suggestion.statement_id == statement).all()
        assert [r.status for r in rows] == ["confirmed"]
        assert [d.reviewer for d in session.query(Decision)] == ["alice"]


def data_topics(data) -> dict[int, int]:
    """Statement id -> fixture topic, read back from the subcategories the first run made."""
    from fixtures.review.study import TOPICS
    from qualflow.models import Suggestion

    topic_of_label = {label: topic for topic, (_, label, _) in TOPICS.items()}
    with Store(default_database_url(data)).session() as session:
        return {row.statement_id: topic_of_label[session.get(Theme, row.theme_id).label]
                for row in session.query(Suggestion) if session.get(Theme, row.theme_id).level == "subcategory"}


def test_a_theme_from_an_earlier_clustering_offers_no_actions_and_refuses_them(data):
    with Store(default_database_url(data)).session() as session:
        retired, version = theme_by_code(session, "T2").id, theme_by_code(session, "T2").version
        statements = {k: v for k, v in data_topics(data).items() if v != 2}
        run_clustering(session, statements, "without-families")
        assert theme_by_code(session, "T2") is None or theme_by_code(session, "T2").id != retired
    client = client_for(data, "alice", "correct horse")
    page = client.get(f"/themes/{retired}").text
    assert "earlier clustering" in page
    for button in ('id="accept"', 'id="reject"', 'id="rename"', 'id="merge"', 'id="split"', "/decide/take-out"):
        assert button not in page, button
    response = client.post("/decide/accept", data={"csrf": token(page), "theme": retired, "version": version})
    assert response.status_code == 303
    assert "earlier clustering; open the current themes" in flash(client)
    with Store(default_database_url(data)).session() as session:
        assert session.get(Theme, retired).status == "candidate" and session.query(Decision).count() == 0


def test_a_rejected_theme_offers_no_accept(data):
    client = client_for(data, "alice", "correct horse")
    theme, version = theme_id(data, "T2")
    csrf = token(client.get(f"/themes/{theme}").text)
    client.post("/decide/reject", data={"csrf": csrf, "theme": theme, "version": version})
    page = client.get(f"/themes/{theme}").text
    assert 'id="accept"' not in page
    with Store(default_database_url(data)).session() as session:
        version_now = session.get(Theme, theme).version  # a page loaded after the rejection: not stale
    response = client.post("/decide/accept", data={"csrf": csrf, "theme": theme, "version": version_now})
    assert response.status_code == 303 and "undo the rejection" in flash(client)
    with Store(default_database_url(data)).session() as session:
        assert session.get(Theme, theme).status == "rejected"


def test_malformed_forms_are_a_400_page_never_a_500(data):
    client = TestClient(create_app(data), base_url="http://127.0.0.1:8765", follow_redirects=False,
                        raise_server_exceptions=False)
    csrf = token(client.get("/login").text)
    client.post("/login", data={"name": "alice", "password": "correct horse", "csrf": csrf, "next": "/"})
    theme, version = theme_id(data, "T1.1")
    page = client.get(f"/themes/{theme}").text
    csrf = token(page)
    assert re.search(r'<select name="target" aria-label="Move statement \d+ to" aria-describedby="s\d+-text" required>', page)
    assert re.search(r'<select name="target" id="merge-target" required', page)
    statement = re.search(r'name="statement_id" value="(\d+)"', page).group(1)
    for action, form in [("move", {"statement_id": statement}), ("merge", {}),
                         ("split", {"statement": "abc", "label": "x"}), ("accept", {"theme": ""}),
                         ("confirm", {"statement_id": "x"}), ("undo", {})]:
        data_ = {"csrf": csrf, "theme": theme, "version": version, **form}
        response = client.post(f"/decide/{action}", data=data_)
        assert response.status_code == 400, (action, response.status_code)
        assert "Nothing was saved" in response.text, action
    with Store(default_database_url(data)).session() as session:
        assert session.query(Decision).count() == 0


def test_a_foreign_host_header_is_refused(data):
    app = create_app(data, login=False)
    foreign = TestClient(app, base_url="http://attacker.example:8765", follow_redirects=False)
    assert foreign.get("/").status_code == 400
    assert foreign.post("/decide/memo", data={"text": "via DNS rebinding"}).status_code == 400
    for host in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765"):
        assert TestClient(app, base_url=f"http://{host}").get("/").status_code == 200, host
    named = create_app(data, login=True, host="review.example.org")
    assert TestClient(named, base_url="http://review.example.org").get("/login").status_code == 200
    assert TestClient(named, base_url="http://attacker.example").get("/login").status_code == 400


def test_signing_out_ends_the_session_even_for_a_copied_cookie(data):
    app = create_app(data)
    client = client_for(data, "alice", "correct horse", app=app)
    copied = client.cookies.get("qualflow_review")
    csrf = token(client.get("/").text)
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    thief = TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False)
    thief.cookies.set("qualflow_review", copied)
    assert thief.get("/").status_code == 303  # to the login page
    theme, version = theme_id(data, "T1")
    # Signed out: the "nothing was saved" page (audit 12, D1), not a redirect to sign in.
    refused = thief.post("/decide/accept", data={"csrf": csrf, "theme": theme, "version": version})
    assert refused.status_code == 401 and "nothing was saved" in refused.text
    with Store(default_database_url(data)).session() as session:
        assert session.get(Theme, theme).status == "candidate"
    again = client_for(data, "alice", "correct horse", app=app)  # signing in again works
    assert again.get("/").status_code == 200
