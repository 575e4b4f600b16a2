"""`qualflow review …` and `qualflow audit THEME`: scripted review, accounts, and the web app.

Each command is one reviewer action from qualflow.review.actions, attributed to `--as NAME`
(default: $QUALFLOW_REVIEWER or your login name) and appended to the decision log.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from qualflow.flows.cli import (
    DEFAULT_DATA,
    DataOption,
    _fail,
    _open_store,
    _read_only_database,
    add_plain_row,
    app,
    console,
)
from rich.markup import escape
from rich.table import Table

review_app = typer.Typer(help="Review suggested themes: every action is logged and respected by later runs.",
                         no_args_is_help=True)
ReviewerOption = Annotated[str | None, typer.Option("--as", help="Reviewer name for the log "
                                                    "(default: $QUALFLOW_REVIEWER or your login name).")]
ThemeArgument = Annotated[str, typer.Argument(help="A theme code (T2, T2.3, Q1-T2) from `qualflow themes`.")]


def _reviewer(name: str | None) -> str:
    return name or os.environ.get("QUALFLOW_REVIEWER") or getpass.getuser()


@contextmanager
def _deciding(data: Path):
    """A session whose ReviewErrors and database failures print as one line (exit 2); the decision
    is echoed on success."""
    from qualflow.models.store import driver_error, is_lock_error, is_read_only_database
    from qualflow.review.actions import ReviewError
    from sqlalchemy.exc import OperationalError

    store = _open_store(data)
    try:
        with store.session() as session:
            yield session
    except ReviewError as error:
        _fail(str(error))
    except OverflowError:  # an id past the database's 64-bit range names no row
        _fail("no such statement or theme: the number is too large to be an id")
    except OperationalError as error:
        # SQLAlchemy's text is not shown: it quotes the SQL, and a memo's words must not be echoed.
        # SQLite waits for a lock (the sqlite3 module's 5 s timeout) before giving up with one.
        if is_lock_error(error):
            _fail("the study is busy (a run is writing to it); nothing was saved, try again in a moment")
        if is_read_only_database(error):
            _read_only_database(store.url, error)
        # Not a lock: waiting will not help, so say what failed (the driver's own first line names no values).
        kind, reason = driver_error(error)
        _fail(f"the study database failed ({kind}: {reason}); nothing was saved")


def _theme_code(code: str) -> str:
    code = code.strip().upper()
    code = code if code.startswith(("T", "Q")) else "T" + code
    if not re.fullmatch(r"(?:Q\d+-)?T\d+(?:\.\d+)?", code):
        _fail(f"'{code}' is not a theme code like T2 or T2.3 (see `qualflow themes`)")
    return code


def _theme_id(session, code: str) -> int:
    """The current theme of this code. A former code is not followed: a decision must name the
    theme as it is now (the message says which that is)."""
    from qualflow.models.former_codes import no_such_theme_message
    from qualflow.models.queries import theme_by_code

    code = _theme_code(code)
    theme = theme_by_code(session, code)
    if theme is None:
        _fail(no_such_theme_message(session, code))  # a former code: says what it became
    return theme.id


def _audited_theme(session, code: str) -> tuple[int, list[str]]:
    """`audit` only reads, so a code a theme had before opens the theme it is now, saying so; with
    notes on where a merged theme went and on other themes that held the code before."""
    from qualflow.models.former_codes import continued_by, former_holders, merged_line, no_such_theme_message
    from qualflow.models.queries import theme_by_code

    code = _theme_code(code)
    theme = theme_by_code(session, code)
    if theme is None:
        now, lines = continued_by(session, code)
        if now is None:
            _fail(no_such_theme_message(session, code))
        return now.id, lines
    notes = [f"{code} was also another theme's code before: {h.line}"
             for h in former_holders(session, code, excluding=theme.id)]
    return theme.id, [line for line in [merged_line(session, theme), *notes] if line]


def _done(decision) -> None:
    console.print(f"decision #{decision.id} by {escape(decision.reviewer)}: {escape(decision.summary)}",
                  highlight=False)


@review_app.command()
def accept(theme: ThemeArgument, data: DataOption = DEFAULT_DATA, reviewer: ReviewerOption = None) -> None:
    """Confirm a theme: later runs keep its id, name and members and suggest new statements into it."""
    from qualflow.review import actions

    with _deciding(data) as session:
        _done(actions.accept(session, _reviewer(reviewer), _theme_id(session, theme)))


@review_app.command()
def reject(theme: ThemeArgument, data: DataOption = DEFAULT_DATA, reviewer: ReviewerOption = None) -> None:
    """Reject a theme (and its subcategories); its statements go elsewhere in the next run."""
    from qualflow.review import actions

    with _deciding(data) as session:
        _done(actions.reject(session, _reviewer(reviewer), _theme_id(session, theme)))


@review_app.command()
def rename(theme: ThemeArgument, label: Annotated[str, typer.Argument(help="The new name.")],
           description: Annotated[str | None, typer.Option("--description", help="A description.")] = None,
           data: DataOption = DEFAULT_DATA, reviewer: ReviewerOption = None) -> None:
    """Rename a theme (and optionally describe it); later runs keep the name."""
    from qualflow.review import actions

    with _deciding(data) as session:
        _done(actions.rename(session, _reviewer(reviewer), _theme_id(session, theme), label, description))


@review_app.command()
def merge(themes: Annotated[list[str], typer.Argument(help="Themes to merge (same level).")],
          into: Annotated[str, typer.Option("--into", help="The theme they merge into.")],
          data: DataOption = DEFAULT_DATA, reviewer: ReviewerOption = None) -> None:
    """Merge themes into another; they stay merged in later runs."""
    from qualflow.review import actions

    with _deciding(data) as session:
        _done(actions.merge(session, _reviewer(reviewer), [_theme_id(session, t) for t in themes],
                            _theme_id(session, into)))


SPLIT_PREVIEW_STATEMENTS = 2  # statements shown per suggested group
PREVIEW_CHARACTERS = 60


def _preview(text: str) -> str:
    """The start of a statement on one line: whole words where the text has spaces (Chinese has none)."""
    text = " ".join(text.split())
    if len(text) <= PREVIEW_CHARACTERS:
        return text
    cut = text[:PREVIEW_CHARACTERS]
    if " " in cut[PREVIEW_CHARACTERS // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:.，。、") + "…"


@review_app.command()
def split(theme: ThemeArgument,
          statements: Annotated[str | None, typer.Option("--statements", help="Statement ids to move out: 12,15,40.")] = None,
          label: Annotated[str | None, typer.Option("--label", help="The new theme's name.")] = None,
          suggest: Annotated[bool, typer.Option("--suggest", help="Only print a two-way sub-clustering.")] = False,
          data: DataOption = DEFAULT_DATA, reviewer: ReviewerOption = None) -> None:
    """Split statements off into a new theme, or (--suggest) print a suggested split."""
    from qualflow.models import Statement
    from qualflow.review import actions
    from qualflow.review.split_suggestion import suggest_split

    with _deciding(data) as session:
        theme_id = _theme_id(session, theme)
        if suggest:
            for n, group in enumerate(suggest_split(session, theme_id), start=1):
                console.print(f"group {n} ({len(group)}): {','.join(map(str, group))}", highlight=False)
                # A glimpse of what the group is about: ids alone do not say which statements go together.
                for statement_id in group[:SPLIT_PREVIEW_STATEMENTS]:
                    text = session.get(Statement, statement_id).text
                    console.print(f"  {statement_id}: “{_preview(text)}”", highlight=False, markup=False)
            return
        if not statements or not label:
            _fail("give --statements ID,ID… and --label NAME (or --suggest)")
        ids = [int(i) for i in re.findall(r"\d+", statements)]
        _done(actions.split(session, _reviewer(reviewer), theme_id, ids, label))


@review_app.command()
def move(statement: Annotated[int, typer.Argument(help="Statement id (see `qualflow show`).")],
         theme: ThemeArgument, data: DataOption = DEFAULT_DATA, reviewer: ReviewerOption = None) -> None:
    """Move a statement into another theme, or place one that is in no theme (confirmed there)."""
    from qualflow.review import actions

    with _deciding(data) as session:
        _done(actions.move(session, _reviewer(reviewer), statement, _theme_id(session, theme)))


@review_app.command()
def confirm(statement: Annotated[int, typer.Argument(help="Statement id.")], data: DataOption = DEFAULT_DATA,
            reviewer: ReviewerOption = None) -> None:
    """Confirm a statement's suggested theme."""
    from qualflow.review import actions

    with _deciding(data) as session:
        _done(actions.confirm_assignment(session, _reviewer(reviewer), statement))


