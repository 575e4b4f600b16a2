"""The web audit's findings on the review app, over HTTP (FastAPI's TestClient, and the real `qualflow review
serve` for the proxy headers): a `back` field cannot lead off the site, a form another site sends shows none
of its text, forms come back to the page, filter and statement they were sent from, a filtered theme list says
how many statements match, mixed Chinese and English labels mark their Chinese, and each statement's buttons
are named by it. What only a browser shows: tests/test_review_browser_webfix.py."""

import html
import re

import httpx
import pytest
from fixtures.review.study import add_transcript, build, run_clustering
from qualflow.models import Memo, Store, Suggestion, default_database_url
from qualflow.review.accounts import add_reviewer
from qualflow.review.server import _local_path, create_app
# The real command on a free port, and its study with reviewer alice.
from test_review_audit10 import FREE_FAILURES, data  # noqa: F401 (data: a fixture)
from test_review_audit12 import client_for
from test_review_hardening import csrf_of, serving

PASSWORDS = {"alice": "correct horse", "bob": "battery staple"}
ATTACK = "/\t/evil.example/phish"  # a browser drops the tab: "//evil.example/phish", another site
SPOOF = "Your session expired. Call the IT desk on 555-0100 and give them your password."


@pytest.fixture
def study(tmp_path):
    """The review fixture study, with a fourth participant who says much about workload (T1 fills two pages),
    and a transcript whose file name is Chinese."""
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        for name, password in PASSWORDS.items():
            add_reviewer(session, name, password)
    topic_of = build(store)
    with store.session() as session:
        for name, participant, topics in (("p4.txt", "P4", [0, 1] * 30), ("zh_p5_社区医生.txt", "P5", [2, 3])):
            for statement, topic in zip(add_transcript(session, name, participant, topics), topics):
                topic_of[statement.id] = topic
        run_clustering(session, topic_of, "bigger")
    store.dispose()
    return tmp_path


def theme_id(client, code) -> int:
    return int(client.get(f"/themes/{code}").headers["location"].rsplit("/", 1)[1])


def memos(folder) -> int:
    with Store(default_database_url(folder)).session() as session:
        return session.query(Memo).count()


def links(page: str) -> dict[str, str]:
    """Each link with an id on a page: id -> href, as the browser reads it (entities undone)."""
    return {id_: html.unescape(href) for href, id_ in re.findall(r'<a href="([^"]*)" id="([^"]+)"', page)}


def typed_back(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<textarea readonly[^>]*>(.*?)</textarea>", page, re.S)]


# --- 1: the `back` field ---------------------------------------------------------------------------------

@pytest.mark.parametrize("back", [ATTACK, "/\n/evil.example", "/\r/evil.example", "/\x00x", "/\x7f", "/\x85x",
                                  "/\\evil.example", "/ok\\..", "//evil.example", "https://evil.example"])
def test_a_path_with_a_control_character_or_a_backslash_is_not_a_local_path(back):
    assert _local_path(back) == "/"


def test_a_local_path_keeps_its_page_filter_and_statement_and_is_percent_encoded():
    assert _local_path("/themes/2?participant=P3&page=2#s378") == "/themes/2?participant=P3&page=2#s378"
    assert _local_path('/search?q=家属 "x" <b>') == "/search?q=%E5%AE%B6%E5%B1%9E%20%22x%22%20%3Cb%3E"
    assert _local_path(_local_path("/search?q=a b")) == "/search?q=a%20b"  # quoting twice changes nothing


def test_the_not_saved_and_error_pages_link_nowhere_but_this_site(study):
    app = create_app(study)
    alice, signed_out = client_for(app, "alice"), client_for(app)
    theme = theme_id(alice, "T1")
    csrf = csrf_of(alice.get(f"/themes/{theme}").text)
    for client, status in ((alice, 403), (signed_out, 401)):  # an expired form; a form after signing out
        sent = client.post("/decide/memo", data={"csrf": "stale", "theme": theme, "text": "kept", "back": ATTACK})
        assert sent.status_code == status and links(sent.text)["back"] == "/", sent.text
    # A form with its token but a field missing: the error page's Back link.
    incomplete = alice.post("/decide/take-out", data={"csrf": csrf, "theme": theme, "back": "/\n/evil.example",
                                                      "text": "typed"})
    assert incomplete.status_code == 400 and 'href="/">Back</a>' in incomplete.text
    assert "evil.example" not in incomplete.text
    # Signing in with such a `next` stays here too.
    login = signed_out.get("/login", params={"next": ATTACK}).text
    assert 'name="next" value="/"' in login


# --- 1: a form another site sends shows none of its text ------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site", "Origin": "null"},  # a page elsewhere with Referrer-Policy: no-referrer
    {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:8780"},  # another port of this machine
    {"Origin": "null"},  # a browser that sends no Fetch metadata: any site can send "null"
    {"Origin": "http://evil.example"},
])
def test_a_form_from_another_site_is_not_shown_as_what_the_reviewer_typed(study, headers):
    app = create_app(study)
    alice, signed_out = client_for(app, "alice"), client_for(app)
    theme = theme_id(alice, "T1")
    form = {"theme": theme, "text": SPOOF, "label": SPOOF, "back": f"/themes/{theme}"}
    for client in (alice, signed_out):
        for token in ("", "made-up"):
            sent = client.post("/decide/memo", data={**form, "csrf": token}, headers=headers)
            assert sent.status_code == 403
            assert "came from another site" in sent.text and "CSRF" in sent.text
            assert SPOOF not in html.unescape(sent.text) and "What you typed" not in sent.text
            assert links(sent.text)["back"] == "/"
    assert memos(study) == 0


