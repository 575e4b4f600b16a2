"""A reviewer in a real browser (Playwright driving Debian's chromium), then a real Prefect run.

The reviewer signs in, accepts themes (a button and the `a` shortcut), renames one, merges two,
moves a statement and writes a memo. Then the batch flow codes a follow-up interview, and every
decision must have survived, with new statements suggested under the confirmed themes.
"""

import shutil
from pathlib import Path

import pytest
from fixtures.browser import NEEDS_CHROMIUM, chromium, served
from qualflow.models import (
    Memo,
    Statement,
    Store,
    Suggestion,
    Theme,
    Transcript,
    default_database_url,
)
from qualflow.models.queries import (
    active_assignment,
    current_themes,
    subcategories_of,
)
from qualflow.review.accounts import add_reviewer
from sqlalchemy import select

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FOLLOW_UP = "en_p1_follow_up.txt"
pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM]



@pytest.fixture
def server(tmp_path):
    """A coded study and the review app serving it on a free 127.0.0.1 port."""
    from qualflow.flows.batch import code_interviews
    from qualflow.review.server import create_app

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "zh_p5_社区医生.txt", "zh_p6_精防专干.txt"):
        shutil.copy(EXAMPLES / name, inbox / name)
    assert code_interviews(str(inbox), str(data), "small-study").themes >= 2
    store = Store(default_database_url(data))
    with store.session() as session:
        add_reviewer(session, "alice", "correct horse battery")
    with served(create_app(data)) as base:
        yield base, inbox, data, store
    store.dispose()


@pytest.fixture
def page():
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page


def plan(store: Store) -> dict:
    """Which themes the reviewer will act on, chosen from what the run found."""
    with store.session() as session:
        tops = [t for t in current_themes(session) if t.level == "theme"]
        assert len(tops) >= 3, [t.code for t in tops]
        subs = [s for top in tops[2:] for s in subcategories_of(session, top)]
        if len(subs) < 3:
            subs = [s for top in tops[1:] for s in subcategories_of(session, top)]
        assert len(subs) >= 3
        mover = session.scalar(select(Suggestion).where(Suggestion.theme_id == subs[2].id))
        return {"accept": tops[0].id, "accept_by_key": tops[1].id, "rename": subs[0].id,
                "merge_source": subs[1].id, "merge_target": subs[2].id, "move_statement": mover.statement_id,
                "move_target": subcategories_of(session, tops[0])[0].id}


