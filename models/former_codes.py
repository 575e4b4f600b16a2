"""What became of a theme code a researcher wrote down: "T3.2 is now T4.1", "T3.2 was merged into T2.1".

Codes change (models/theme_codes.py says when); `theme_by_code` finds only the code a theme holds
now. These read `theme_codes` for the themes that held a code before, oldest first, and say where each
is now, in one line each. More than one theme may have held a code (studies before revision 0008 could
give a code up and hand it to another theme): each is listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from qualflow.models.queries import LIVE_STATUSES, current_theme_set, theme_decisions
from qualflow.models.records import Theme, ThemeSet
from qualflow.models.theme_codes import ThemeCode
from sqlalchemy import select
from sqlalchemy.orm import Session


@dataclass
class FormerHolder:
    theme: Theme  # the theme that held the code (its row now)
    until: datetime | None  # when it was given its next code; None when not recorded or not renumbered
    now: Theme | None  # the current theme it is, or was merged into; None when no current theme continues it
    line: str  # what became of it, for people


def former_holders(session: Session, code: str, excluding: int | None = None) -> list[FormerHolder]:
    """The themes other than `excluding` that held `code` and do not hold it in the current themes."""
    current = current_theme_set(session)
    rows = session.scalars(select(ThemeCode).where(ThemeCode.code == code).order_by(ThemeCode.id)).all()
    newest_row = {row.theme_id: row for row in rows}  # a code given back and left again: the last time
    holders = []
    for theme_id, row in sorted(newest_row.items(), key=lambda item: item[1].id):
        theme = session.get(Theme, theme_id)
        if theme is None or theme.id == excluding:
            continue
        if theme.code == code and current is not None and theme.theme_set_id == current.id:
            continue  # the code is its own now: `theme_by_code` finds it
        following = session.scalar(select(ThemeCode).where(ThemeCode.theme_id == theme_id, ThemeCode.id > row.id)
                                   .order_by(ThemeCode.id).limit(1))
        holders.append(_fate(session, code, theme, following, current))
    return holders


def _fate(session: Session, code: str, theme: Theme, following: ThemeCode | None,
          current: ThemeSet | None) -> FormerHolder:
    until = following.given_at if following is not None else None
    final, seen = theme, set()
    while final.status == "merged" and final.merged_into_id and final.id not in seen:
        seen.add(final.id)
        final = session.get(Theme, final.merged_into_id)
    is_current = current is not None and final.theme_set_id == current.id
    if theme.status == "merged":
        line = f"{code} was merged into {_named(final)}{_on(_merged_at(session, theme))}"
        if not is_current:
            line += f", {_retired(session, final)}"
    elif not is_current:
        later = "" if theme.code == code else f" (later {theme.code})"
        line = f"{code} was “{theme.label}”{later}, {_retired(session, theme)}"
    else:
        status = "" if theme.status in LIVE_STATUSES else f" ({theme.status})"
        line = f"{code} is now {_named(theme)}{status}, renumbered{_on(until)}"
    return FormerHolder(theme, until, final if is_current else None, line)


def _named(theme: Theme) -> str:
    return f"{theme.code} “{theme.label}”"


def _on(when: datetime | None) -> str:
    return f" on {when:%Y-%m-%d}" if when is not None else " (date not recorded)"


def _retired(session: Session, theme: Theme) -> str:
    made = session.get(ThemeSet, theme.theme_set_id)
    return (f"found by the run of {made.created_at:%Y-%m-%d}; later runs did not find it again "
            "(no current theme continues it)")


def _merged_at(session: Session, theme: Theme) -> datetime | None:
    """When the decision that merged it was made (the newest one whose snapshot shows it merged)."""
    for decision in reversed(theme_decisions(session, theme.id)):
        if ((decision.after or {}).get("themes", {}).get(str(theme.id), {}).get("status")) == "merged":
            return decision.at
    return None


def merged_line(session: Session, theme: Theme) -> str | None:
    """For a theme found by its code that a reviewer merged: "T3 was merged into T2 “…” on …"."""
    if theme.status != "merged":
        return None
    return _fate(session, theme.code, theme, None, current_theme_set(session)).line


def continued_by(session: Session, code: str) -> tuple[Theme | None, list[str]]:
    """For a code no current theme holds: the one current theme it became (None if none, or if
    several themes held it and their paths differ), and one line per former holder."""
    holders = former_holders(session, code)
    now = {holder.now.id: holder.now for holder in holders if holder.now is not None}
    only = next(iter(now.values())) if len(now) == 1 and all(h.now is not None for h in holders) else None
    return only, [holder.line for holder in holders]


def no_such_theme_message(session: Session, code: str) -> str:
    """What a command says of a code no current theme holds: what became of the themes that held it,
    if any did."""
    _, lines = continued_by(session, code)
    if lines:
        return f"no theme {code} in the current themes: {'; '.join(lines)}"
    return f"no theme {code} in the current themes (see `qualflow themes`)"