@review_app.command("take-out")
def take_out(statement: Annotated[int, typer.Argument(help="Statement id.")], data: DataOption = DEFAULT_DATA,
             reviewer: ReviewerOption = None) -> None:
    """Reject a statement's assignment: it is never suggested into that theme again."""
    from qualflow.review import actions

    with _deciding(data) as session:
        _done(actions.reject_assignment(session, _reviewer(reviewer), statement))


@review_app.command("not-significant")
def not_significant(statement: Annotated[int, typer.Argument(help="Statement id.")], data: DataOption = DEFAULT_DATA,
                    reviewer: ReviewerOption = None) -> None:
    """Mark a statement as not significant: it leaves every theme and is not clustered again."""
    from qualflow.review import actions

    with _deciding(data) as session:
        _done(actions.mark_not_significant(session, _reviewer(reviewer), statement))


@review_app.command()
def significant(statement: Annotated[int, typer.Argument(help="Statement id.")], data: DataOption = DEFAULT_DATA,
                reviewer: ReviewerOption = None) -> None:
    """Take back "not significant": the statement is clustered again (in no theme until placed)."""
    from qualflow.review import actions

    with _deciding(data) as session:
        _done(actions.mark_significant(session, _reviewer(reviewer), statement))


@review_app.command()
def parent(theme: ThemeArgument,
           under: Annotated[str | None, typer.Argument(help="The parent theme; leave out for top level.")] = None,
           data: DataOption = DEFAULT_DATA, reviewer: ReviewerOption = None) -> None:
    """Put a theme under a parent theme, or (no parent) make it a top-level theme."""
    from qualflow.review import actions

    with _deciding(data) as session:
        _done(actions.set_parent(session, _reviewer(reviewer), _theme_id(session, theme),
                                 _theme_id(session, under) if under else None))


