"""`qualflow withdraw PARTICIPANT`: a participant withdraws consent (pipeline/withdraw.py).

Shows what would be deleted and deletes nothing unless `--yes` is given: the deletion cannot be
undone. Registered on the main app by importing this module at the end of flows/cli.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from qualflow.flows.cli import (
    DEFAULT_DATA,
    DataOption,
    DbOption,
    _fail,
    _open_store,
    app,
    console,
    count_of,
)


@app.command()
def withdraw(
    participant: Annotated[str, typer.Argument(help="The participant's id in the study (P3, [PERSON_2]), or "
                                               "their name as the key map holds it.")],
    data: DataOption = DEFAULT_DATA,
    db: DbOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Delete. Without it, only show what would be deleted.")] = False,
) -> None:
    """Delete a participant's words from the study, and keep them out of later runs."""
    from qualflow.models import Decision, Theme, Transcript
    from qualflow.pipeline.report import export_names
    from qualflow.pipeline.withdraw import already_withdrawn, plan_withdrawal, study_participant, withdraw
    from qualflow.pipeline.withdraw_memos import QUOTE_REMOVED
    from rich.markup import escape

    # Printed as is: rich would read "[words of a withdrawn participant]" as a style tag and drop it.
    shown_removed = escape(QUOTE_REMOVED)

    store = _open_store(data, db)
    # Not while a run stores files or themes: it would write onto statements being deleted.
    with store.exclusive("ingest"), store.exclusive("cluster"), store.session() as session:
        found = study_participant(session, participant)
        if found is None:
            earlier = already_withdrawn(session, participant)
            if earlier is not None:
                _fail(f"{participant} withdrew on {earlier:%Y-%m-%d}: nothing of theirs is left in this study, "
                      "and later runs leave them out")
            _fail("no participant of that id or name speaks in this study (ids are listed by "
                  "`qualflow export assignments`)")
        plan = plan_withdrawal(session, found)
        name = export_names(session)
        whole = sorted({name(session.get(Transcript, i).source_name) for i in plan.whole})
        partial = sorted({name(session.get(Transcript, i).source_name) for i in plan.partial + plan.emptied})
        console.print(
            f"Participant {found}: {count_of(plan.statements, 'statement')} ({plan.assigned} {_where(session, plan)}); "
            f"{count_of(len(whole), 'file')} that {_verb(len(whole))} theirs alone, deleted whole; "
            f"{count_of(len(partial), 'file')} others speak in too, where only their turns are blanked.", highlight=False)
        for shown in whole:
            console.print(f"  delete   {shown}", highlight=False)
        for shown in partial:
            console.print(f"  blank    {shown}", highlight=False)
        for line in plan.permanent.lines:  # decision numbers and kinds only, never a summary
            console.print(line, highlight=False)
        if plan.quoting_memos:
            quoting = len(plan.quoting_memos)
            console.print(f"{count_of(quoting, 'memo')} ({_memo_places(session, plan.quoting_memos)}) "
                          f"{'quotes' if quoting == 1 else 'quote'} "
                          f"their words: the quoted words are replaced with “{shown_removed}”, the rest kept.",
                          highlight=False)
        if plan.quoting_themes:  # by code only: the names themselves hold their words
            quoting = len(plan.quoting_themes)
            codes = ", ".join(session.get(Theme, i).code for i in plan.quoting_themes)
            console.print(f"{count_of(quoting, 'theme')} ({codes}) {'has' if quoting == 1 else 'have'} a name or "
                          f"description that quotes their words: the quoted words are replaced with "
                          f"“{shown_removed}”, the reviewer's kept.", highlight=False)
        if plan.quoting_decisions:  # by number and kind only, as the decisions made permanent are
            quoting = len(plan.quoting_decisions)
            kinds = ", ".join(f"#{i} ({session.get(Decision, i).action})" for i in plan.quoting_decisions)
            console.print(f"{count_of(quoting, 'logged decision')} ({kinds}) {'quotes' if quoting == 1 else 'quote'} "
                          "their words in a theme's name or description: replaced the same way, in the log too.",
                          highlight=False)
        if plan.quoting_codes:  # an imported codebook is the researcher's file's: named here, not rewritten
            codes = sum(map(len, plan.quoting_codes.values()))
            imports = ", ".join(f"#{i}" for i in plan.quoting_codes)
            # One command per import: each must be removed and imported again with its codes renamed.
            removals = ", ".join(f"`qualflow coding-imports --remove {i}`" for i in plan.quoting_codes)
            console.print(f"{count_of(codes, 'imported code')} (coding import {imports}) {'has' if codes == 1 else 'have'} "
                          "a name or description that quotes their words, kept as imported: exports and comparisons "
                          f"with the imported coding still carry it. Remove the {'import' if len(plan.quoting_codes) == 1 else 'imports'} "
                          f"({removals}) and import the file again with those codes renamed.", highlight=False)
        if not yes:
            console.print("Nothing deleted. Run again with --yes to delete; this cannot be undone.")
            return
        counts = withdraw(session, plan)
    _rewrite_report(store, data, db)
    console.print(
        f"Deleted {counts['statements']} statements, {counts['transcripts']} transcripts, {counts['memos']} memos, "
        f"{counts['manual_codings']} manual codings, {counts['vectors']} cached vectors and "
        f"{counts['key_map_entries']} key-map entries; blanked their turns in {counts['transcripts_edited']} "
        f"transcripts; removed their quoted words from {counts['memos_unquoted']} other memos and from "
        f"{counts['themes_unquoted']} theme names or descriptions; "
        f"{counts['themes_touched']} themes recounted. Later runs leave this participant out. "
        "Theme keywords and suggested names drawn partly from their words change when the study is clustered "
        "again: `qualflow run PATH --recluster`. "
        "Reports and exports written before still hold their words: delete or write them again, and remove "
        "their files from the inbox. A report written before, set beside one written now, shows by difference "
        "this participant's Table 1 characteristics (an age, a role): never publish both.", highlight=False)