def test_review_in_the_browser_then_a_new_run_keeps_every_decision(server, page):
    from qualflow.flows.batch import code_interviews

    url, inbox, data, store = server
    chosen = plan(store)

    page.goto(url + "/")
    assert "/login" in page.url
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    assert page.locator("table.themes tr.theme").count() >= 3

    # Accept with the button, then another theme with the keyboard shortcut.
    page.click(f"tr[data-theme-id='{chosen['accept']}'] td.label a")
    page.click("#accept")
    page.wait_for_selector("text=Saved: accepted")
    page.goto(f"{url}/themes/{chosen['accept_by_key']}")
    page.keyboard.press("a")
    page.wait_for_selector("text=Saved: accepted")
    assert page.locator("h1 .badge").inner_text() == "confirmed"

    # Rename (the `e` shortcut opens the form and focuses the name).
    page.goto(f"{url}/themes/{chosen['rename']}")
    page.keyboard.press("e")
    page.fill("#rename-label", "Trust between families and workers 家属的信任")
    page.click("#rename")
    page.wait_for_selector("text=Saved: renamed")
    assert page.locator("#theme-label").inner_text() == "Trust between families and workers 家属的信任"

    # Merge two subcategories.
    page.goto(f"{url}/themes/{chosen['merge_source']}")
    page.click("text=Merge into another theme")
    page.select_option("#merge-target", str(chosen["merge_target"]))
    page.once("dialog", lambda dialog: dialog.accept())  # merging asks first (audit 12, D3)
    page.click("#merge")
    page.wait_for_selector("text=Saved: merged")

    # Move a statement into the accepted theme's first subcategory.
    row = page.locator(f"li[data-statement-id='{chosen['move_statement']}']")
    row.locator("select[name=target]").select_option(str(chosen["move_target"]))
    row.locator("form.move button").click()
    page.wait_for_selector("text=Saved: moved statement")

    # A memo on the accepted theme.
    page.goto(f"{url}/themes/{chosen['accept']}")
    page.click("text=Memo on this theme")
    page.fill("#theme-memo", "Central theme: check against P2's account. 核心主题")
    page.click("#save-memo")
    page.wait_for_selector("text=Saved: wrote a memo")
    page.click("text=Memo on this theme")
    assert page.locator("blockquote.memo").first.inner_text().startswith("Central theme")

    with store.session() as session:
        before = {i: (session.get(Theme, i).code, session.get(Theme, i).label)
                  for i in (chosen["accept"], chosen["accept_by_key"])}
        confirmed_members = {s for s, in session.execute(select(Suggestion.statement_id).where(
            Suggestion.theme_id.in_([chosen["accept"]] + [c.id for c in subcategories_of(session, session.get(
                Theme, chosen["accept"]))]), Suggestion.status != "rejected"))}

    # A follow-up interview arrives, in which the participant comes back to points of the accepted theme
    # (so where its statements belong does not hang on how UMAP lays out a new topic); the real flow codes it.
    with store.session() as session:
        points = session.scalars(select(Statement.text).join(Suggestion, Suggestion.statement_id == Statement.id)
                                 .where(Suggestion.theme_id.in_([chosen["accept"]] + [c.id for c in subcategories_of(
                                     session, session.get(Theme, chosen["accept"]))]), Statement.language == "en",
                                        Suggestion.status == "suggested").order_by(Statement.id).limit(4)).all()
    assert len(points) == 4
    (inbox / FOLLOW_UP).write_text("".join(f"Interviewer: Can you say more about that?\n\nP1: {text}\n\n"
                                           for text in points), "utf-8")
    summary = code_interviews(str(inbox), str(data), "small-study")
    assert summary.transcripts_added == 1 and (summary.reclustered or summary.placed)

    with store.session() as session:
        for theme_id in (chosen["accept"], chosen["accept_by_key"]):
            theme = session.get(Theme, theme_id)
            assert theme.status == "confirmed" and (theme.code, theme.label) == before[theme_id]
            assert theme in current_themes(session)
        assert session.get(Theme, chosen["rename"]).label == "Trust between families and workers 家属的信任"
        merged = session.get(Theme, chosen["merge_source"])
        assert merged.status == "merged" and merged.merged_into_id == chosen["merge_target"]
        assert merged not in current_themes(session)
        moved = active_assignment(session, chosen["move_statement"])
        assert moved.theme_id == chosen["move_target"] and moved.status == "confirmed"
        assert session.scalar(select(Memo).where(Memo.theme_id == chosen["accept"])).withdrawn is False
        accepted = [chosen["accept"], chosen["accept_by_key"]]
        family = accepted + [c.id for i in accepted for c in subcategories_of(session, session.get(Theme, i))]
        members_now = {s for s, in session.execute(select(Suggestion.statement_id).where(
            Suggestion.theme_id.in_(family), Suggestion.status != "rejected"))}
        assert confirmed_members <= members_now  # confirmed members never move
        new_transcript = session.scalar(select(Transcript).where(Transcript.source_name == FOLLOW_UP))
        new_in_confirmed = session.execute(
            select(Suggestion.statement_id, Suggestion.theme_id).join(Statement, Statement.id == Suggestion.statement_id)
            .where(Statement.transcript_id == new_transcript.id, Suggestion.theme_id.in_(family),
                   Suggestion.status == "suggested")).all()
        assert new_in_confirmed, "no statement of the new interview was suggested under a confirmed theme"
        shown_theme = session.get(Theme, new_in_confirmed[0][1])
        parent_id = shown_theme.parent_id if shown_theme.level == "subcategory" else shown_theme.id

    # The reviewer sees them too, as suggestions under the confirmed theme.
    page.goto(f"{url}/themes/{parent_id}?transcript={new_transcript.id}")
    assert page.locator("li.statement.suggested").count() >= 1
    assert FOLLOW_UP in page.locator("li.statement.suggested").first.inner_text()
    assert page.locator("h1 .badge").inner_text() == "confirmed"
