"""Writing helpers shared by reviewer actions and batch runs: codes, display order, counts."""

from __future__ import annotations

import re

from qualflow.models.queries import ACTIVE_ASSIGNMENT, LIVE_STATUSES
from qualflow.models.records import Statement, Suggestion, Theme
from qualflow.models.theme_codes import ThemeCode
from sqlalchemy import func, select
from sqlalchemy.orm import Session


def next_theme_code(session: Session, parent_code: str | None = None, prefix: str = "") -> str:
    """A code never used before in this study: "T7" (after prefix, e.g. "Q2-") or, under a parent, "T2.4".
    Codes themes gave up count as used (`theme_codes`): a researcher's note may still say "T3.2"."""
    stem = f"{parent_code}." if parent_code else f"{prefix}T"
    pattern = re.compile(re.escape(stem) + r"(\d+)$")
    held = select(Theme.code).where(Theme.code.like(stem + "%"))
    given = select(ThemeCode.code).where(ThemeCode.code.like(stem + "%"))
    used = [int(m.group(1)) for code in session.scalars(held.union(given)) if (m := pattern.match(code))]
    return f"{stem}{max(used, default=0) + 1}"


def next_theme_number(session: Session, theme_set_id: int) -> int:
    return (session.scalar(select(func.max(Theme.number)).where(Theme.theme_set_id == theme_set_id)) or 0) + 1


def code_order(code: str) -> tuple[int, ...]:
    """"T10.3" sorts after "T9.1" and "Q2-T1" after "Q1-T5": numbers compared as numbers."""
    numbers = tuple(int(part) for part in re.findall(r"\d+", code))
    return numbers if code.startswith("Q") else (0,) + numbers


def with_parents(session: Session, theme_ids) -> dict[int, Theme]:
    """These themes and their parents, by id: a parent's figures change with its subcategories'."""
    themes = {i: session.get(Theme, i) for i in theme_ids if i is not None}
    for theme in list(themes.values()):
        if theme.parent_id:
            themes.setdefault(theme.parent_id, session.get(Theme, theme.parent_id))
    return themes


def family_ids(session: Session, theme: Theme) -> list[int]:
    """The theme and its live subcategories: where its statements sit."""
    return [theme.id, *session.scalars(select(Theme.id).where(
        Theme.parent_id == theme.id, Theme.theme_set_id == theme.theme_set_id, Theme.status.in_(LIVE_STATUSES)))]


def refresh_counts(session: Session, theme_ids) -> None:
    """Recompute size and participants of these themes and their parents from active assignments."""
    themes = with_parents(session, theme_ids)
    session.flush()
    for theme in themes.values():
        rows = session.execute(select(Statement.participant).join(Suggestion, Suggestion.statement_id == Statement.id)
                               .where(Suggestion.theme_id.in_(family_ids(session, theme)),
                                      Suggestion.status.in_(ACTIVE_ASSIGNMENT))).all()
        size = len(rows)
        participants = sorted({p for (p,) in rows if p}, key=lambda p: (len(p), p))
        if theme.size != size:
            theme.size = size
        if theme.participants != participants:
            theme.participants = participants
    session.flush()
