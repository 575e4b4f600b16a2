"""SQLAlchemy records: what qualflow stores about a study.

One database holds one study. Offsets are Unicode code points into `Transcript.text`,
the stored, `\\n`-normalised, NFC text, so `text[start:end]` is always the statement.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Transcript(Base):
    """One interview file, as normalised, de-identified text. Identified by the hash of the text as read."""

    __tablename__ = "transcripts"
    # Ids are seen (review pages' addresses) and a withdrawal deletes rows: on SQLite, AUTOINCREMENT
    # keeps a deleted id from naming the next file (revision 0008). Statements and memos alike.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    # Hash of the normalised text as read, before de-identification: how a file is recognised.
    content_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    source_name: Mapped[str] = mapped_column(String(500))
    source_format: Mapped[str] = mapped_column(String(16), default="txt")
    language: Mapped[str] = mapped_column(String(8))
    participant: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Versions of one file (same source_name): an edited file is stored as a new row that points
    # back at the version it replaces, and the replaced one points forward, so the history reads
    # both ways without a walk. Only a transcript nothing supersedes is live (queries.live_transcripts).
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("transcripts.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("transcripts.id"), index=True)

    turns: Mapped[list[Turn]] = relationship(back_populates="transcript", order_by="Turn.index")
    statements: Mapped[list[Statement]] = relationship(
        back_populates="transcript", order_by="Statement.index"
    )


class Turn(Base):
    """A speaker's turn; (start, end) spans its words, without the speaker label."""

    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("transcript_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))  # interviewer | participant | other
    speaker_label: Mapped[str | None] = mapped_column(String(100))
    participant: Mapped[str | None] = mapped_column(String(100))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)  # times and inline timestamps

    transcript: Mapped[Transcript] = relationship(back_populates="turns")


