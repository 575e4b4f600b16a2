"""Versions of a transcript: an edited file replaces its earlier version, keeping the reviews.

A file is recognised by its name (`Transcript.source_name`), its content by the hash of its text.
New content under a known name is that file's next version. It is stored in full (its offsets
point into its own text) and linked to the version it replaces; the replaced version stays in the
store as history, but nothing live reads it (models.queries.live_transcripts).

What reviewers decided about a statement that did not change carries over to its twin in the
new version: confirmed and rejected assignments, a "not significant" mark and memos. Twins are
statements with the same text hash, paired in order (the k-th "Yes." of the old version with
the k-th "Yes." of the new one). No Decision is written: the log records what reviewers did,
and a new file version is not a reviewer's act; the copies repeat decisions already logged.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from qualflow.models import Memo, Statement, Suggestion, Transcript
from qualflow.models.codebook import refresh_counts
from qualflow.models.queries import NOT_SIGNIFICANT, live_transcripts
from sqlalchemy import select
from sqlalchemy.orm import Session

# What a reviewer decided about an assignment; plain suggestions are the clusterer's and are made afresh.
CARRIED_STATUSES = ("confirmed", "rejected")


def live_version(session: Session, source_name: str) -> Transcript | None:
    """The live transcript of this file. A study from before versions may hold two live
    transcripts of one name (an edit was then stored as a new file): the newest one counts."""
    return session.scalar(select(Transcript).where(Transcript.source_name == source_name,
                                                   Transcript.id.in_(live_transcripts()))
                          .order_by(Transcript.id.desc()).limit(1))


def revision_hash(content_hash: str, previous_id: int) -> str:
    """What `content_hash` holds for content already stored under an earlier version (an edit
    undone): the column is unique, and the old row keeps its decisions as history, so the new
    version gets a marker derived from the content and the version it replaces (unique, as a
    version is replaced once)."""
    return hashlib.sha256(f"{content_hash}:version-after:{previous_id}".encode()).hexdigest()


def holds_content(transcript: Transcript, content_hash: str) -> bool:
    if transcript.content_hash == content_hash:
        return True
    previous = transcript.previous_version_id
    return previous is not None and transcript.content_hash == revision_hash(content_hash, previous)


def _statements(session: Session, transcript_id: int) -> list[Statement]:
    return list(session.scalars(select(Statement).where(Statement.transcript_id == transcript_id)
                                .order_by(Statement.index)))


def twins(old: list[Statement], new: list[Statement]) -> list[tuple[Statement, Statement]]:
    """Unchanged statements: the k-th old statement with a text hash beside the k-th new one with it."""
    waiting: dict[str, list[Statement]] = defaultdict(list)
    for statement in old:
        waiting[statement.text_hash].append(statement)
    pairs = []
    for statement in new:
        if waiting[statement.text_hash]:
            pairs.append((waiting[statement.text_hash].pop(0), statement))
    return pairs


def _carry(session: Session, before: Statement, after: Statement, rows: list[Suggestion], memos: list[Memo],
           carried: dict[str, int]) -> None:
    """Put what reviewers decided about `before` on its unchanged twin `after`."""
    if before.excluded_reason == NOT_SIGNIFICANT and after.significant:
        after.significant, after.excluded_reason = False, NOT_SIGNIFICANT
        carried["not_significant"] += 1
    for row in rows:
        # A confirmed place needs a clustered statement; a rejection is a record and always carries.
        if row.status in CARRIED_STATUSES and (after.significant or row.status == "rejected"):
            session.add(Suggestion(theme_id=row.theme_id, statement_id=after.id, similarity=row.similarity,
                                   outlier=row.outlier, weak_fit=row.weak_fit, status=row.status))
            carried["assignments"] += 1
    for memo in memos:
        session.add(Memo(statement_id=after.id, reviewer=memo.reviewer, text=memo.text, created_at=memo.created_at))
        carried["memos"] += 1


def supersede(session: Session, old: Transcript, new: Transcript) -> dict[str, int]:
    """Make `new` the live version in place of `old` and carry the reviews of unchanged statements;
    returns how many assignments, not-significant marks and memos were carried."""
    old.superseded_by_id = new.id
    old_statements = _statements(session, old.id)
    old_ids = [s.id for s in old_statements]
    rows: dict[int, list[Suggestion]] = defaultdict(list)
    for row in session.scalars(select(Suggestion).where(Suggestion.statement_id.in_(old_ids)).order_by(Suggestion.id)):
        rows[row.statement_id].append(row)
    memos: dict[int, list[Memo]] = defaultdict(list)
    for memo in session.scalars(select(Memo).where(Memo.statement_id.in_(old_ids), Memo.withdrawn.is_(False))
                                .order_by(Memo.id)):
        memos[memo.statement_id].append(memo)
    carried = {"assignments": 0, "not_significant": 0, "memos": 0}
    for before, after in twins(old_statements, _statements(session, new.id)):
        _carry(session, before, after, rows[before.id], memos[before.id], carried)
    # Every old row, plain suggestions included, is marked rather than deleted: what the old
    # version's codebook looked like stays readable, and an undo of a decision made on the old
    # version sees that its rows changed since and is refused (review/state.restore also keeps
    # a superseded statement's restored rows superseded).
    old_rows = [row for statement_rows in rows.values() for row in statement_rows]
    for row in old_rows:
        row.status = "superseded"
    session.flush()
    refresh_counts(session, {row.theme_id for row in old_rows})
    return carried