@review_app.command()
def memo(text: Annotated[str, typer.Argument(help="The memo.")],
         theme: Annotated[str | None, typer.Option("--theme", help="A theme code.")] = None,
         statement: Annotated[int | None, typer.Option("--statement", help="A statement id.")] = None,
         data: DataOption = DEFAULT_DATA, reviewer: ReviewerOption = None) -> None:
    """Write a memo on a theme or a statement."""
    from qualflow.review import actions

    if theme and statement is not None:
        _fail("a memo goes on one theme or one statement, not both: give --theme or --statement")
    with _deciding(data) as session:
        _done(actions.write_memo(session, _reviewer(reviewer), text,
                                 theme_id=_theme_id(session, theme) if theme else None, statement_id=statement))


@review_app.command()
def undo(data: DataOption = DEFAULT_DATA, reviewer: ReviewerOption = None,
         decision: Annotated[int | None, typer.Option(
             "--decision", help="Undo only this decision, and only while it is still the newest "
                                "(as the web app's Undo button does); without it, the newest.")] = None) -> None:
    """Undo the last decision (itself logged as a decision)."""
    from qualflow.review.undo import undo as undo_last

    with _deciding(data) as session:
        _done(undo_last(session, _reviewer(reviewer), decision))


@review_app.command("add-reviewer")
def add_reviewer(name: Annotated[str, typer.Argument(help="The reviewer's sign-in name.")],
                 password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                              help="Read the password from standard input.")] = False,
                 data: DataOption = DEFAULT_DATA) -> None:
    """Add a reviewer account for the web app (the password is stored as an argon2 hash)."""
    from qualflow.review.accounts import add_reviewer as add

    password = _new_password(password_stdin)
    with _deciding(data) as session:
        add(session, name, password)
    console.print(f"reviewer {name} added", highlight=False)


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@review_app.command("set-password")
def set_password(name: Annotated[str, typer.Argument(help="The reviewer's sign-in name.")],
                 password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                              help="Read the password from standard input.")] = False,
                 restore: Annotated[bool, typer.Option("--restore", help="Let a removed reviewer sign in again.")]
                 = False,
                 data: DataOption = DEFAULT_DATA) -> None:
    """Give a reviewer a new password; their open sessions in the web app end."""
    from qualflow.review.accounts import set_password as change
    from qualflow.review.accounts import settable

    with _deciding(data) as session:  # an unknown or removed name: said before the password is typed
        settable(session, name, restore)
    password = _new_password(password_stdin)
    with _deciding(data) as session:
        change(session, name, password, restore=restore)
    console.print(f"reviewer {name.strip()}: new password set; their open sessions are ended", highlight=False)


@review_app.command("remove-reviewer")
def remove_reviewer(name: Annotated[str, typer.Argument(help="The reviewer's sign-in name.")],
                    data: DataOption = DEFAULT_DATA) -> None:
    """Stop a reviewer signing in (their open sessions end); their decisions stay in the log."""
    from qualflow.review.accounts import remove_reviewer as remove

    with _deciding(data) as session:
        remove(session, name)
    console.print(f"reviewer {name.strip()} removed: they can no longer sign in, and their decisions stay in the "
                  "log under their name", highlight=False)


@review_app.command("list-reviewers")
def list_reviewers(data: DataOption = DEFAULT_DATA) -> None:
    """The reviewer accounts, and which were removed."""
    from qualflow.review.accounts import reviewers

    with _open_store(data).session() as session:
        accounts = reviewers(session)
    if not accounts:
        console.print("no reviewer accounts yet: add one with `qualflow review add-reviewer NAME`", highlight=False)
    for name, active in accounts:
        console.print(name if active else f"{name} (removed)", highlight=False, markup=False)


