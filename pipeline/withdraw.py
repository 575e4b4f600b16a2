"""A participant withdraws consent: their words leave the study, and later runs keep them out.

`qualflow withdraw P3` deletes, for every version of every file they speak in:
- a file that is theirs alone (no other participant speaks in it): the whole transcript, its
  turns, statements, replacements, the manual codings on it;
- a file others speak in too (a focus group, a couple): their turns only. Their words in the
  stored text are overwritten in place with spaces (so every other statement's offsets stay
  right), and their statements, replacements and overlapping manual codings are deleted;
- with their statements: assignments, memos on them, and cached vectors no other statement uses;
- key-map entries (real name -> placeholder) that only the deleted material used.

Themes keep their ids and every reviewer decision; their sizes, participants and exemplar quotes are
recomputed. The decision log is append-only and holds ids, not text, so it stays as it was; undoing a
decision skips statements that no longer exist (review/state.py).

A `Withdrawal` row keeps the participant's id and the hashes of the removed files, so a later run
skips those files if they are still in the inbox, and drops this participant's turns from any new
file (`drop_withdrawn_turns`). Nothing outside the study database is touched: reports and exports
written before, and the files in the inbox, are the researcher's to delete.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from qualflow.models import (
    Embedding,
    Memo,
    Pseudonym,
    Replacement,
    Statement,
    Suggestion,
    Theme,
    Transcript,
    Turn,
    Withdrawal,
)
from qualflow.models.codebook import refresh_counts
from qualflow.models.coding import ManualCoding
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session


def name_hash(source_name: str) -> str:
    return hashlib.sha256(f"withdrawn-file:{source_name}".encode()).hexdigest()


@dataclass
class WithdrawalPlan:
    """What withdrawing `participant` deletes: shown before anything is deleted."""

    participant: str
    whole: list[int] = field(default_factory=list)  # transcripts deleted entirely (all versions)
    partial: list[int] = field(default_factory=list)  # transcripts that lose only this participant's turns
    statements: int = 0
    assigned: int = 0  # of those statements, how many sit in a theme
    themes: int = 0  # themes that lose statements

    @property
    def empty(self) -> bool:
        return not self.whole and not self.partial


def study_participant(session: Session, who: str) -> str | None:
    """The study's id for `who`: an id as the study shows it (P3, [PERSON_2]), or a real name the key
    map holds (the researcher may know the person only by name). None when neither is known."""
    who = who.strip()
    known = select(Turn.participant).where(Turn.participant == who).limit(1)
    if session.scalar(known) is not None:
        return who
    placeholder = session.scalar(select(Pseudonym.placeholder).where(
        Pseudonym.kind == "PERSON", func.lower(Pseudonym.real) == who.lower()))
    if placeholder and session.scalar(select(Turn.participant).where(Turn.participant == placeholder).limit(1)):
        return placeholder
    return None


def plan_withdrawal(session: Session, participant: str) -> WithdrawalPlan:
    plan = WithdrawalPlan(participant)
    touched = set(session.scalars(select(Turn.transcript_id).where(Turn.participant == participant)))
    for transcript_id in sorted(touched):
        others = session.scalar(select(func.count()).select_from(Turn).where(
            Turn.transcript_id == transcript_id, Turn.role == "participant",
            or_(Turn.participant.is_(None), Turn.participant != participant)))
        (plan.partial if others else plan.whole).append(transcript_id)
    # Every version of a file that is theirs alone goes: versions point at each other.
    plan.whole = sorted(_with_versions(session, plan.whole))
    plan.partial = sorted(set(plan.partial) - set(plan.whole))
    statement_ids = _statements(session, plan)
    plan.statements = len(statement_ids)
    active = session.execute(select(Suggestion.statement_id, Suggestion.theme_id).where(
        Suggestion.statement_id.in_(statement_ids), Suggestion.status.in_(("suggested", "confirmed")))).all()
    plan.assigned = len({s for s, _ in active})
    plan.themes = len({t for _, t in active})
    return plan


def _with_versions(session: Session, transcript_ids: list[int]) -> set[int]:
    found, todo = set(), list(transcript_ids)
    while todo:
        transcript = session.get(Transcript, todo.pop())
        if transcript is None or transcript.id in found:
            continue
        found.add(transcript.id)
        todo += [i for i in (transcript.previous_version_id, transcript.superseded_by_id) if i]
    return found


def _statements(session: Session, plan: WithdrawalPlan) -> list[int]:
    return list(session.scalars(select(Statement.id).where(or_(
        Statement.transcript_id.in_(plan.whole),
        Statement.turn_id.in_(select(Turn.id).where(Turn.transcript_id.in_(plan.partial),
                                                    Turn.participant == plan.participant))))))


def withdraw(session: Session, plan: WithdrawalPlan) -> dict:
    """Delete what `plan` lists, in the caller's transaction; returns the counts deleted."""
    statement_ids = _statements(session, plan)
    candidates = _placeholders_in(session, plan)
    theme_ids = set(session.scalars(select(Suggestion.theme_id).where(Suggestion.statement_id.in_(statement_ids))))
    hashes = set(session.scalars(select(Statement.text_hash).where(Statement.id.in_(statement_ids))))
    removed_files = [session.get(Transcript, i) for i in plan.whole]
    counts = {"transcripts": len(plan.whole), "transcripts_edited": len(plan.partial),
              "statements": len(statement_ids), "themes_touched": len(theme_ids)}

    counts["memos"] = session.execute(delete(Memo).where(Memo.statement_id.in_(statement_ids))).rowcount
    session.execute(delete(Suggestion).where(Suggestion.statement_id.in_(statement_ids)))
    counts["manual_codings"] = _delete_codings(session, plan)
    for transcript_id in plan.partial:
        _blank_turns(session, transcript_id, plan.participant)
    session.execute(delete(Statement).where(Statement.id.in_(statement_ids)))
    session.execute(delete(Turn).where(or_(
        Turn.transcript_id.in_(plan.whole),
        (Turn.transcript_id.in_(plan.partial)) & (Turn.participant == plan.participant))))
    session.execute(delete(Replacement).where(Replacement.transcript_id.in_(plan.whole)))
    # Versions point at each other: unhook them before deleting the rows.
    session.execute(update(Transcript).where(Transcript.id.in_(plan.whole))
                    .values(previous_version_id=None, superseded_by_id=None))
    session.execute(delete(Transcript).where(Transcript.id.in_(plan.whole)))
    still_used = set(session.scalars(select(Statement.text_hash).where(Statement.text_hash.in_(sorted(hashes)))))
    counts["vectors"] = session.execute(delete(Embedding).where(
        Embedding.text_hash.in_(sorted(hashes - still_used)))).rowcount
    counts["key_map_entries"] = _forget_pseudonyms(session, candidates)
    session.expire_all()
    _refresh_themes(session, theme_ids, set(statement_ids))
    session.add(Withdrawal(participant=plan.participant, counts=counts,
                           content_hashes=sorted(t.content_hash for t in removed_files),
                           name_hashes=sorted({name_hash(t.source_name) for t in removed_files})))
    session.flush()
    return counts