def test_a_stale_form_from_this_app_still_shows_what_was_typed(study):
    """The reviewer's own form, sent after their session changed (signed out and in again in another tab):
    the browser says it came from this site, and the memo is shown to copy."""
    app = create_app(study)
    alice = client_for(app, "alice")
    theme = theme_id(alice, "T1")
    memo = "A memo typed before signing in again"
    for headers in ({"Sec-Fetch-Site": "same-origin", "Origin": "null"}, {}):  # Chromium's own form; a script
        sent = alice.post("/decide/memo", data={"csrf": "from-an-earlier-session", "theme": theme, "text": memo,
                                                "back": f"/themes/{theme}?page=2"}, headers=headers)
        assert sent.status_code == 403 and "expired" in sent.text and typed_back(sent.text) == [memo]
        assert links(sent.text)["back"] == f"/themes/{theme}?page=2"


# --- 2: forwarded headers are believed only from a proxy named in FORWARDED_ALLOW_IPS ----------------------

def test_review_serve_believes_no_forwarded_header_unless_told_which_proxy_to(data):
    with serving(data) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}") as local_account:
        def guess(address: str) -> httpx.Response:
            forwarded = {"X-Forwarded-For": address}
            login = local_account.get("/login", headers=forwarded)
            return local_account.post("/login", headers=forwarded, data={
                "name": "alice", "password": "wrong guess", "csrf": csrf_of(login.text), "next": "/"})

        statuses = [guess(f"10.9.8.{n}").status_code for n in range(FREE_FAILURES + 2)]
        assert statuses[:FREE_FAILURES] == [401] * FREE_FAILURES and statuses[-1] == 429, statuses
        claimed_https = httpx.get(f"http://127.0.0.1:{port}/login", headers={"X-Forwarded-Proto": "https"})
        assert "secure" not in claimed_https.headers["set-cookie"].lower()
    # Named explicitly, a proxy on this machine is believed (README: behind a proxy).
    with serving(data, env={"FORWARDED_ALLOW_IPS": "127.0.0.1"}) as port:
        proxied = httpx.get(f"http://127.0.0.1:{port}/login", headers={"X-Forwarded-Proto": "https"})
        assert "; secure" in proxied.headers["set-cookie"].lower()


# --- 3: forms come back to the page, filter and statement they were sent from -----------------------------

def test_theme_page_forms_send_their_page_filter_and_statement_as_back(study):
    alice = client_for(create_app(study), "alice")
    theme = theme_id(alice, "T1")
    address = f"/themes/{theme}?q=&participant=P4&transcript=&page=2"
    page = alice.get(address).text
    assert "page 2 of 2" in page
    rows = re.findall(r'data-statement-id="(\d+)"', page)
    backs = [html.unescape(b) for b in re.findall(r'name="back" value="([^"]*)"', page)]
    here = f"/themes/{theme}?q=&participant=P4&transcript=&page=2"
    assert backs and all(b.startswith(here) for b in backs), set(backs)
    # Taking out the first statement comes back to the one after it; confirming, to itself.
    take_out = re.search(r'action="/decide/take-out".*?name="back" value="([^"]*)".*?name="statement_id" value="(\d+)"',
                         page, re.S)
    assert take_out.group(2) == rows[0] and html.unescape(take_out.group(1)) == f"{here}#s{rows[1]}"
    sent = alice.post("/decide/take-out", data={"csrf": csrf_of(page), "theme": theme, "statement_id": rows[0],
                                                "back": html.unescape(take_out.group(1))})
    assert sent.status_code == 303 and sent.headers["location"] == f"{here}#s{rows[1]}"
    # The undo button, on every page, comes back to that page.
    assert html.unescape(re.search(r'name="decision" value="\d+">\s*<input type="hidden" name="back" value="([^"]*)"',
                                   alice.get(address).text).group(1)) == here