class Statement(Base):
    """A sentence-level unit inside one turn.

    `significant` says whether it is clustered; when it is not, `excluded_reason` says why,
    so nothing is dropped silently.
    """

    __tablename__ = "statements"
    # Decisions, memos and reviewers name statements by id; a withdrawal deletes rows (see Transcript).
    __table_args__ = (UniqueConstraint("transcript_id", "index"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id"), index=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(8))
    tokens: Mapped[list] = mapped_column(JSON, default=list)
    participant: Mapped[str | None] = mapped_column(String(100))
    significant: Mapped[bool] = mapped_column(Boolean)
    excluded_reason: Mapped[str | None] = mapped_column(String(200))

    transcript: Mapped[Transcript] = relationship(back_populates="statements")
    turn: Mapped[Turn] = relationship()


class Embedding(Base):
    """Cache of sentence vectors, keyed by encoder id and text hash: nothing is embedded twice."""

    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("encoder_id", "text_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    encoder_id: Mapped[str] = mapped_column(String(200))
    text_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian


class ThemeSet(Base):
    """One clustering of the study's significant statements.

    `fingerprint` hashes the clustered statements and the settings that shaped the result;
    a run whose fingerprint equals the newest set's changes nothing. The newest set is current;
    older sets are kept as history.
    """

    __tablename__ = "theme_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    encoder_id: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    n_statements: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    themes: Mapped[list[Theme]] = relationship(back_populates="theme_set", order_by="Theme.number")


THEME_STATUSES = ("candidate", "confirmed", "rejected", "merged", "withdrawn")
# "superseded": the statement's transcript was replaced by a newer version of the file; the row
# is kept as a record of what was decided on that version, and places nothing.
ASSIGNMENT_STATUSES = ("suggested", "confirmed", "rejected", "superseded")


class Theme(Base):
    """A theme or subcategory with its description; its id is stable for the life of the study.

    Two levels, as in published analyses: statements are suggested into subcategories,
    which sit under themes (`parent_id`). `code` names it for people: "T2" is a theme,
    "T2.3" one of its subcategories; a code is given once and never reused, and every code a theme
    held is kept in `theme_codes` (models/theme_codes.py), so a former code still finds it.

    A theme outlives theme sets: `theme_set_id` is the newest run it belongs to, so the themes
    of the current set are the live codebook, and a run carries confirmed, rejected, merged and
    reviewer-touched themes forward (see pipeline/reconcile.py). `status` is candidate,
    confirmed, rejected, merged (into `merged_into_id`) or withdrawn (made by a decision that
    was undone). `reviewer_fields` lists the fields a reviewer set (label, description,
    parent_id), which no run overwrites. `version` is bumped on every change: a reviewer's
    form carries the version it showed, and a stale one is a conflict, not a lost update.
    """

    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("theme_set_id", "number"), UniqueConstraint("theme_set_id", "code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_set_id: Mapped[int] = mapped_column(ForeignKey("theme_sets.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1..n within its set: themes first, then subcategories
    code: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(16), default="theme")  # theme | subcategory
    question: Mapped[str | None] = mapped_column(Text)  # survey units: themes are found per question
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"))
    label: Mapped[str] = mapped_column(String(300))
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    exemplar_statement_ids: Mapped[list] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(Integer)
    participants: Mapped[list] = mapped_column(JSON, default=list)
    cohesion: Mapped[float] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"))
    reviewer_fields: Mapped[list] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(100))  # a reviewer, for themes made by a split
    version: Mapped[int] = mapped_column(Integer, default=1)

    theme_set: Mapped[ThemeSet] = relationship(back_populates="themes")
    suggestions: Mapped[list[Suggestion]] = relationship(back_populates="theme")

    # SQLAlchemy adds "AND version = :seen" to every UPDATE: two writers cannot both win.
    __mapper_args__: ClassVar[dict] = {"version_id_col": version}


class Suggestion(Base):
    """An assignment of a statement to a theme: suggested by qualflow (with its similarity),
    confirmed by a reviewer, or rejected by one (kept, so it is never suggested again); or
    superseded, when a newer version of its transcript took over (pipeline/versions.py).

    A statement has at most one suggested-or-confirmed row: its place in the codebook.
    """

    __tablename__ = "suggestions"
    __table_args__ = (UniqueConstraint("theme_id", "statement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), index=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"), index=True)
    similarity: Mapped[float] = mapped_column(Float)
    # True when the statement lay outside every dense cluster and was placed by nearest centre.
    outlier: Mapped[bool] = mapped_column(Boolean, default=False)
    weak_fit: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="suggested", index=True)
    # Set when a run offered this statement into a theme a reviewer had shaped (confirmed, renamed...):
    # the id of the newest decision in the log at that moment, 0 when there was none; None for every
    # other row (the clusterer's own, a reviewer's). The offer is the run's, not the reviewer's, until a
    # later decision acts on the theme: then the reviewer has seen it there (pipeline/persist.py).
    # A number, not a flag: reviewers acting on the theme afterwards must be told apart from before, and
    # decision ids only grow (the log is append-only).
    offered_after_decision: Mapped[int | None] = mapped_column(Integer)

    theme: Mapped[Theme] = relationship(back_populates="suggestions")
    statement: Mapped[Statement] = relationship()


class Pseudonym(Base):
    """The key map: a real identifier and the placeholder that replaces it, one per study.

    The only place real names are kept. Never exported; `qualflow deid-report` shows it to
    the researcher for a human check.
    """

    __tablename__ = "pseudonyms"
    __table_args__ = (UniqueConstraint("kind", "real"), UniqueConstraint("placeholder"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    real: Mapped[str] = mapped_column(String(500))
    placeholder: Mapped[str] = mapped_column(String(40))


class Replacement(Base):
    """Where a placeholder was put into a stored transcript, and what found the original."""

    __tablename__ = "replacements"

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    placeholder: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    found_by: Mapped[str] = mapped_column(String(32))


class Reviewer(Base):
    """A person who may sign in to the review app; only an argon2 hash of the password is kept."""

    __tablename__ = "reviewers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Sessions are signed cookies the server keeps nothing of; each carries the generation it was
    # signed in at, and signing out bumps it, so a copied cookie stops working too.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Decision(Base):
    """One reviewer action, appended to the study's decision log and never changed.

    `before` and `after` are snapshots of everything the action touched (themes, statements
    with their assignments, memos), so the log alone tells the story and an undo restores
    `before` exactly. An undo is itself a decision (`undoes_id`), so nothing is rewritten.
    Updates and deletes are refused by the ORM and, in SQLite, by triggers.
    """

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewer: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    theme_ids: Mapped[list] = mapped_column(JSON, default=list)
    statement_ids: Mapped[list] = mapped_column(JSON, default=list)
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), index=True)


class Memo(Base):
    """A reviewer's note on a theme or a statement. Withdrawn (not deleted) when its decision is undone."""

    __tablename__ = "memos"
    # Decisions name memos by id (undo restores them); a withdrawal deletes rows (see Transcript).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"), index=True)
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(Decision, "before_update")
@event.listens_for(Decision, "before_delete")
def _refuse_changing_the_log(_mapper, _connection, target: Decision) -> None:
    raise AppendOnlyError(f"decision {target.id} is in the append-only log and cannot be changed")


# The ORM guard does not stop raw SQL; in SQLite the database itself refuses too.
for _verb in ("UPDATE", "DELETE"):
    event.listen(Decision.__table__, "after_create", DDL(
        f"CREATE TRIGGER IF NOT EXISTS decisions_no_{_verb.lower()} BEFORE {_verb} ON decisions "
        "BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END"
    ).execute_if(dialect="sqlite"))


class Withdrawal(Base):
    """A participant who withdrew consent: their words were deleted from the study (pipeline/withdraw.py).

    Kept so that later runs do not bring them back: files whose content or name hash is listed
    are skipped, and turns of `participant` in any later file are dropped before storing. Only
    hashes are kept, not file names (a file name can hold the person's name).
    """

    __tablename__ = "withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant: Mapped[str] = mapped_column(String(100), index=True)  # the study's id for them (P3, [PERSON_2])
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    content_hashes: Mapped[list] = mapped_column(JSON, default=list)  # Transcript.content_hash of removed files
    name_hashes: Mapped[list] = mapped_column(JSON, default=list)  # sha256 of removed files' source names
    # sha256 of the key map's names for them ("mary jones" -> [PERSON_2]), deleted with their words, so a
    # new file that names them as a speaker is still recognised as theirs (pipeline/withdraw.py).
    person_hashes: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    counts: Mapped[dict] = mapped_column(JSON, default=dict)  # what was deleted, for the record