def _turn_spans(session: Session, transcript_id: int, participant: str) -> list[tuple[int, int]]:
    return [(start, end) for start, end in session.execute(select(Turn.start, Turn.end).where(
        Turn.transcript_id == transcript_id, Turn.participant == participant))]


def _blank_turns(session: Session, transcript_id: int, participant: str) -> None:
    """Overwrite the participant's turns with spaces (line breaks kept): same length, so the offsets of
    every other turn, statement and replacement still point at the same words."""
    transcript = session.get(Transcript, transcript_id)
    text = list(transcript.text)
    for start, end in _turn_spans(session, transcript_id, participant):
        text[start:end] = [c if c == "\n" else " " for c in text[start:end]]
        session.execute(delete(Replacement).where(Replacement.transcript_id == transcript_id,
                                                  Replacement.start < end, Replacement.end > start))
    transcript.text = "".join(text)


def _delete_codings(session: Session, plan: WithdrawalPlan) -> int:
    deleted = session.execute(delete(ManualCoding).where(ManualCoding.transcript_id.in_(plan.whole))).rowcount
    for transcript_id in plan.partial:
        for start, end in _turn_spans(session, transcript_id, plan.participant):
            deleted += session.execute(delete(ManualCoding).where(
                ManualCoding.transcript_id == transcript_id, ManualCoding.start < end,
                ManualCoding.end > start)).rowcount
    return deleted


