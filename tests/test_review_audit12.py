"""Audit 12 (a reviewer's audit in real chromium), over HTTP with FastAPI's TestClient: typed text is
never lost without a word (signed out, expired form, conflict), a memo on a theme merged away is a
conflict, merged themes say where they went, Chinese text is marked lang="zh", forms and pages are
labelled, and hand-made requests are refused or cleaned. The cross-site link and the merge dialog
need a browser: tests/test_review_browser_audit12.py."""

import html
import re

import pytest
from fastapi.testclient import TestClient
from fixtures.review.study import add_transcript, build, run_clustering
from qualflow.models import Decision, Memo, Store, Theme, default_database_url
from qualflow.models.queries import theme_by_code
from qualflow.pipeline.language import detect_language
from qualflow.review.accounts import add_reviewer
from qualflow.review.server import create_app

PASSWORDS = {"alice": "correct horse", "bob": "battery staple"}


@pytest.fixture
def data(tmp_path):
    """The review fixture study, plus one interview whose participant speaks only Chinese."""
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        for name, password in PASSWORDS.items():
            add_reviewer(session, name, password)
    topic_of = build(store)
    with store.session() as session:
        # The fixture words each transcript's topics by its position: the fifth says them in Chinese.
        for name, topics in (("p4.txt", [2]), ("p5_中文.txt", [0, 1])):
            for statement, topic in zip(add_transcript(session, name, "P4", topics), topics):
                topic_of[statement.id] = topic
        run_clustering(session, topic_of, "with-chinese")
    store.dispose()
    return tmp_path


def client_for(app, name=None) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False)
    if name:
        response = client.post("/login", data={"name": name, "password": PASSWORDS[name], "next": "/",
                                               "csrf": token(client.get("/login").text)})
        assert response.status_code == 303, response.text
    return client


