"""Read-side questions the CLI and the reports ask of the store."""

from __future__ import annotations

from qualflow.models.records import Statement, Suggestion, Theme, ThemeSet
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload


def current_theme_set(session: Session) -> ThemeSet | None:
    return session.scalar(select(ThemeSet).order_by(ThemeSet.id.desc()).limit(1))


def current_themes(session: Session) -> list[Theme]:
    theme_set = current_theme_set(session)
    if theme_set is None:
        return []
    return list(
        session.scalars(select(Theme).where(Theme.theme_set_id == theme_set.id).order_by(Theme.number))
    )


def theme_by_code(session: Session, code: str) -> Theme | None:
    """A current theme ("T2") or subcategory ("T2.3") by its code."""
    theme_set = current_theme_set(session)
    if theme_set is None:
        return None
    return session.scalar(select(Theme).where(Theme.theme_set_id == theme_set.id, Theme.code == code))


def subcategories_of(session: Session, theme: Theme) -> list[Theme]:
    return list(session.scalars(select(Theme).where(Theme.parent_id == theme.id).order_by(Theme.number)))


def theme_suggestions(session: Session, theme: Theme) -> list[Suggestion]:
    """The statements of a subcategory, or of all a theme's subcategories: dense members
    first, each by decreasing similarity."""
    ids = [theme.id] + [child.id for child in subcategories_of(session, theme)]
    return list(
        session.scalars(
            select(Suggestion)
            .where(Suggestion.theme_id.in_(ids))
            .options(selectinload(Suggestion.statement).selectinload(Statement.transcript))
            .order_by(Suggestion.outlier, Suggestion.similarity.desc(), Suggestion.statement_id)
        )
    )


def study_participants(session: Session) -> list[str]:
    """Every participant with at least one significant statement."""
    rows = session.scalars(
        select(Statement.participant).where(Statement.significant.is_(True)).distinct()
    )
    return sorted((p for p in rows if p), key=lambda p: (len(p), p))
