"""Two leftovers of the web audit, over HTTP (FastAPI's TestClient): search results mark the Chinese runs of mixed
text as theme pages do, and the "someone changed this first" page leads back to the page the reviewer came from,
named as that page. A browser without Fetch metadata: tests/test_review_web17_browser.py."""

import html
import re
from html.parser import HTMLParser

from qualflow.models import Statement, Store, default_database_url
from qualflow.review.server import create_app
from test_review_audit12 import client_for
from test_review_hardening import csrf_of
from test_review_webfix import ATTACK, links, study, theme_id  # noqa: F401 (study: a fixture)

HAN = re.compile(r"[\u4e00-\u9fff]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class LangOfText(HTMLParser):
    """Each text node of a page with the language it is under (the nearest lang attribute), as a browser reads it."""

    def __init__(self):
        super().__init__()
        self.stack, self.texts = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append((tag, dict(attrs).get("lang") or (self.stack[-1][1] if self.stack else "")))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if data.strip():
            self.texts.append((data.strip(), self.stack[-1][1] if self.stack else ""))


def lang_of_texts(page: str) -> list[tuple[str, str]]:
    parser = LangOfText()
    parser.feed(page)
    return parser.texts


def main_of(page: str) -> str:
    return re.search(r"<main>.*</main>", page, re.S).group(0)


def set_text(folder, statement_id: int, text: str) -> None:
    with Store(default_database_url(folder)).session() as session:
        session.get(Statement, statement_id).text = text


def version_of(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


# --- search results: the per-run lang marking of theme pages -----------------------------------------------

def test_search_results_mark_each_chinese_run_and_leave_their_buttons_english(study):
    alice = client_for(create_app(study), "alice")
    theme = theme_id(alice, "T1.1")
    page = alice.get(f"/themes/{theme}").text
    alice.post("/decide/rename", data={"csrf": csrf_of(page), "theme": theme, "version": version_of(page),
                                       "label": "T1.3 room · 有没有 · people"})
    # A code-switched statement (stored as "en", as a mostly English one is), and one taken out: in no theme,
    # its result offers "Place in theme" with every theme in a menu.
    rows = [int(s) for s in re.findall(r'data-statement-id="(\d+)"', alice.get(f"/themes/{theme}").text)]
    set_text(study, rows[0], "We call it 加班, every single week.")
    set_text(study, rows[1], "Night shifts, 夜班太多 and no one to cover.")
    page = alice.get(f"/themes/{theme}").text
    alice.post("/decide/take-out", data={"csrf": csrf_of(page), "theme": theme, "statement_id": rows[1]})

    for query in ({"q": "加班"}, {"q": "Night shifts"}, {"participant": "P5"}):
        found = main_of(alice.get("/search", params=query).text)
        assert "statements.</p>" in found and 'class="statement"' in found, query
        texts = lang_of_texts(found)
        assert [text for text, lang in texts if HAN.search(text) and lang != "zh"] == [], query
        assert {lang for text, lang in texts if text in ("Place in theme", "Significant again")} <= {""}, query
    mixed = alice.get("/search", params={"q": "加班"}).text
    assert '<p lang="en">We call it <span lang="zh">加班</span>, every single week.</p>' in mixed
    assert re.search(r'<p lang="zh">加班已经成了常态。</p>', mixed)  # Chinese, though stored as "en"
    placing = alice.get("/search", params={"q": "Night shifts"}).text
    assert re.search(r'<option value="\d+" lang="zh">T1.1 T1.3 room · 有没有 · people</option>', placing)
    # The theme a result is in, and the transcript it comes from, name their Chinese runs too.
    in_theme = alice.get("/search", params={"q": "加班"}).text
    assert 'T1.1 <span>T1.3 room · <span lang="zh">有没有</span> · people</span></a>' in in_theme
    from_p5 = alice.get("/search", params={"participant": "P5"}).text
    assert 'zh_p5_<span lang="zh">社区医生</span>.txt</a>' in from_p5


# --- the conflict page leads back to where the reviewer came from -------------------------------------------

def test_a_conflict_met_from_search_leads_back_to_the_search(study):
    app = create_app(study)
    alice, bob = client_for(app, "alice"), client_for(app, "bob")
    theme = theme_id(alice, "T1")
    page = alice.get(f"/themes/{theme}").text
    statement = re.findall(r'data-statement-id="(\d+)"', page)[0]
    set_text(study, int(statement), "Nobody else says overstretched.")
    alice.post("/decide/take-out", data={"csrf": csrf_of(page), "theme": theme, "statement_id": statement})
    search = "/search?q=overstretched&page=1"
    found = alice.get(search).text
    place = re.search(rf'action="/decide/place".*?name="statement_id" value="{statement}".*?name="back" value="([^"]*)"'
                      rf'.*?<option value="(\d+)"', found, re.S)
    assert place, found
    # Bob puts it back in a theme meanwhile: Alice's "Place in theme" is a conflict.
    bob_search = bob.get(search).text
    assert bob.post("/decide/place", data={"csrf": csrf_of(bob_search), "statement_id": statement,
                                           "target": place.group(2)}).status_code == 303
    sent = alice.post("/decide/place", data={"csrf": csrf_of(found), "statement_id": statement,
                                             "target": place.group(2), "back": html.unescape(place.group(1))})
    assert sent.status_code == 409 and 'id="conflict"' in sent.text
    assert links(sent.text)["back"] == search
    assert re.search(r'id="back">Back to the search</a>', sent.text) and "Reload the theme" not in sent.text


def test_a_conflict_names_the_page_it_leads_back_to(study):
    app = create_app(study)
    alice, bob = client_for(app, "alice"), client_for(app, "bob")
    theme = theme_id(alice, "T1")
    stale = alice.get(f"/themes/{theme}?participant=P4").text
    bob_page = bob.get(f"/themes/{theme}").text
    bob.post("/decide/accept", data={"csrf": csrf_of(bob_page), "theme": theme, "version": version_of(bob_page)})

    def conflict(back: str) -> tuple[str, str]:
        sent = alice.post("/decide/rename", data={"csrf": csrf_of(stale), "theme": theme, "version": version_of(stale),
                                                  "label": "a new name", "back": back})
        assert sent.status_code == 409 and "a new name" in sent.text  # what was typed, to copy
        return links(sent.text)["back"], re.search(r'id="back">([^<]+)</a>', sent.text).group(1)

    assert conflict(f"/themes/{theme}?participant=P4") == (f"/themes/{theme}?participant=P4", "Reload the theme")
    assert conflict("/") == ("/", "Back to the theme list")
    assert conflict(f"/themes/{theme}/audit") == (f"/themes/{theme}/audit", "Back to the decision history")
    assert conflict("/transcripts/1?statement=3#s3") == ("/transcripts/1?statement=3#s3", "Back to the transcript")
    assert conflict("/search?q=家属") == ("/search?q=%E5%AE%B6%E5%B1%9E", "Back to the search")
    # Never off the site: a `back` that is not a local path leads to the theme list, and says so.
    for elsewhere in (ATTACK, "https://evil.example/themes/1", "//evil.example/search"):
        assert conflict(elsewhere) == ("/", "Back to the theme list")


def test_an_undo_overtaken_on_the_theme_list_leads_back_to_the_theme_list(study):
    app = create_app(study)
    alice, bob = client_for(app, "alice"), client_for(app, "bob")
    theme = theme_id(alice, "T1")
    page = alice.get(f"/themes/{theme}").text
    alice.post("/decide/accept", data={"csrf": csrf_of(page), "theme": theme, "version": version_of(page)})
    listing = alice.get("/").text
    undo_back = html.unescape(re.search(r'name="decision" value="(\d+)">\s*<input type="hidden" name="back" '
                                        r'value="([^"]*)"', listing).group(2))
    offered = re.search(r'name="decision" value="(\d+)"', listing).group(1)
    other = theme_id(bob, "T2")
    bob_page = bob.get(f"/themes/{other}").text
    bob.post("/decide/accept", data={"csrf": csrf_of(bob_page), "theme": other, "version": version_of(bob_page)})
    sent = alice.post("/decide/undo", data={"csrf": csrf_of(listing), "decision": offered, "back": undo_back})
    assert sent.status_code == 409 and "no longer the newest" in sent.text
    assert links(sent.text)["back"] == "/" and 'id="back">Back to the theme list</a>' in sent.text


def test_a_conflict_message_quoting_a_mixed_theme_name_marks_its_chinese_run(study):
    """The message quotes the theme by its name, which may mix scripts: its Chinese run is marked, as on every
    other page, so a screen reader does not read it with English rules."""
    app = create_app(study)
    alice, bob = client_for(app, "alice"), client_for(app, "bob")
    theme = theme_id(alice, "T1")
    stale = alice.get(f"/themes/{theme}").text
    bob_page = bob.get(f"/themes/{theme}").text
    bob.post("/decide/rename", data={"csrf": csrf_of(bob_page), "theme": theme, "version": version_of(bob_page),
                                     "label": "night shifts · 夜班 · cover"})
    sent = alice.post("/decide/accept", data={"csrf": csrf_of(stale), "theme": theme, "version": version_of(stale)})
    assert sent.status_code == 409
    message = re.search(r'<p class="flash error" role="alert" id="conflict">(.*?)</p>', sent.text, re.S).group(1)
    assert "夜班" in message
    texts = lang_of_texts(sent.text)
    assert [text for text, lang in texts if HAN.search(text) and lang != "zh"] == []