def token(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def theme_of(data, code) -> Theme:
    with Store(default_database_url(data)).session() as session:
        theme = theme_by_code(session, code)
        session.expunge(theme)
        return theme


def count(data, model) -> int:
    with Store(default_database_url(data)).session() as session:
        return session.query(model).count()


def typed_back(page: str) -> list[str]:
    """The read-only textareas a "not saved" page shows, as text."""
    return [html.unescape(t) for t in re.findall(r"<textarea readonly[^>]*>(.*?)</textarea>", page, re.S)]


# --- D1: a session is not ended by a link from another site; a form sent signed out keeps its text ---

def test_the_session_cookie_is_lax_and_forms_from_another_origin_are_refused_even_with_the_token(data):
    app = create_app(data)
    alice = client_for(app, "alice")
    # Lax: a link followed from a chat or an e-mail page arrives with the cookie (Strict did not, and the
    # sign-in page's new cookie then signed the reviewer out in every tab).
    assert "samesite=lax" in alice.get("/").headers["set-cookie"].lower()
    theme = theme_of(data, "T1.1")
    csrf = token(alice.get(f"/themes/{theme.id}").text)
    form = {"csrf": csrf, "theme": theme.id, "version": theme.version, "text": "from elsewhere"}
    foreign = alice.post("/decide/memo", data=form, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "CSRF" in foreign.text
    assert count(data, Memo) == 0
    # Chromium sends Origin: null for this app's own forms (Referrer-Policy: no-referrer): the token decides.
    own = alice.post("/decide/memo", data={**form, "text": "from here"}, headers={"Origin": "null"})
    assert own.status_code == 303 and count(data, Memo) == 1
    same = alice.post("/decide/memo", data={**form, "text": "from here too"},
                      headers={"Origin": "http://127.0.0.1:8765"})
    assert same.status_code == 303 and count(data, Memo) == 2


def test_a_form_sent_after_signing_out_says_nothing_was_saved_and_shows_the_typed_text(data):
    app = create_app(data)
    tab1, tab2 = client_for(app, "alice"), client_for(app, "alice")
    theme = theme_of(data, "T1.1")
    csrf = token(tab1.get(f"/themes/{theme.id}").text)
    assert tab2.post("/logout", data={"csrf": token(tab2.get("/").text)}).status_code == 303  # every session ends
    memo = "A long memo the reviewer typed <b>before</b>\nsaving it."
    sent = tab1.post("/decide/memo", data={"csrf": csrf, "theme": theme.id, "version": theme.version, "text": memo})
    assert sent.status_code == 401, sent.headers.get("location")
    assert "You were signed out: nothing was saved" in sent.text
    assert typed_back(sent.text) == [memo.replace("\n", "\r\n")] or typed_back(sent.text) == [memo]
    assert "<b>before</b>" not in sent.text  # escaped, as everywhere
    assert f'href="/themes/{theme.id}"' in sent.text and f"/login?next=%2Fthemes%2F{theme.id}" in sent.text
    assert count(data, Memo) == 0
    # A rename keeps both of its fields.
    renamed = tab1.post("/decide/rename", data={"csrf": csrf, "theme": theme.id, "version": theme.version,
                                                "label": "Night shifts", "description": "Why nights are hard"})
    assert renamed.status_code == 401 and typed_back(renamed.text) == ["Night shifts", "Why nights are hard"]


def test_signing_in_after_a_form_address_goes_to_a_page_not_a_405(data):
    client = client_for(create_app(data))
    # An address a signed-out POST used to send to the sign-in page as `next`.
    login = client.get("/login", params={"next": "/decide/memo"}).text
    assert 'name="next" value="/"' in login
    response = client.post("/login", data={"name": "alice", "password": PASSWORDS["alice"], "next": "/decide/memo",
                                           "csrf": token(login)})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert client.get(response.headers["location"]).status_code == 200


def test_an_expired_form_keeps_the_typed_text(data):
    app = create_app(data)
    alice = client_for(app, "alice")
    theme = theme_of(data, "T1.1")
    stale = {"csrf": "from-an-earlier-session", "theme": theme.id, "version": theme.version, "text": "keep me"}
    response = alice.post("/decide/memo", data=stale)
    assert response.status_code == 403 and "expired" in response.text and typed_back(response.text) == ["keep me"]
    assert count(data, Memo) == 0


# --- D2 and D4: a memo on a theme merged away is a conflict; the merged theme says where it went ----------

def test_a_memo_on_a_theme_merged_away_since_the_page_was_loaded_is_a_conflict(data):
    app = create_app(data)
    alice, bob = client_for(app, "alice"), client_for(app, "bob")
    source, target = theme_of(data, "T1.2"), theme_of(data, "T1.1")
    bobs_page = bob.get(f"/themes/{source.id}").text
    merged = alice.post("/decide/merge", data={"csrf": token(alice.get(f"/themes/{source.id}").text),
                                               "theme": source.id, "version": source.version, "target": target.id})
    assert merged.status_code == 303
    memo = "Bob's thought on overtime"
    response = bob.post("/decide/memo", data={"csrf": token(bobs_page), "theme": source.id,
                                              "version": source.version, "text": memo})
    assert response.status_code == 409, response.headers.get("location")
    assert "merged" in response.text and "alice" in response.text and "T1.1" in response.text
    assert typed_back(response.text) == [memo]
    assert count(data, Memo) == 0
    # The merged theme's page: where it went, a link there, and no memo form.
    page = bob.get(f"/themes/{source.id}").text
    assert 'id="merged-into"' in page and "was merged into T1.1" in page
    assert f'<a href="/themes/{target.id}">Open T1.1</a>' in page
    assert 'id="theme-memo"' not in page


def test_a_memo_on_a_statement_is_not_outdated_by_a_change_to_its_theme(data):
    app = create_app(data)
    alice, bob = client_for(app, "alice"), client_for(app, "bob")
    theme = theme_of(data, "T1.1")
    bobs_page = bob.get(f"/themes/{theme.id}").text
    statement = re.search(r'name="statement_id" value="(\d+)"', bobs_page).group(1)
    alice.post("/decide/rename", data={"csrf": token(alice.get(f"/themes/{theme.id}").text), "theme": theme.id,
                                       "version": theme.version, "label": "Staffing", "description": ""})
    response = bob.post("/decide/memo", data={"csrf": token(bobs_page), "theme": theme.id, "version": theme.version,
                                              "statement_id": statement, "text": "a quote to use"})
    assert response.status_code == 303 and count(data, Memo) == 1


# --- D3, D5, D6, D7: the pages themselves ---------------------------------------------------------------

def test_merging_asks_first_naming_both_themes(data):
    alice = client_for(create_app(data), "alice")
    theme = theme_of(data, "T1.2")
    form = re.search(r'<form action="/decide/merge"[^>]*>', alice.get(f"/themes/{theme.id}").text).group(0)
    # review.js puts the theme chosen in the menu in place of {target} (tested in the browser).
    assert html.unescape(re.search(r'data-confirm="([^"]+)"', form).group(1)).startswith(
        "Merge T1.2 “overtime” into {target}?")


def test_chinese_text_is_marked_lang_zh(data):
    alice = client_for(create_app(data), "alice")
    alice.post("/decide/rename", data={"csrf": token(alice.get("/").text), "theme": theme_of(data, "T2").id,
                                       "version": theme_of(data, "T2").version, "label": "家属的担忧与照护负担"})
    listing = alice.get("/").text
    assert re.search(r'<a href="/themes/\d+" lang="zh">家属的担忧与照护负担</a>', listing)
    assert re.search(r'<a href="/themes/\d+">workload</a>', listing)  # English stays unmarked
    theme = theme_of(data, "T2.1")
    page = alice.get(f"/themes/{theme.id}").text
    assert '<a href="/themes/' in page and '<span lang="zh">家属的担忧与照护负担</span>' in page  # crumbs
    assert re.search(r'<option value="\d+" lang="zh">T2 家属的担忧与照护负担</option>', page)
    own = alice.get(f"/themes/{theme_of(data, 'T2').id}").text
    assert '<span id="theme-label" lang="zh">家属的担忧与照护负担</span>' in own
    # Context turns: marked exactly when they are Chinese, and the fixture has some that are.
    marked = []
    for code in ("T1.1", "T1.2"):
        statements_page = alice.get(f"/themes/{theme_of(data, code).id}").text
        for attributes, body in re.findall(r'<p class="turn [a-z]+"([^>]*)><b>[^<]*</b>(.*?)</p>', statements_page, re.S):
            words = html.unescape(re.sub(r"<[^>]+>", "", body))
            assert ('lang="zh"' in attributes) == (detect_language(words) == "zh"), words
            marked.append('lang="zh"' in attributes)
    assert any(marked) and not all(marked)
    transcript = re.search(r'href="/transcripts/(\d+)\?statement=\d+#s\d+"[^>]*>p5_(<span lang="zh">)?中文', alice.get(
        f"/themes/{theme_of(data, 'T1.1').id}").text)
    turns = re.findall(r'<p class="turn ([a-z]+)" id="turn\d+"([^>]*)>', alice.get(f"/transcripts/{transcript.group(1)}").text)
    assert turns == [("interviewer", ""), ("participant", ' lang="zh"')]


def test_memo_boxes_and_split_ticks_are_labelled_by_their_statement(data):
    alice = client_for(create_app(data), "alice")
    page = alice.get(f"/themes/{theme_of(data, 'T1.1').id}").text
    assert '<label for="theme-memo">Memo on T1.1</label>' in page
    statements = re.findall(r'data-statement-id="(\d+)"', page)
    assert len(statements) > 1
    memo_labels = re.findall(r'<textarea name="text" rows="2" required aria-label="([^"]+)">', page)
    split_labels = re.findall(r'form="split-form" aria-label="([^"]+)"', page)
    assert memo_labels == [f"Memo on statement {s}" for s in statements]
    assert split_labels == [f"split off statement {s}" for s in statements]


def test_every_page_has_a_title_of_its_own(data):
    app = create_app(data)
    alice, bob = client_for(app, "alice"), client_for(app, "bob")
    theme = theme_of(data, "T1.1")

    def title(page):
        return html.unescape(re.search(r"<title>(.*?)</title>", page).group(1))

    bobs_page = bob.get(f"/themes/{theme.id}").text
    alice.post("/decide/accept", data={"csrf": token(alice.get("/").text), "theme": theme.id, "version": theme.version})
    conflict = bob.post("/decide/rename", data={"csrf": token(bobs_page), "theme": theme.id, "version": theme.version,
                                                "label": "Staffing"})
    assert conflict.status_code == 409
    assert title(alice.get("/").text) == "Themes · qualflow review"
    assert title(alice.get("/search", params={"q": "night"}).text) == "Search: night · qualflow review"
    assert title(alice.get("/search").text) == "Search statements · qualflow review"
    assert title(alice.get(f"/themes/{theme.id}/audit").text) == "Decision history of T1.1 · qualflow review"
    assert title(conflict.text) == "Not saved: someone changed this first · qualflow review"
    assert typed_back(conflict.text) == ["Staffing"]  # a conflict keeps the typed text too


def test_long_words_wrap_in_the_stylesheet(data):
    css = client_for(create_app(data)).get("/static/review.css").text
    rule = re.search(r"^([^{}\n]+)\{ overflow-wrap: anywhere; \}", css, re.M)
    assert rule and {"h1", "td.label", ".crumbs"} <= {s.strip() for s in rule.group(1).split(",")}
    assert "select { max-width: min(30rem, 90vw); }" in css


# --- D9: every theme rejected ---------------------------------------------------------------------------

def test_when_every_theme_is_rejected_the_list_says_so_not_no_themes_yet(data):
    alice = client_for(create_app(data), "alice")
    for code in ("T1", "T2"):
        theme = theme_of(data, code)
        assert alice.post("/decide/reject", data={"csrf": token(alice.get("/").text), "theme": theme.id,
                                                  "version": theme.version}).status_code == 303
    listing = alice.get("/").text
    assert "No themes yet" not in listing and "<table" not in listing
    assert "all 5 themes were rejected or merged" in listing and 'href="/?status=all"' in listing
    assert "No merged themes." in alice.get("/", params={"status": "merged"}).text
    assert 'class="themes"' in alice.get("/", params={"status": "rejected"}).text


# --- D10: a wrong password keeps the name ---------------------------------------------------------------

def test_a_wrong_password_keeps_the_reviewer_name_but_not_the_password(data):
    client = client_for(create_app(data))
    response = client.post("/login", data={"name": "alice", "password": "wrong!!!", "next": "/themes/3",
                                           "csrf": token(client.get("/login").text)})
    assert response.status_code == 401
    assert re.search(r'<input name="name" value="alice"', response.text)
    assert "wrong!!!" not in response.text and 'name="next" value="/themes/3"' in response.text


# --- D11: hand-made requests ----------------------------------------------------------------------------

def test_a_parent_that_is_not_a_number_is_refused_not_read_as_top_level(data):
    alice = client_for(create_app(data), "alice")
    theme = theme_of(data, "T2.1")
    response = alice.post("/decide/parent", data={"csrf": token(alice.get("/").text), "theme": theme.id,
                                                  "version": theme.version, "parent": "abc"})
    assert response.status_code == 400 and "parent theme must be a theme's number" in html.unescape(response.text)
    assert theme_of(data, "T2.1").parent_id == theme.parent_id and count(data, Decision) == 0


def test_control_characters_in_typed_text_are_not_stored(data):
    alice = client_for(create_app(data), "alice")
    theme = theme_of(data, "T1.1")
    csrf = token(alice.get("/").text)
    alice.post("/decide/rename", data={"csrf": csrf, "theme": theme.id, "version": theme.version,
                                       "label": "x\x00y\x07", "description": "a\x00b\tc\r\nd"})
    alice.post("/decide/memo", data={"csrf": csrf, "theme": theme.id, "text": "memo\x00 with\x1b NUL\nand a line"})
    only_nul = alice.post("/decide/memo", data={"csrf": csrf, "theme": theme.id, "text": "\x00\x00"})
    assert only_nul.status_code == 303  # refused with a message ("a memo needs text"), nothing stored
    with Store(default_database_url(data)).session() as session:
        renamed = session.get(Theme, theme.id)
        assert (renamed.label, renamed.description) == ("xy", "ab\tc\r\nd")
        assert [m.text for m in session.query(Memo)] == ["memo with NUL\nand a line"]


def test_a_rejected_theme_still_takes_a_memo_saying_why(data):
    """Only a merged theme refuses memos (nothing would find them there); a reviewer notes why a theme was
    rejected on the theme itself, and `audit` shows it."""
    from qualflow.review.actions import reject, write_memo
    from sqlalchemy import select

    with Store(default_database_url(data)).session() as session:
        theme = session.scalar(select(Theme).where(Theme.level == "theme").order_by(Theme.id))
        reject(session, "alice", theme.id)
        write_memo(session, "alice", "Rejected: two unrelated topics mixed together.", theme_id=theme.id)
        session.commit()
        memos = session.scalars(select(Memo).where(Memo.theme_id == theme.id)).all()
    assert [memo.text for memo in memos] == ["Rejected: two unrelated topics mixed together."]


def test_a_refused_rename_keeps_the_name_typed_in_view(data):
    """A decision refused by a rule (a name over 300 characters) used to go back to the theme page with a
    notice, and the typed name was gone; now the page says nothing was saved and shows it to copy. A
    refusal with nothing typed still goes back with the notice."""
    app = create_app(data)
    alice = client_for(app, "alice")
    theme = theme_of(data, "T1")
    typed = "Workload and the rota " * 20  # 440 characters
    response = alice.post("/decide/rename", data={"csrf": token(alice.get(f"/themes/{theme.id}").text),
                                                 "theme": theme.id, "version": theme.version, "label": typed})
    assert response.status_code == 400
    assert "1 to 300 characters" in response.text and html.escape(typed.strip()) in response.text
    assert theme_of(data, "T1").label == theme.label
    response = alice.post("/decide/merge", data={"csrf": token(alice.get(f"/themes/{theme.id}").text),
                                                "theme": theme.id, "target": theme.id})  # into itself: refused
    assert response.status_code == 303 and response.headers["location"].endswith(f"/themes/{theme.id}")
