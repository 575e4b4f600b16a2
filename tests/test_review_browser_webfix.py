"""The web audit's findings in a real browser (Playwright driving Debian's chromium): what only a browser
decides. A form another site sends cannot make the app show its text or link off the site; a decision comes
back to the page, filter and statement it was made on; the theme list reflows at 400 and 320 px; Chinese text
is never left under lang="en"; the help panel takes and gives back focus; single-key shortcuts can be turned
off. The same over HTTP: tests/test_review_webfix.py."""

import pytest
from fixtures.browser import NEEDS_CHROMIUM, chromium, served
from qualflow.models import Store, Suggestion, Theme, default_database_url
from test_review_browser_audit12 import theme
from test_review_webfix import ATTACK, PASSWORDS, SPOOF, study  # noqa: F401 (study: a fixture)

ELSEWHERE = "http://chat.elsewhere.test"  # another site: answered by the test itself (page.route), not a network
pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM]


@pytest.fixture
def server(study):
    from qualflow.review.server import create_app

    with served(create_app(study)) as base:
        yield base, Store(default_database_url(study))


@pytest.fixture
def browser():
    with chromium() as browser:
        yield browser


def new_page(browser, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.set_default_timeout(15_000)
    return page


def sign_in(page, base, name="alice"):
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("form.login button")
    page.wait_for_url(f"{base}/")


def status_of(store, statement: int) -> str:
    with store.session() as session:
        return session.query(Suggestion).filter_by(statement_id=statement).order_by(Suggestion.id.desc()).first().status


# --- 1: a form from another site ------------------------------------------------------------------------

def test_a_form_from_another_site_shows_none_of_its_text_and_links_only_to_this_site(server, browser):
    base, store = server
    attacker = (f'<meta name="referrer" content="no-referrer"><form id="f" method="post" action="{base}/decide/memo">'
                f'<input type="hidden" name="theme" value="{theme(store, "T1").id}">'
                f'<input type="hidden" name="text" value="{SPOOF}"><input type="hidden" name="csrf" value="x">'
                f'<textarea name="back">{ATTACK}</textarea></form><script>document.getElementById("f").submit()</script>')
    for signed_in in (True, False):
        context = browser.new_context()
        context.set_default_timeout(15_000)
        context.route(f"{ELSEWHERE}/**", lambda route: route.fulfill(content_type="text/html", body=attacker))
        page = context.new_page()
        if signed_in:
            sign_in(page, base)
        page.goto(f"{ELSEWHERE}/chat")
        page.wait_for_url(f"{base}/decide/memo")
        assert page.inner_text("h1") == "Not saved: the form came from another site"
        assert SPOOF not in page.inner_text("body") and page.locator("textarea[readonly]").count() == 0
        assert page.locator("a#back").evaluate("a => a.href") == f"{base}/"
        context.close()


def memo_sent_after_signing_in_again(context, base, store, typed: str):
    """A memo typed on T1's page in one tab, sent after another tab signed out and in again (a new session
    and token): the tab that sent the now stale form."""
    tab1 = context.new_page()
    sign_in(tab1, base)
    tab1.goto(f"{base}/themes/{theme(store, 'T1').id}?page=2")
    tab1.locator("summary", has_text="Memo on this theme").click()
    tab1.fill("#theme-memo", typed)
    tab2 = context.new_page()
    tab2.goto(f"{base}/")
    tab2.click("text=Sign out")
    tab2.wait_for_url(f"{base}/login")
    sign_in(tab2, base)
    tab1.click("#save-memo")
    tab1.wait_for_load_state()
    return tab1


def test_the_reviewers_own_stale_form_still_shows_what_they_typed(server, browser):
    base, store = server
    context = browser.new_context()
    context.set_default_timeout(15_000)
    tab1 = memo_sent_after_signing_in_again(context, base, store, "typed before signing in again")
    assert tab1.inner_text("h1") == "Not saved: the form had expired"
    assert tab1.locator("textarea[readonly]").input_value() == "typed before signing in again"
    assert tab1.locator("a#back").evaluate("a => a.href") == f"{base}/themes/{theme(store, 'T1').id}?page=2"


# --- 3: back to the page, filter and statement ----------------------------------------------------------

def test_a_decision_comes_back_to_the_same_page_filter_and_statement(server, browser):
    base, store = server
    page = new_page(browser)
    sign_in(page, base)
    address = f"{base}/themes/{theme(store, 'T1').id}?participant=P4&page=2"
    page.goto(address)
    assert "page 2 of 2" in page.inner_text("nav.pager")
    rows = page.locator("li.statement").evaluate_all("rows => rows.map(r => r.dataset.statementId)")
    for _ in range(3):
        page.keyboard.press("j")
    page.keyboard.press("x")  # takes out the third statement of page 2
    page.wait_for_url(f"{address}#s{rows[3]}")
    assert status_of(store, int(rows[2])) == "rejected"
    assert "page 2 of 2" in page.inner_text("nav.pager")
    assert all(" P4 · " in f" {text}" for text in page.locator("p.where").all_inner_texts())  # still filtered
    # The neighbour is selected and focused, so j/k, c and x go on from there; the page is not at its top.
    assert page.evaluate("document.activeElement.dataset.statementId") == rows[3]
    assert page.locator("li.statement.selected").get_attribute("data-statement-id") == rows[3]
    assert page.evaluate("window.scrollY") > 0
    with page.expect_navigation():
        page.keyboard.press("c")  # confirmed, it moves up among the confirmed (page 1): on to the next one
    assert page.url == f"{address}#s{rows[4]}"
    assert status_of(store, int(rows[3])) == "confirmed"
    assert page.evaluate("document.activeElement.dataset.statementId") == rows[4]


# --- 7: reflow ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("width", [320, 400, 640, 800])
def test_the_theme_list_and_theme_page_fit_a_narrow_window(server, browser, width):
    base, store = server
    with store.session() as session:  # names that wrap: long words, and Chinese
        session.get(Theme, theme(store, "T1.1").id).label = "nurses and porters in the waiting room overnight"
        session.get(Theme, theme(store, "T2").id).label = "家属的担忧与照护负担家属的担忧与照护负担家属的担忧"
    page = new_page(browser, width)
    sign_in(page, base)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.locator("img[src='/saturation.png']").evaluate("img => img.getBoundingClientRect().right") <= width
    participants = page.locator("td[data-column=participants]").first.evaluate("td => td.getBoundingClientRect().right")
    assert 0 < participants <= width
    # Every word of a name on one line: no "peopl/e".
    split_words = page.locator("td.label a").evaluate_all("""links => links.flatMap(a => {
        const text = a.firstChild; const out = [];
        if (!text || text.nodeType !== 3) return out;
        for (const m of text.data.matchAll(/[A-Za-z]+/g)) {
          const r = document.createRange(); r.setStart(text, m.index); r.setEnd(text, m.index + m[0].length);
          if (r.getClientRects().length > 1) out.push(m[0]);
        }
        return out; })""")
    assert split_words == []
    page.goto(f"{base}/themes/{theme(store, 'T1').id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    rights = page.locator(".row-actions select").evaluate_all("s => s.map(e => e.getBoundingClientRect().right)")
    assert rights and max(rights) <= width
    # The study report every page links to (a browser audit found it 1,630 px wide at 320).
    page.goto(f"{base}/report")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


# --- 8: lang ---------------------------------------------------------------------------------------------

def test_no_chinese_text_is_left_under_lang_en(server, browser):
    base, store = server
    with store.session() as session:  # a generated label mixing the two, as a bilingual study's are
        session.get(Theme, theme(store, "T1.1").id).label = "T1.3 room · 有没有 · people"
    page = new_page(browser)
    sign_in(page, base)
    with store.session() as session:
        from qualflow.models import Transcript
        chinese_file = session.query(Transcript).filter_by(source_name="zh_p5_社区医生.txt").one().id
    for address in ("/", f"/themes/{theme(store, 'T1').id}", f"/themes/{theme(store, 'T2.1').id}",
                    f"/transcripts/{chinese_file}", "/?participant=P5"):
        page.goto(base + address)
        english = page.evaluate("""() => {
            const out = []; const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walk.nextNode()) {
              const node = walk.currentNode;
              if (/[\\u4e00-\\u9fff]/.test(node.data) && node.parentElement.closest('[lang]').lang !== 'zh')
                out.push(node.parentElement.tagName + ': ' + node.data.trim().slice(0, 40));
            }
            return out; }""")
        assert english == [], (address, english[:5])


# --- 9: the help panel, shortcuts that can be turned off, and `a` ----------------------------------------

def test_the_help_panel_takes_focus_closes_with_escape_and_gives_focus_back(server, browser):
    base, store = server
    page = new_page(browser)
    sign_in(page, base)
    page.goto(f"{base}/themes/{theme(store, 'T1').id}")
    toggle = page.locator("button[data-help]")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.focus()
    page.keyboard.press("Enter")
    assert page.locator("#help").is_visible() and toggle.get_attribute("aria-expanded") == "true"
    assert page.evaluate("document.activeElement.id") == "help"
    page.keyboard.press("Escape")
    assert page.locator("#help").is_hidden() and toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.dataset.help") == ""  # the toggle again
    page.keyboard.press("?")  # the key too, and Escape from inside the panel
    assert page.locator("#help").is_visible() and page.evaluate("document.activeElement.id") == "help"
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    assert page.locator("#help").is_hidden()


def test_single_key_shortcuts_can_be_turned_off_and_a_accepts_as_the_button_does(server, browser):
    base, store = server
    page = new_page(browser)
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    sign_in(page, base)
    t1, t2 = theme(store, "T1"), theme(store, "T2")
    page.goto(f"{base}/themes/{t1.id}")
    page.click("button[data-help]")
    page.uncheck("#shortcuts-on")
    page.keyboard.press("Escape")
    page.reload()
    for key in ("a", "j", "x", "r"):
        page.keyboard.press(key)
    page.wait_for_timeout(500)  # a shortcut would have sent its form by now
    assert theme(store, "T1").status == "candidate" and page.url == f"{base}/themes/{t1.id}"
    assert page.locator("li.statement.selected").count() == 0 and questions == []
    assert page.evaluate("localStorage.getItem('qualflow.shortcuts')") == "off"
    page.click("button[data-help]")
    page.check("#shortcuts-on")
    page.keyboard.press("Escape")
    # `a` asks nothing, as the Accept button asks nothing (an accept is undone by Undo); `r` asks, as its button does.
    with page.expect_navigation():
        page.keyboard.press("a")
    assert theme(store, "T1").status == "confirmed" and questions == []
    page.goto(f"{base}/themes/{t2.id}")
    with page.expect_navigation():
        page.click("#accept")
    assert theme(store, "T2").status == "confirmed" and questions == []
    page.keyboard.press("r")
    page.wait_for_timeout(300)
    assert len(questions) == 1 and questions[0].startswith("Reject T2?") and theme(store, "T2").status == "confirmed"
