"""Reviewer-typed text that quotes a withdrawn participant: the quoted words go, the reviewer's stay.

Memos on a withdrawn participant's own statements are deleted with them (pipeline/withdraw.py). A memo on
a theme, or on someone else's statement, is the reviewer's writing, but it may copy a quote into it
("P4: 'the pay is too low, I work two jobs'"), and memos leave the study in the REFI-QDA export's notes.
So may a theme's name or description a reviewer typed (a rename), which leaves the study in every export,
and which the decision log keeps: in the rename's summary, in later summaries quoting the theme's name,
and in the snapshots. Consent withdrawn covers those words too, so each quoted passage is replaced with
`QUOTE_REMOVED`, in memos, theme names and descriptions, and the log (memo text is not logged).
An imported coding tool's code named with their words (an in-vivo code) is only named to the researcher
(`imported_codes_quoting`).

A passage counts as quoted when it holds `WORDS_IN_A_ROW` of a withdrawn statement's words in a row
(Chinese: `CHARACTERS_IN_A_ROW` characters), or the whole statement when it is shorter than that and
still long enough to be theirs rather than anyone's phrase (`FEWEST_WORDS`, `FEWEST_CHARACTERS`).
Letter case, punctuation and spacing are ignored, as a reviewer copying a quote changes them.
"""

from __future__ import annotations

import copy
import re

from qualflow.models import Decision, Memo, Statement, Theme
from sqlalchemy import select
from sqlalchemy.orm import Session

QUOTE_REMOVED = "[words of a withdrawn participant]"
WORDS_IN_A_ROW = 6
CHARACTERS_IN_A_ROW = 8
FEWEST_WORDS = 4
FEWEST_CHARACTERS = 5

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A Chinese character is a token of its own (Chinese has no spaces); any other run of letters or digits is a word.
_TOKEN = re.compile(rf"[{_HAN}]|[^\W_{_HAN}]+")


def _tokens(text: str) -> list[re.Match]:
    return list(_TOKEN.finditer(text))


def _is_han(token: str) -> bool:
    return bool(re.fullmatch(f"[{_HAN}]", token))


def _window(tokens: list[str]) -> int | None:
    """How many of a statement's tokens in a row make a quote of it; None when it is too short to tell."""
    han = sum(map(_is_han, tokens))
    longest, fewest = (CHARACTERS_IN_A_ROW, FEWEST_CHARACTERS) if han * 2 > len(tokens) else (WORDS_IN_A_ROW, FEWEST_WORDS)
    if len(tokens) < fewest:
        return None
    return min(longest, len(tokens))


