"""Manual coding imported from a researcher's own tool (CSV/XLSX, REFI-QDA, Taguette).

Kept in its own tables so qualflow's suggestions and the team's coding never mix: one
`ManualCodingImport` per imported file (recognised by the SHA-256 of its bytes, so importing
the same file again replaces its rows instead of adding duplicates; `--replace` also replaces
earlier imports of a file with the same name), its `ManualCode`s
(the codebook as the tool had it, with parents) and its `ManualCoding`s (coded spans).

A coding keeps both places: `source_start/source_end` as the tool counted them in ITS copy
of the document, and `start/end` in the stored, de-identified transcript after alignment
(None when the span could not be placed). Quotes are never stored: the de-identified
stored text is the only text qualflow keeps. Code names and descriptions are the tool's, but
stored as reviewer-typed text is (pipeline/deid/typed.py), since an in-vivo code is named with
a quote and codes may name people.
"""

from __future__ import annotations

from datetime import datetime

from qualflow.models.records import Base, utcnow
from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship


class ManualCodingImport(Base):
    __tablename__ = "manual_coding_imports"
    # Users name an import by its id (`coding-imports --remove ID`, notes, reports): on SQLite,
    # AUTOINCREMENT keeps a removed import's id from being given to the next one (revision 0008).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    file_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    file_format: Mapped[str] = mapped_column(String(32))  # csv | xlsx | qdpx | taguette-db | taguette-csv ...
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Alignment figures (spans, aligned, mean quality, documents matched); no text.
    stats: Mapped[dict] = mapped_column(JSON, default=dict)

    codes: Mapped[list[ManualCode]] = relationship(back_populates="coding_import")
    codings: Mapped[list[ManualCoding]] = relationship(back_populates="coding_import")


class ManualCode(Base):
    """A code of the imported codebook; `parent_id` keeps the tool's hierarchy."""

    __tablename__ = "manual_codes"
    __table_args__ = (UniqueConstraint("import_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("manual_coding_imports.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    # Names from the root, joined by " / "; a "/" inside a name is written "∕" (U+2215), so
    # splitting on " / " gives the names back.
    path: Mapped[str] = mapped_column(String(2000))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("manual_codes.id"))
    description: Mapped[str | None] = mapped_column(String(4000))

    coding_import: Mapped[ManualCodingImport] = relationship(back_populates="codes")


class ManualCoding(Base):
    """One coded span by one coder."""

    __tablename__ = "manual_codings"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("manual_coding_imports.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("manual_codes.id", ondelete="CASCADE"), index=True)
    coder: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(String(500))  # the document's name in the tool
    source_start: Mapped[int | None] = mapped_column(Integer)
    source_end: Mapped[int | None] = mapped_column(Integer)
    transcript_id: Mapped[int | None] = mapped_column(ForeignKey("transcripts.id"), index=True)
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    # Share of the coded characters found again in the stored text (1.0: every character).
    quality: Mapped[float] = mapped_column(Float, default=0.0)

    coding_import: Mapped[ManualCodingImport] = relationship(back_populates="codings")
    code: Mapped[ManualCode] = relationship()
