"""In real chromium: a statement taken out, and one marked not significant, are put back from the search
page after another reviewer's decision closed the undo window (web audit, finding 4). The HTTP-level
checks are tests/test_review_reversible.py; this one clicks the search page's own controls."""

from urllib.parse import quote

import pytest
from fixtures.browser import NEEDS_CHROMIUM, chromium, served
from fixtures.review.study import built_study
from qualflow.models import Statement, Store, default_database_url
from qualflow.models.queries import active_assignment, theme_by_code
from qualflow.review import actions
from qualflow.review.accounts import add_reviewer
from qualflow.review.server import create_app
from test_review_reversible import ids

pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM]


def entry(page, statement_id):
    """The search result of this statement (the fixture's transcripts share sentences: not by its text)."""
    return page.locator(f"li.statement:has(a[href*='statement={statement_id}#'])")


def test_search_offers_place_and_significant_again_in_a_real_browser(tmp_path):
    data = built_study(tmp_path)
    store = Store(default_database_url(data))
    with store.session() as session:
        add_reviewer(session, "alice", "correct horse")
    theme_id, members = ids(data, "T1.1")
    taken, dropped = members[0], members[1]
    with store.session() as session:
        texts = {s: session.get(Statement, s).text for s in (taken, dropped)}
    with served(create_app(data)) as base, chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(15_000)
        page.goto(base + "/login")
        page.fill("input[name=name]", "alice")
        page.fill("input[name=password]", "correct horse")
        page.click("button:text('Sign in')")
        page.wait_for_url(base + "/")
        page.goto(f"{base}/themes/{theme_id}")
        page.locator(f"li.statement:has(input[name=statement_id][value='{taken}'])").locator(
            "button:text('Take out')").click()
        page.wait_for_load_state()
        page.locator(f"li.statement:has(input[name=statement_id][value='{dropped}'])").locator(
            "button:text('Not significant')").click()
        page.wait_for_load_state()
        with store.session() as session:  # another reviewer decides meanwhile: undo no longer reaches these
            actions.write_memo(session, "bob", "bob's memo", theme_id=theme_by_code(session, "T2").id)

        page.goto(f"{base}/search?q={quote(texts[taken][:30])}")
        row = entry(page, taken)
        assert "in no theme" in row.inner_text()
        row.get_by_label(f"Place statement {taken} in").select_option(str(theme_id))
        row.get_by_role("button", name="Place in theme").click()
        page.wait_for_load_state()
        assert "/search?q=" in page.url  # back to the same search
        assert f"placed statement {taken} (in no theme) in T1.1" in page.locator("p.flash").first.inner_text()
        assert "T1.1" in entry(page, taken).inner_text()

        page.goto(f"{base}/search?q={quote(texts[dropped][:30])}")
        row = entry(page, dropped)
        assert "marked not significant" in row.inner_text()
        row.get_by_role("button", name="Significant again").click()
        page.wait_for_load_state()
        assert "significant again" in page.locator("p.flash").first.inner_text()
        assert "in no theme" in entry(page, dropped).inner_text()
    with store.session() as session:
        assert active_assignment(session, taken).theme_id == theme_id
        assert session.get(Statement, dropped).significant
    store.dispose()