def _placeholders_in(session: Session, plan: WithdrawalPlan) -> set[str]:
    """Placeholders the deleted material holds: the participant's own, and every replacement in it."""
    found = {plan.participant}
    found |= set(session.scalars(select(Replacement.placeholder).where(Replacement.transcript_id.in_(plan.whole))))
    for transcript_id in plan.partial:
        for start, end in _turn_spans(session, transcript_id, plan.participant):
            found |= set(session.scalars(select(Replacement.placeholder).where(
                Replacement.transcript_id == transcript_id, Replacement.start < end, Replacement.end > start)))
    return found


def _forget_pseudonyms(session: Session, candidates: set[str]) -> int:
    """Delete the key-map entries among `candidates` nothing left in the study uses: no replacement,
    no participant id and no stored file name (exports replace names in file names with the key map)."""
    candidates = sorted(candidates)
    used = set(session.scalars(select(Replacement.placeholder).where(Replacement.placeholder.in_(candidates))))
    used |= set(session.scalars(select(Turn.participant).where(Turn.participant.in_(candidates))))
    names = [n.lower() for n in session.scalars(select(Transcript.source_name))]
    forgotten = 0
    for entry in session.scalars(select(Pseudonym).where(Pseudonym.placeholder.in_(sorted(set(candidates) - used)))).all():
        if any(entry.real.lower() in name for name in names):
            continue
        session.delete(entry)
        forgotten += 1
    session.flush()
    return forgotten


def _refresh_themes(session: Session, theme_ids: set[int], deleted: set[int]) -> None:
    """Recount the themes that lost statements; drop deleted quotes from every theme's exemplars (a
    theme's exemplars come from its subcategories' statements, and older theme sets keep theirs)."""
    for theme in session.scalars(select(Theme)):
        kept = [i for i in theme.exemplar_statement_ids or [] if i not in deleted]
        if kept != list(theme.exemplar_statement_ids or []):
            theme.exemplar_statement_ids = kept
    refresh_counts(session, theme_ids)


def withdrawn_file(session: Session, content_hash: str, source_name: str) -> bool:
    """Whether a file read now was removed by a withdrawal (same content, or same name)."""
    for hashes, names in session.execute(select(Withdrawal.content_hashes, Withdrawal.name_hashes)).all():
        if content_hash in hashes or name_hash(source_name) in names:
            return True
    return False


def withdrawn_participants(session: Session) -> set[str]:
    return set(session.scalars(select(Withdrawal.participant)))


def drop_withdrawn_turns(redacted, spans: list, exclusions: list, withdrawn: set[str]):
    """A new file's de-identified text, turns and statements without the turns of withdrawn
    participants: their words blanked in place (offsets of the rest unchanged), their turns,
    statements and replacements left out. Returns (redacted, spans, exclusions, turns dropped)."""
    from dataclasses import replace

    turns = redacted.parsed.turns
    gone = {i for i, turn in enumerate(turns) if turn.participant in withdrawn}
    if not gone:
        return redacted, spans, exclusions, 0
    text = list(redacted.text)
    for i in gone:
        text[turns[i].start:turns[i].end] = [c if c == "\n" else " " for c in text[turns[i].start:turns[i].end]]
    position = {old: new for new, old in enumerate(i for i in range(len(turns)) if i not in gone)}
    kept = [(replace(span, turn_index=position[span.turn_index]), reason)
            for span, reason in zip(spans, exclusions, strict=True) if span.turn_index not in gone]
    blanked = [(turns[i].start, turns[i].end) for i in gone]
    replacements = [r for r in redacted.replacements
                    if not any(r.start < end and r.end > start for start, end in blanked)]
    parsed = replace(redacted.parsed, turns=[turn for i, turn in enumerate(turns) if i not in gone])
    redacted = replace(redacted, text="".join(text), parsed=parsed, replacements=replacements)
    return redacted, [span for span, _ in kept], [reason for _, reason in kept], len(gone)