def test_taking_out_the_last_statement_of_the_last_page_shows_the_new_last_page(study):
    alice = client_for(create_app(study), "alice")
    theme = theme_id(alice, "T1")
    first = alice.get(f"/themes/{theme}?participant=P4").text
    total = int(re.search(r"\((\d+) statements\)", first).group(1))
    last_page = -(-total // 50)
    page = alice.get(f"/themes/{theme}?participant=P4&page={last_page}").text
    rows = re.findall(r'data-statement-id="(\d+)"', page)
    with Store(default_database_url(study)).session() as session:  # leave one statement on the last page
        for statement in rows[1:]:
            session.query(Suggestion).filter_by(statement_id=int(statement)).update({"status": "rejected"})
    alice.post("/decide/take-out", data={"csrf": csrf_of(page), "theme": theme, "statement_id": rows[0]})
    shown = alice.get(f"/themes/{theme}?participant=P4&page={last_page}").text
    # The statements of what is now the last page (the first: 50 are left), not an empty list.
    assert len(re.findall(r'data-statement-id="(\d+)"', shown)) == 50 and 'rel="next"' not in shown


# --- 6: a filtered theme list says how many statements match ---------------------------------------------

def test_the_filtered_theme_list_shows_how_many_statements_match(study):
    alice = client_for(create_app(study), "alice")
    listing = alice.get("/", params={"participant": "P1"}).text
    shown = dict(re.findall(r'<td class="code">([^<]+)</td>.*?data-column="statements"><span class="matches">(\d+)'
                            r'</span> of \d+</td>', listing, re.S))
    assert shown, listing
    for code, matching in shown.items():  # as many as the theme's page lists under the same filter
        theme_page = alice.get(f"/themes/{theme_id(alice, code)}", params={"participant": "P1"}).text
        on_page = len(re.findall(r'data-statement-id="\d+"', theme_page))
        assert int(matching) == on_page, (code, matching, on_page)
    assert int(shown["T1"]) < int(re.search(r'<td class="code">T1</td>.*?</span> of (\d+)', listing, re.S).group(1))
    note = re.search(r'<p class="meta" id="filter-counts">(.*?)</p>', listing, re.S).group(1)
    assert re.sub(r"\s+", " ", note).startswith(f"{int(shown['T1']) + int(shown['T2'])} statements match these filters")
    assert 'id="filter-counts"' not in alice.get("/").text  # unfiltered: sizes only


# --- 8: Chinese runs in mixed labels and file names are marked ------------------------------------------

def test_chinese_runs_in_mixed_labels_and_file_names_are_marked_lang_zh(study):
    alice = client_for(create_app(study), "alice")
    theme = theme_id(alice, "T1.1")
    page = alice.get(f"/themes/{theme}").text
    alice.post("/decide/rename", data={"csrf": csrf_of(page), "theme": theme, "version": re.search(
        r'name="version" value="(\d+)"', page).group(1), "label": "T1.3 room · 有没有 · people"})
    listing = alice.get("/").text
    assert 'T1.3 room · <span lang="zh">有没有</span> · people</a>' in listing
    page = alice.get(f"/themes/{theme}").text
    assert '<span id="theme-label">T1.3 room · <span lang="zh">有没有</span> · people</span>' in page
    other = alice.get(f"/themes/{theme_id(alice, 'T1.2')}").text  # its merge and move menus name T1.1
    assert re.search(r'<option value="\d+" lang="zh">T1.1 T1.3 room · 有没有 · people</option>', other)
    assert re.search(r'<option value="\d+" lang="zh">zh_p5_社区医生.txt</option>', page)  # the transcript filter
    families = alice.get(f"/themes/{theme_id(alice, 'T2.1')}").text
    assert 'zh_p5_<span lang="zh">社区医生</span>.txt' in families  # the link to the transcript


# --- 9: each statement's buttons are named by it ---------------------------------------------------------

def test_each_statement_button_is_named_by_its_statement_and_described_by_its_words(study):
    alice = client_for(create_app(study), "alice")
    page = alice.get(f"/themes/{theme_id(alice, 'T2.1')}").text
    for statement in re.findall(r'data-statement-id="(\d+)"', page):
        row = re.search(rf'<li [^>]*data-statement-id="{statement}".*?</li>', page, re.S).group(0)
        assert f'<mark id="s{statement}-text"' in row
        names = re.findall(r'<button type="submit" aria-label="([^"]+)" aria-describedby="([^"]+)">([^<]+)</button>', row)
        assert {visible for _, _, visible in names} >= {"Take out", "Move", "Not significant"}
        for name, described_by, visible in names:
            assert name == f"{visible} (statement {statement})" and described_by == f"s{statement}-text"
        assert f'aria-label="Move statement {statement} to"' in row
