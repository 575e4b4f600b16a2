"""Quotes, theme names and file names are shown as written in every Markdown qualflow writes:
no image fetched from a host, no HTML, no emphasis or table cell made out of someone's words.
Rendered with markdown-it (CommonMark with tables, as viewers render it)."""
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from qualflow.flows.batch import RunSummary, code_interviews
from qualflow.flows.run_record import run_markdown
from qualflow.models import Statement, Store, Theme, default_database_url
from qualflow.pipeline import publish, report
from qualflow.pipeline.markdown_text import markdown_text
from sqlalchemy import select

RENDER = MarkdownIt("commonmark").enable("table").enable("strikethrough")
WORDS = "*Pay* ![pic](https://tracker.example/p.png) <img src=x> [site](https://a.example) a|b `c` ~~d~~ _e_ 1 & 2"
SHOWN = "*Pay* ![pic](https://tracker.example/p.png) &lt;img src=x&gt; [site](https://a.example) a|b `c` ~~d~~ _e_ 1 &amp; 2"


def rendered_as_text(markdown: str) -> str:
    """The HTML, after checking that it links to nothing and shows no picture (qualflow's own
    Markdown has neither; the words' own markup is checked by finding them as written)."""
    html = RENDER.render(markdown)
    assert "<img" not in html and "<a " not in html, html
    return html


@pytest.mark.parametrize("line_start", ["", "# ", "1. ", "2) ", "- ", "+ ", "> ", "---", "#"])
def test_words_render_as_written_in_a_quote_and_a_table_cell(line_start):
    text = line_start + WORDS
    escaped = markdown_text(text)
    quote = rendered_as_text(f"> {escaped} (P1)")
    assert "<h1>" not in quote and "<ol" not in quote and "<ul" not in quote
    assert f"<p>{SHOWN_WITH(line_start)} (P1)</p>" in quote
    table = rendered_as_text(f"| code | name |\n|---|---|\n| T1 | {escaped} |\n")
    assert f"<td>{SHOWN_WITH(line_start)}</td>" in table


def SHOWN_WITH(line_start: str) -> str:
    return line_start.replace(">", "&gt;") + SHOWN


def test_plain_text_stays_as_it_is():
    for plain in ("care_plan", "39.0 (5.6); range 34–45", "#1 priority", "-5 degrees", "2026-11-26", "P1, P2"):
        assert markdown_text(plain) == plain
    assert markdown_text("line one\nline two") == "line one line two"


def test_the_study_reports_show_a_reviewer_s_name_and_a_quote_as_written(tmp_path, small_study):
    for chinese in small_study.glob("zh_*"):
        chinese.unlink()
    data = tmp_path / "data"
    code_interviews(str(small_study), str(data), "small-study")
    store = Store(default_database_url(data))
    with store.session() as session:
        theme = session.scalars(select(Theme).where(Theme.level == "subcategory").order_by(Theme.id)).first()
        theme.label = WORDS
        session.get(Statement, theme.exemplar_statement_ids[0]).text = "Quote: " + WORDS
    with store.session() as session:
        candidate = report.markdown_report(session)
        study = publish.markdown_report(publish.report_content(session))
    html = rendered_as_text(candidate)
    assert SHOWN in html and "Quote: " + SHOWN in html
    assert SHOWN in rendered_as_text(study)


def test_the_run_record_shows_a_file_name_as_written():
    summary = RunSummary(files_seen=1, failed=[f"{WORDS}.txt: not UTF-8"])
    assert f"{SHOWN}.txt: not UTF-8" in rendered_as_text(run_markdown(summary))