def _verb(n: int) -> str:
    return "is" if n == 1 else "are"


def _memo_places(session, memo_ids: list[int]) -> str:
    """Where memos are, as the review pages show it: "on T3.1, on statement 42"."""
    from qualflow.models import Memo, Theme

    memos = [session.get(Memo, i) for i in memo_ids]
    return ", ".join(f"on {session.get(Theme, m.theme_id).code}" if m.theme_id else f"on statement {m.statement_id}"
                     for m in memos)


def _where(session, plan) -> str:
    """Where their statements sit, as the tables count it: "in 7 subcategories of 4 themes". Statements
    are suggested into subcategories (or into a theme that has none), so themes are counted by parent."""
    from qualflow.models import Suggestion, Theme
    from qualflow.pipeline.withdraw import _statements
    from sqlalchemy import select

    placed = session.scalars(select(Theme).join(Suggestion, Suggestion.theme_id == Theme.id).where(
        Suggestion.statement_id.in_(_statements(session, plan)),
        Suggestion.status.in_(("suggested", "confirmed"))).distinct()).all()
    themes = count_of(len({theme.parent_id or theme.id for theme in placed}), "theme")
    subcategories = sum(1 for theme in placed if theme.parent_id)
    if not subcategories:
        return f"in {themes}"
    return f"in {count_of(subcategories, 'subcategory', 'subcategories')} of {themes}"


def _rewrite_report(store, data: Path, db: str | None) -> None:
    """The data folder's report.md is the study's own summary: written again without them."""
    from qualflow.flows.tasks import REPORT_FILE
    from qualflow.pipeline.report import markdown_report

    path = data / REPORT_FILE
    if path.exists():
        with store.session() as session:
            path.write_text(markdown_report(session), encoding="utf-8")
