"""Audit 12 in a real browser (Playwright driving Debian's chromium): what only a browser decides.

- D1: following a link to the app from another site keeps the reviewer signed in (the cookie's
  SameSite), so a memo typed in another tab is still saved.
- D3: merging asks first, naming both themes (review.js fills in the theme chosen in the menu).
- D8: a 300-character unbroken name does not make the pages wider than the window.
"""


import pytest
from fixtures.browser import NEEDS_CHROMIUM, chromium, served
from fixtures.review.study import built_study
from qualflow.models import Memo, Store, Theme, default_database_url
from qualflow.models.queries import theme_by_code
from qualflow.review.accounts import add_reviewer

PASSWORD = "correct horse battery"
ELSEWHERE = "http://chat.elsewhere.test"  # another site: answered by the test itself (page.route), not a network
WIDTH = 1280
pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM]


@pytest.fixture
def server(tmp_path):
    """The review fixture study served on a free 127.0.0.1 port, with sign-in."""
    from qualflow.review.server import create_app

    built_study(tmp_path)
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        add_reviewer(session, "alice", PASSWORD)
    with served(create_app(tmp_path)) as base:
        yield base, store
    store.dispose()


@pytest.fixture
def browser():
    with chromium() as browser:
        yield browser


def sign_in(page, base):
    page.goto(f"{base}/login")
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button")
    page.wait_for_url(f"{base}/")


def theme(store, code) -> Theme:
    with store.session() as session:
        found = theme_by_code(session, code)
        session.expunge(found)
        return found


def test_a_link_from_another_site_keeps_the_reviewer_signed_in_and_the_typed_memo_is_saved(server, browser):
    base, store = server
    context = browser.new_context()
    context.set_default_timeout(15_000)
    tab1 = context.new_page()
    sign_in(tab1, base)
    tab1.goto(f"{base}/themes/{theme(store, 'T1.1').id}")
    tab1.locator("summary", has_text="Memo on this theme").click()
    tab1.fill("#theme-memo", "A long memo typed in tab 1")
    # Tab 2: the reviewer follows a link to the app posted in a chat on another site.
    tab2 = context.new_page()
    tab2.route(f"{ELSEWHERE}/**", lambda route: route.fulfill(
        content_type="text/html", body=f'<a id="link" href="{base}/themes/T2">the theme we discussed</a>'))
    tab2.goto(f"{ELSEWHERE}/chat")
    tab2.click("#link")
    tab2.wait_for_load_state()
    assert tab2.url == f"{base}/themes/{theme(store, 'T2').id}", tab2.url  # not the sign-in page
    # Tab 1 is still signed in: the memo is saved.
    tab1.click("#save-memo")
    tab1.wait_for_load_state()
    assert "Saved: wrote a memo on T1.1" in tab1.locator(".flash").inner_text()
    with store.session() as session:
        assert [m.text for m in session.query(Memo)] == ["A long memo typed in tab 1"]


def test_merging_asks_first_naming_both_themes_and_long_names_wrap(server, browser):
    base, store = server
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    page.set_default_timeout(15_000)
    sign_in(page, base)
    source, target = theme(store, "T1.2"), theme(store, "T1.1")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.goto(f"{base}/themes/{source.id}")
    page.locator("summary", has_text="Merge into another theme").click()
    page.select_option("#merge-target", str(target.id))
    page.once("dialog", lambda dialog: answer(dialog, False))
    page.click("#merge")
    page.wait_for_timeout(300)  # a dismissed dialog sends nothing: give a wrong submit the time to land
    assert questions and questions[0].startswith("Merge T1.2 “overtime” into T1.1 workload?"), questions
    assert theme(store, "T1.2").status == "candidate"
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.click("#merge")
    page.wait_for_url(f"{base}/themes/{target.id}")
    assert theme(store, "T1.2").status == "merged"

    # D8: the longest name allowed, one unbroken word, on the theme page and in the list.
    page.locator("summary", has_text="Rename").click()
    page.fill("#rename-label", "L" * 300)
    page.click("#rename")
    page.wait_for_load_state()
    assert theme(store, "T1.1").label == "L" * 300
    for address in (f"{base}/themes/{target.id}", f"{base}/themes/{theme(store, 'T2.1').id}", f"{base}/"):
        page.goto(address)
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, address
