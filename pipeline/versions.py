"""Versions of a transcript: an edited file replaces its earlier version, keeping the reviews.

A file is recognised by its name (`Transcript.source_name`), its content by the hash of its text.
New content under a known name is that file's next version. It is stored in full (its offsets
point into its own text) and linked to the version it replaces; the replaced version stays in the
store as history, but nothing live reads it (models.queries.live_transcripts).

What reviewers decided about a statement carries over to its twin in the new version: confirmed
and rejected assignments, a "not significant" mark and memos. Twins are the same passage in both
versions (`twins`): the same text where the two versions align, or wording changed a little (a typo
fixed) in a stretch that changed. A statement rewritten beyond that has no twin, and the run says how
many decisions stayed on the old version (`decisions_left_behind`). No Decision is written: the log records what reviewers did,
and a new file version is not a reviewer's act; the copies repeat decisions already logged.

A plain suggestion (never reviewed) of a statement with a twin carries over too, when its theme is
a live theme of the current theme set: otherwise the twin would have no assignment row, and the
next run would take it for a new statement (pipeline/place.py) and place it again, maybe
elsewhere, and count it toward the share of new statements that calls for a re-clustering.

A carried memo is a copy (same reviewer, text and time) on the twin; when an undo withdraws the
original, `carried_copies` finds the copies to withdraw with it (review/undo.py).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from difflib import SequenceMatcher

from qualflow.models import Memo, Statement, Suggestion, Transcript
from qualflow.models.codebook import refresh_counts
from qualflow.models.queries import (
    ACTIVE_ASSIGNMENT,
    NOT_SIGNIFICANT,
    current_themes,
    live_transcripts,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

# What a reviewer decided about an assignment; carried whatever theme it names.
CARRIED_STATUSES = ("confirmed", "rejected")
# The clusterer's (or a placement's) unreviewed suggestion; carried only into a live theme of the current set.
SUGGESTED = "suggested"


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
    """Each old statement beside the new one that is the same passage, both lists in document order.

    1. Identical texts, aligned in order (difflib over the text hashes): a sentence added earlier in
       the file ("It builds up quietly." said twice) does not take the decisions of the one further on.
    2. In a stretch that changed, a statement whose wording changed a little (at least EDITED_TWIN of
       its characters the same) is the same passage: a typo fixed, a word inserted. Decisions stay on
       a passage through an edit, as coding does in NVivo or ATLAS.ti.
    3. Identical texts the alignment left apart (a paragraph moved elsewhere) pair k-th with k-th."""
    matcher = SequenceMatcher(None, [s.text_hash for s in old], [s.text_hash for s in new], autojunk=False)
    pairs: list[tuple[Statement, Statement]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += zip(old[i1:i2], new[j1:j2])
        elif tag == "replace":
            pairs += _edited_twins(old[i1:i2], new[j1:j2])
    paired_old, paired_new = {a.id for a, _ in pairs}, {b.id for _, b in pairs}
    waiting: dict[str, list[Statement]] = defaultdict(list)
    for statement in old:
        if statement.id not in paired_old:
            waiting[statement.text_hash].append(statement)
    for statement in new:
        if statement.id not in paired_new and waiting[statement.text_hash]:
            pairs.append((waiting[statement.text_hash].pop(0), statement))
    return pairs


# How much of a statement's wording may change for it to stay the same passage (difflib's ratio), and
# how many new statements past the last pair an old one is looked for among (a changed stretch can be long).
EDITED_TWIN = 0.8
_LOOK_AHEAD = 8


def _edited_twins(old: list[Statement], new: list[Statement]) -> list[tuple[Statement, Statement]]:
    """In one changed stretch, old and new statements paired in order where their wording is close."""
    pairs, start = [], 0
    for before in old:
        for j in range(start, min(len(new), start + _LOOK_AHEAD)):
            if before.text_hash != new[j].text_hash and _close(before.text, new[j].text):
                pairs.append((before, new[j]))
                start = j + 1
                break
    return pairs


def _close(a: str, b: str) -> bool:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.real_quick_ratio() >= EDITED_TWIN and matcher.quick_ratio() >= EDITED_TWIN \
        and matcher.ratio() >= EDITED_TWIN


def _carry(session: Session, before: Statement, after: Statement, rows: list[Suggestion], memos: list[Memo],
           carried: dict[str, int], live_themes: set[int], taken: set[tuple[int, int]], placed: set[int],
           noted: set[tuple]) -> None:
    """Put what reviewers decided about `before` on its twin `after`, and its live plain suggestion
    when the text is the same (an edited twin is placed afresh by the next placement). `taken` holds the (statement, theme) pairs that have a row, `placed` the
    statements with an active row, `noted` the (statement, reviewer, text, time) of live memos:
    nothing is carried onto a twin twice, and a statement keeps one active row at most."""
    if before.excluded_reason == NOT_SIGNIFICANT and after.significant:
        after.significant, after.excluded_reason = False, NOT_SIGNIFICANT
        carried["not_significant"] += 1
    for row in rows:
        if (after.id, row.theme_id) in taken or (row.status in ACTIVE_ASSIGNMENT and after.id in placed):
            continue
        # A confirmed place needs a clustered statement; a rejection is a record and always carries.
        if row.status in CARRIED_STATUSES and (after.significant or row.status == "rejected"):
            key = "assignments"
        elif row.status == SUGGESTED and after.significant and row.theme_id in live_themes and \
                before.text_hash == after.text_hash:  # an edited statement is placed afresh, on its new vectors
            key = "suggestions"
        else:
            continue
        session.add(Suggestion(theme_id=row.theme_id, statement_id=after.id, similarity=row.similarity,
                               outlier=row.outlier, weak_fit=row.weak_fit, status=row.status,
                               offered_after_decision=row.offered_after_decision))
        taken.add((after.id, row.theme_id))
        if row.status in ACTIVE_ASSIGNMENT:
            placed.add(after.id)
        carried[key] += 1
    for memo in memos:
        if (after.id, memo.reviewer, memo.text, memo.created_at) in noted:
            continue
        session.add(Memo(statement_id=after.id, reviewer=memo.reviewer, text=memo.text, created_at=memo.created_at))
        noted.add((after.id, memo.reviewer, memo.text, memo.created_at))
        carried["memos"] += 1


def supersede(session: Session, old: Transcript, new: Transcript) -> dict[str, int]:
    """Make `new` the live version in place of `old` and carry the reviews and live plain
    suggestions of statements that have a twin (`twins`); returns how many reviewed assignments ("assignments"),
    plain suggestions, not-significant marks and memos were carried."""
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
    new_statements = _statements(session, new.id)
    existing = list(session.execute(select(Suggestion.statement_id, Suggestion.theme_id, Suggestion.status)
                                    .where(Suggestion.statement_id.in_([s.id for s in new_statements]))))
    taken = {(statement_id, theme_id) for statement_id, theme_id, _ in existing}
    placed = {statement_id for statement_id, _, status in existing if status in ACTIVE_ASSIGNMENT}
    noted = {(m.statement_id, m.reviewer, m.text, m.created_at) for m in session.scalars(
        select(Memo).where(Memo.statement_id.in_([s.id for s in new_statements]), Memo.withdrawn.is_(False)))}
    live_themes = {theme.id for theme in current_themes(session)}
    carried = {"assignments": 0, "suggestions": 0, "not_significant": 0, "memos": 0}
    for before, after in twins(old_statements, new_statements):
        _carry(session, before, after, rows[before.id], memos[before.id], carried, live_themes, taken, placed,
               noted)
    # Every old row, plain suggestions included (carried or not), is marked rather than deleted: what the old
    # version's codebook looked like stays readable, and an undo of a decision made on the old
    # version sees that its rows changed since and is refused (review/state.restore also keeps
    # a superseded statement's restored rows superseded).
    old_rows = [row for statement_rows in rows.values() for row in statement_rows]
    for row in old_rows:
        row.status = "superseded"
    session.flush()
    refresh_counts(session, {row.theme_id for row in old_rows})
    return carried


def decisions_per_statement(session: Session, transcript_id: int) -> dict[int, int]:
    """How many reviewers' decisions each decided statement of a transcript holds: confirmed or
    rejected assignments, a not-significant mark, live memos. Read before `supersede`, which marks
    the old rows superseded, so that `decisions_left_behind` can tell what did not carry."""
    ids = [s.id for s in _statements(session, transcript_id)]
    counts: dict[int, int] = defaultdict(int)
    for statement_id in session.scalars(select(Suggestion.statement_id).where(
            Suggestion.statement_id.in_(ids), Suggestion.status.in_(CARRIED_STATUSES))):
        counts[statement_id] += 1
    for statement_id in session.scalars(select(Statement.id).where(
            Statement.id.in_(ids), Statement.excluded_reason == NOT_SIGNIFICANT)):
        counts[statement_id] += 1
    for statement_id in session.scalars(select(Memo.statement_id).where(
            Memo.statement_id.in_(ids), Memo.withdrawn.is_(False))):
        counts[statement_id] += 1
    return dict(counts)


def decisions_left_behind(session: Session, old: Transcript, decisions: dict[int, int]) -> int:
    """Of `decisions` (`decisions_per_statement` of `old`, read before it was superseded), how many
    sit on statements with no twin in the version that replaced it: not carried over, so
    out of every live view (they stay on the old version, as history)."""
    if not decisions or old.superseded_by_id is None:
        return 0
    twinned = {before.id for before, _ in twins(_statements(session, old.id),
                                                 _statements(session, old.superseded_by_id))}
    return sum(count for statement_id, count in decisions.items() if statement_id not in twinned)


def carried_copies(session: Session, memo: Memo) -> list[Memo]:
    """The live copies of a statement memo that later versions of its transcript carried: the memo
    with the same reviewer, text and time on the statement's twin, on that one's twin, and so on."""
    copies: list[Memo] = []
    statement = session.get(Statement, memo.statement_id) if memo.statement_id is not None else None
    while statement is not None and statement.transcript.superseded_by_id is not None:
        statement = _twin_in_next_version(session, statement)
        if statement is None:
            break
        copy = next((m for m in session.scalars(select(Memo).where(Memo.statement_id == statement.id,
                                                                   Memo.withdrawn.is_(False)).order_by(Memo.id))
                     if (m.reviewer, m.text, m.created_at) == (memo.reviewer, memo.text, memo.created_at)), None)
        if copy is None:
            break
        copies.append(copy)
    return copies


def _twin_in_next_version(session: Session, statement: Statement) -> Statement | None:
    """The same passage in the version that replaced the statement's transcript (`twins`), or None."""
    later = {a.id: b for a, b in twins(_statements(session, statement.transcript_id),
                                       _statements(session, statement.transcript.superseded_by_id))}
    return later.get(statement.id)


def live_twin(session: Session, statement: Statement) -> Statement | None:
    """The same passage in the live version of its transcript, followed version by version (where the
    decisions on it were carried), or None when a version rewrote it."""
    while statement is not None and statement.transcript.superseded_by_id is not None:
        statement = _twin_in_next_version(session, statement)
    return statement