@review_app.command()
def serve(data: DataOption = DEFAULT_DATA,
          host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port")] = 8765,
          no_login: Annotated[bool, typer.Option("--no-login", help="No sign-in (only on 127.0.0.1); decisions "
                                                 "are attributed to your login name.")] = False,
          tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="Serve HTTPS with this certificate "
                                                        "(PEM); needs --tls-key.")] = None,
          tls_key: Annotated[Path | None, typer.Option("--tls-key", help="The certificate's private key (PEM, "
                                                       "without a passphrase).")] = None) -> None:
    """Start the review web app (http://127.0.0.1:8765 by default)."""
    from qualflow.review.actions import ReviewError
    from qualflow.review.server import UnsafeBind, check_bind, check_tls, clear_text_warning
    from qualflow.review.server import serve as run_server

    store = _open_store(data)
    try:
        read_only, where = store.cannot_write(), store.location()
    finally:
        store.dispose()
    try:
        check_bind(host, not no_login)
        check_tls(tls_cert, tls_key)

        def announce() -> None:  # once the app is built: a refusal (no reviewer accounts) comes alone
            scheme = "https" if tls_cert else "http"
            shown = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL is bracketed
            console.print(f"qualflow review on {scheme}://{shown}:{port}  (Ctrl+C stops it)", highlight=False)
            if warning := clear_text_warning(host, tls=tls_cert is not None):
                typer.echo(warning, err=True)  # one line, not wrapped: passwords in clear text
            if read_only:  # an archived copy is worth reading; the reviewers' pages say so too
                console.print(f"the study {where} cannot be written ({read_only}): its pages can be read, and "
                              "decisions cannot be saved", highlight=False, soft_wrap=True)

        run_server(data, host, port, login=not no_login, tls_cert=tls_cert, tls_key=tls_key, announce=announce)
    except (UnsafeBind, ReviewError) as error:
        _fail(str(error))


def audit(theme: ThemeArgument, data: DataOption = DEFAULT_DATA,
          as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False) -> None:
    """A theme's full decision history, its memos, and its statements with transcript and offsets."""
    from qualflow.models import Theme
    from qualflow.models.queries import memos_on, theme_decisions
    from qualflow.pipeline.describe import ONE_PARTICIPANT, one_participant_themes
    from qualflow.pipeline.report import statement_rows

    with _open_store(data).session() as session:
        theme_id, notes = _audited_theme(session, theme)
        theme_row = session.get(Theme, theme_id)
        history = [{"id": d.id, "at": d.at.isoformat(), "reviewer": d.reviewer, "action": d.action,
                    "summary": d.summary, "undoes": d.undoes_id, "before": d.before, "after": d.after}
                   for d in theme_decisions(session, theme_row.id)]
        rows = statement_rows(session, theme_row)
        # The memos' words, which the decision log only names ("wrote a memo on T2"): de-identified, as stored.
        written = memos_on(session, theme_id=theme_row.id) + memos_on(
            session, statement_ids=[row["statement_id"] for row in rows])
        memos = [{"id": m.id, "on": theme_row.code if m.theme_id else f"statement {m.statement_id}",
                  "reviewer": m.reviewer, "at": m.created_at.isoformat(), "text": m.text} for m in written]
        head = {"id": theme_row.id, "code": theme_row.code, "label": theme_row.label, "status": theme_row.status,
                "single_participant": theme_row.id in one_participant_themes(session, [theme_row])}
    if as_json:
        typer.echo(json.dumps({**head, "notes": notes, "decisions": history, "memos": memos, "statements": rows},
                              ensure_ascii=False, indent=2))
        return
    for note in notes:  # before the theme: the code asked for may not be the one shown
        console.print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False)
    flag = f" ⚑ {ONE_PARTICIPANT}" if head["single_participant"] else ""
    console.print(f"{head['code']} “{escape(head['label'])}” ({head['status']}, id {head['id']}){flag}", highlight=False)
    table = Table(title="Decisions")
    for column in ("#", "when (UTC)", "who", "what"):
        table.add_column(column, overflow="fold")
    for d in history:
        add_plain_row(table, str(d["id"]), d["at"][:19].replace("T", " "), d["reviewer"], d["summary"])
    console.print(table)
    if memos:
        table = Table(title=f"Memos ({len(memos)})")
        for column in ("on", "who", "when (UTC)", "memo"):
            table.add_column(column, overflow="fold")
        for memo in memos:
            add_plain_row(table, memo["on"], memo["reviewer"], memo["at"][:16].replace("T", " "), memo["text"])
        console.print(table)
    table = Table(title=f"Statements ({len(rows)})")
    for column in ("id", "participant", "transcript", "start–end", "statement"):
        table.add_column(column, overflow="fold")
    for row in rows:
        add_plain_row(table, str(row["statement_id"]), row["participant"] or "", row["transcript"],
                      f"{row['start']}–{row['end']}", row["text"])
    console.print(table)


app.add_typer(review_app, name="review")
app.command()(audit)