class Quotes:
    """A withdrawn participant's statements as the runs of words that would quote them, built once: a
    withdrawal reads every memo, theme and logged decision of the study against the same statements."""

    def __init__(self, statements: list[str]):
        self._runs: dict[int, set[tuple[str, ...]]] = {}  # run length -> runs of that length
        for statement in statements:
            theirs = [match.group().casefold() for match in _tokens(statement)]
            size = _window(theirs)
            if size is not None:
                self._runs.setdefault(size, set()).update(
                    tuple(theirs[i:i + size]) for i in range(len(theirs) - size + 1))

    def __bool__(self) -> bool:
        return bool(self._runs)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of `text` that quote any of the statements, merged where they touch."""
        found = _tokens(text)
        words = [match.group().casefold() for match in found]
        marked = [False] * len(found)
        for size, runs in self._runs.items():
            for i in range(len(words) - size + 1):
                if tuple(words[i:i + size]) in runs:
                    marked[i:i + size] = [True] * size
        spans: list[tuple[int, int]] = []
        for i, match in enumerate(found):
            if not marked[i]:
                continue
            if spans and i > 0 and marked[i - 1]:
                spans[-1] = (spans[-1][0], match.end())
            else:
                spans.append((match.start(), match.end()))
        return spans

    def removed_from(self, text: str) -> str:
        """`text` with every passage quoting the statements replaced by `QUOTE_REMOVED`."""
        for start, end in reversed(self.spans(text)):
            text = text[:start] + QUOTE_REMOVED + text[end:]
        return text


def quoted_spans(memo: str, statements: list[str]) -> list[tuple[int, int]]:
    """Character spans of `memo` that quote any of `statements`, merged where they touch."""
    return Quotes(statements).spans(memo)


def without_quotes(memo: str, statements: list[str]) -> str:
    """`memo` with every passage quoting `statements` replaced by `QUOTE_REMOVED`."""
    return Quotes(statements).removed_from(memo)


# The theme fields a reviewer types (review/actions.py `rename`); the log's snapshots hold them too.
THEME_TEXT = ("label", "description")


def their_words(session: Session, statement_ids: list[int]) -> list[str]:
    return list(session.scalars(select(Statement.text).where(Statement.id.in_(statement_ids))))


def _rows(model, lock: bool):
    """Every row of `model` in id order. With `lock`, read as stored now (not as this session read them
    before) and held until the transaction ends: PostgreSQL's FOR UPDATE; SQLite ignores it, as its write
    lock already keeps other writers out."""
    query = select(model).order_by(model.id)
    return query.with_for_update().execution_options(populate_existing=True) if lock else query


def memos_quoting(session: Session, theirs: list[str], deleted: set[int], lock: bool = False) -> dict[int, str]:
    """Memos that stay (not in `deleted`, those on their statements) but quote them: memo id -> its text
    without the quotes. Undone memos too, as their rows keep the words."""
    quotes = Quotes(theirs)
    if not quotes:
        return {}
    return {memo.id: quotes.removed_from(memo.text)
            for memo in session.scalars(_rows(Memo, lock).where(Memo.id.not_in(deleted)))
            if quotes.spans(memo.text)}


def themes_quoting(session: Session, theirs: list[str], lock: bool = False) -> dict[int, dict[str, str]]:
    """Themes whose name or description quotes them: theme id -> those fields without the quotes. Every
    theme set's, as an older set's rows keep the words too."""
    quotes = Quotes(theirs)
    if not quotes:
        return {}
    found = {}
    for theme in session.scalars(_rows(Theme, lock)):
        changed = _unquoted_fields({name: getattr(theme, name) for name in THEME_TEXT}, quotes)
        if changed:
            found[theme.id] = changed
    return found


def decisions_quoting(session: Session, theirs: list[str], lock: bool = False) -> dict[int, dict]:
    """Logged decisions that quote them, in their summary or in a theme's name or description in their
    snapshots: decision id -> {"summary", "before", "after"} without the quotes. A snapshot's fields get
    what `themes_quoting` gives the theme itself, so the undo's check that nothing changed since holds."""
    quotes = Quotes(theirs)
    if not quotes:
        return {}
    found = {}
    for decision in session.scalars(_rows(Decision, lock)):
        before, after = copy.deepcopy(decision.before or {}), copy.deepcopy(decision.after or {})
        for snapshot in (before, after):
            for fields in snapshot.get("themes", {}).values():
                fields.update(_unquoted_fields(fields, quotes))
        summary = quotes.removed_from(decision.summary)
        if summary != decision.summary or [before, after] != [decision.before or {}, decision.after or {}]:
            found[decision.id] = {"summary": summary, "before": before, "after": after}
    return found


def imported_codes_quoting(session: Session, theirs: list[str]) -> dict[int, list[int]]:
    """Imported manual codes (a coding tool's codebook) whose name or description quotes them, as an in-vivo
    code is named: import id -> code ids. Named, not rewritten: a code's name is its identity in the import
    (its path, compared across coders), and importing the file again would bring it back."""
    from qualflow.models.coding import ManualCode

    quotes = Quotes(theirs)
    if not quotes:
        return {}
    found: dict[int, list[int]] = {}
    for code in session.scalars(select(ManualCode).order_by(ManualCode.import_id, ManualCode.id)):
        if quotes.spans(code.name) or (code.description and quotes.spans(code.description)):
            found.setdefault(code.import_id, []).append(code.id)
    return found


def _unquoted_fields(fields: dict, quotes: Quotes) -> dict[str, str]:
    """The theme text fields among `fields` that quote them, without the quotes; a name cut to what the
    column holds, as `QUOTE_REMOVED` may be longer than the words it replaces."""
    changed = {}
    for name in THEME_TEXT:
        value = fields.get(name)
        if value and quotes.spans(value):
            changed[name] = quotes.removed_from(value)
    longest = Theme.__table__.c.label.type.length
    if len(changed.get("label", "")) > longest:
        changed["label"] = changed["label"][:longest - 1] + "…"
    return changed
