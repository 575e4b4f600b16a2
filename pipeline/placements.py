"""Where each statement sits in the live codebook: the common ground of saturation, the tables and the figures.

The live codebook is the current theme set's themes that a reviewer has not rejected or merged away:
confirmed ones as the reviewer left them, candidates otherwise. Statuses are read with getattr and a
default, so this works on studies (and record classes) from before reviewing existed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qualflow.models import Statement, Suggestion, Theme
from qualflow.models.queries import current_theme_set
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

# Themes that no longer stand for anything in the analysis.
RETIRED_THEME_STATUSES = ("rejected", "merged", "withdrawn")
# An assignment a reviewer took back places nothing, nor one on a replaced version of a transcript.
RETIRED_ASSIGNMENT_STATUSES = ("rejected", "superseded")


def theme_status(theme: Theme) -> str:
    return getattr(theme, "status", None) or "candidate"


def assignment_status(suggestion: Suggestion) -> str:
    return getattr(suggestion, "status", None) or "suggested"


@dataclass(frozen=True)
class Placement:
    """One statement in the codebook: its top-level theme and, when it has one, its subcategory."""

    statement: Statement
    theme: Theme
    subcategory: Theme | None
    similarity: float
    confirmed: bool  # the reviewer confirmed this assignment


@dataclass
class Codebook:
    """The live themes in code order, each with its live subcategories, and every placed statement."""

    themes: list[Theme]
    subcategories: dict[int, list[Theme]]
    placements: list[Placement]
    # Live themes and subcategories holding no statement (all moved out, or their participant withdrew):
    # left out of the tables, figures and saturation, which describe what the data say.
    empty: list[Theme] = field(default_factory=list)

    def all_codes(self) -> list[Theme]:
        return [t for theme in self.themes for t in [theme, *self.subcategories[theme.id]]]


def _code_key(theme: Theme) -> tuple:
    # "T2.10" after "T2.9": compare the numbers, not the strings.
    digits = [int(part) for part in "".join(c if c.isdigit() else " " for c in theme.code).split()]
    return (digits, theme.code)


def live_codebook(session: Session, confirmed_only: bool = False) -> Codebook:
    """The current codebook. With `confirmed_only`, only themes a reviewer confirmed count."""
    theme_set = current_theme_set(session)
    if theme_set is None:
        return Codebook([], {}, [])
    wanted = ("confirmed",) if confirmed_only else None
    everything = list(session.scalars(select(Theme).where(Theme.theme_set_id == theme_set.id)))

    def live(theme: Theme) -> bool:
        status = theme_status(theme)
        return status not in RETIRED_THEME_STATUSES and (wanted is None or status in wanted)

    themes = sorted((t for t in everything if t.parent_id is None and live(t)), key=_code_key)
    top_ids = {t.id for t in themes}
    subcategories: dict[int, list[Theme]] = {t.id: [] for t in themes}
    # A subcategory under a retired theme is left out, as the Markdown report leaves it out.
    for sub in sorted((t for t in everything if t.parent_id in top_ids and live(t)), key=_code_key):
        subcategories[sub.parent_id].append(sub)
    by_id = {t.id: t for t in themes} | {s.id: s for subs in subcategories.values() for s in subs}
    # Counting confirmed themes only, an unreviewed subcategory's statements still belong to its confirmed theme.
    unreviewed = {t.id: by_id[t.parent_id] for t in everything
                  if t.parent_id in top_ids and t.id not in by_id and theme_status(t) not in RETIRED_THEME_STATUSES}

    rows = session.scalars(select(Suggestion).where(Suggestion.theme_id.in_(list(by_id) + list(unreviewed)))
                           .options(selectinload(Suggestion.statement).selectinload(Statement.transcript))
                           .order_by(Suggestion.statement_id))
    placements = []
    for row in rows:
        if assignment_status(row) in RETIRED_ASSIGNMENT_STATUSES:
            continue
        placed_in = by_id.get(row.theme_id) or unreviewed[row.theme_id]
        top = placed_in if placed_in.parent_id is None else by_id[placed_in.parent_id]
        placements.append(Placement(row.statement, top, None if placed_in is top else placed_in,
                                    float(row.similarity), assignment_status(row) == "confirmed"))
    holding = {p.theme.id for p in placements} | {p.subcategory.id for p in placements if p.subcategory}
    empty = [t for theme in themes for t in [theme, *subcategories[theme.id]] if t.id not in holding]
    themes = [t for t in themes if t.id in holding]
    subcategories = {t.id: [s for s in subcategories[t.id] if s.id in holding] for t in themes}
    return Codebook(themes, subcategories, placements, empty)


def participant_sort_key(participant: str) -> tuple:
    """P2 before P10."""
    digits = "".join(c for c in participant if c.isdigit())
    return (0 if digits else 1, int(digits) if digits else 0, participant)
