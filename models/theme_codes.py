"""Every code a theme has had, and since when: `theme_codes`.

A theme's code changes when it moves under another parent (a reviewer's set-parent or merge, or a
run that finds a subcategory under another theme) and when an undo gives it back. Researchers
write codes in their notes, so a code a theme gave up must still be found (`queries.former_code`)
and never be given to another theme (`codebook.next_theme_code`). Rows are written here, on every
insert and every change of `Theme.code`, whoever makes it; revision 0008 filled in what older
studies' decision logs knew.
"""

from __future__ import annotations

from datetime import datetime

from qualflow.models.records import Base, Theme, utcnow
from sqlalchemy import DateTime, ForeignKey, Integer, String, event, inspect
from sqlalchemy.orm import Mapped, mapped_column


class ThemeCode(Base):
    """One code one theme held from `given_at` until its next row (the newest row is its code now).
    `given_at` is None where an older study did not record when (revision 0008)."""

    __tablename__ = "theme_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(Integer, ForeignKey("themes.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), index=True)
    given_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _record(connection, theme_id: int, code: str) -> None:
    connection.execute(ThemeCode.__table__.insert().values(theme_id=theme_id, code=code, given_at=utcnow()))


@event.listens_for(Theme, "after_insert")
def _code_given(_mapper, connection, theme: Theme) -> None:
    _record(connection, theme.id, theme.code)


@event.listens_for(Theme, "after_update")
def _code_changed(_mapper, connection, theme: Theme) -> None:
    # The attribute's history is still there in after_update: it is reset when the flush ends.
    history = inspect(theme).attrs.code.history
    if history.has_changes() and history.deleted and history.added and history.deleted[0] != history.added[0]:
        _record(connection, theme.id, theme.code)
