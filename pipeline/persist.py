"""Writing pipeline results into the store, and reading back what the next step needs.

Writes are idempotent: a transcript is stored once per content hash, a theme set once per
fingerprint, so running the same folder twice stores nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass

from qualflow.models import Pseudonym, Replacement, Statement, Suggestion, Theme, ThemeSet, Transcript, Turn
from qualflow.pipeline.describe import ThemeDescription
from qualflow.pipeline.ingest import Document
from qualflow.pipeline.segment import StatementSpan
from qualflow.pipeline.turns import ParsedTurns
from sqlalchemy import select
from sqlalchemy.orm import Session


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_name(session: Session, content_hash: str) -> str | None:
    """The source name under which this content is already stored, or None."""
    return session.scalar(select(Transcript.source_name).where(Transcript.content_hash == content_hash))


def load_key_map(session: Session) -> dict[tuple[str, str], str]:
    return {(p.kind, p.real): p.placeholder for p in session.scalars(select(Pseudonym))}


@dataclass(frozen=True)
class ReplacementRecord:
    start: int
    end: int
    placeholder: str
    kind: str
    found_by: str


def store_transcript(
    session: Session,
    document: Document,
    text: str,
    parsed: ParsedTurns,
    language: str,
    statements: list[StatementSpan],
    exclusions: list[str | None],
    replacements: list[ReplacementRecord] = (),
    new_pseudonyms: dict[tuple[str, str], str] | None = None,
) -> Transcript | None:
    """Store one transcript (its de-identified `text`) with turns, statements and key-map
    entries, in the caller's transaction; None if this content was stored before."""
    if stored_name(session, document.content_hash) is not None:
        return None
    for (kind, real), placeholder in (new_pseudonyms or {}).items():
        session.add(Pseudonym(kind=kind, real=real, placeholder=placeholder))
    participants = sorted({t.participant for t in parsed.turns if t.participant})
    transcript = Transcript(
        content_hash=document.content_hash,
        source_name=document.source_name,
        source_format=getattr(document, "format", "txt"),
        language=language,
        participant=participants[0] if len(participants) == 1 else parsed.header.get("participant"),
        text=text,
        meta=dict(parsed.header),
    )
    session.add(transcript)
    session.flush()
    for replacement in replacements:
        session.add(Replacement(transcript_id=transcript.id, start=replacement.start, end=replacement.end,
                                placeholder=replacement.placeholder, kind=replacement.kind,
                                found_by=replacement.found_by))
    turns = []
    for span in parsed.turns:
        turn = Turn(
            transcript_id=transcript.id, index=span.index, role=span.role, speaker_label=span.speaker_label,
            participant=span.participant, start=span.start, end=span.end, meta=dict(span.meta),
        )
        session.add(turn)
        turns.append(turn)
    session.flush()
    for index, (span, reason) in enumerate(zip(statements, exclusions)):
        session.add(
            Statement(
                transcript_id=transcript.id, turn_id=turns[span.turn_index].id, index=index,
                start=span.start, end=span.end, text=span.text, text_hash=text_hash(span.text),
                language=span.language, tokens=span.tokens, participant=turns[span.turn_index].participant,
                significant=reason is None, excluded_reason=reason,
            )
        )
    session.flush()
    return transcript


def significant_statements(session: Session) -> list[Statement]:
    return list(
        session.scalars(select(Statement).where(Statement.significant.is_(True)).order_by(Statement.id))
    )


def clustering_fingerprint(ids: list[int], text_hashes: list[str], encoder_id: str, settings: dict) -> str:
    payload = json.dumps(
        {"statements": sorted(h + str(i) for i, h in zip(ids, text_hashes)), "encoder": encoder_id,
         "settings": settings},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Assignment:
    theme_number: int  # 0-based
    similarity: float
    outlier: bool
    weak_fit: bool


@dataclass(frozen=True)
class ClusteredGroup:
    """The themes found in one group of statements: the whole study, or one survey question."""

    question: str | None
    statements: list[Statement]
    assignments: list[Assignment]
    subcategories: list[ThemeDescription]
    themes: list[ThemeDescription]
    parents: list[int]  # parents[k]: the theme of subcategory k


def store_theme_set(session: Session, fingerprint: str, encoder_id: str, settings: dict,
                    groups: list[ClusteredGroup]) -> ThemeSet:
    """Store each group's themes and subcategories, and one suggestion per statement, into its
    subcategory. With questions, codes carry the question's number: "Q2-T1.3"."""
    theme_set = ThemeSet(fingerprint=fingerprint, encoder_id=encoder_id, settings=settings,
                         n_statements=sum(len(g.statements) for g in groups))
    session.add(theme_set)
    session.flush()
    number = 0
    for q, group in enumerate(groups, start=1):
        prefix = f"Q{q}-" if group.question is not None else ""
        sizes = Counter(a.theme_number for a in group.assignments)

        def record(description: ThemeDescription, code: str, level: str, size: int, parent=None) -> Theme:
            nonlocal number
            number += 1
            theme = Theme(
                theme_set_id=theme_set.id, number=number, code=prefix + code, level=level, parent_id=parent,
                question=group.question, label=description.label, keywords=description.keywords,
                exemplar_statement_ids=[group.statements[i].id for i in description.exemplars], size=size,
                participants=description.participants, cohesion=round(description.cohesion, 4),
            )
            session.add(theme)
            return theme

        top = [record(d, f"T{t + 1}", "theme", sum(sizes[k] for k, p in enumerate(group.parents) if p == t))
               for t, d in enumerate(group.themes)]
        session.flush()
        below: Counter = Counter()
        subs = []
        for k, description in enumerate(group.subcategories):  # largest first: T1.1 is T1's largest
            parent = group.parents[k]
            below[parent] += 1
            subs.append(record(description, f"T{parent + 1}.{below[parent]}", "subcategory", sizes[k], top[parent].id))
        session.flush()
        for statement, assignment in zip(group.statements, group.assignments):
            session.add(Suggestion(theme_id=subs[assignment.theme_number].id, statement_id=statement.id,
                                   similarity=round(float(assignment.similarity), 4), outlier=assignment.outlier,
                                   weak_fit=assignment.weak_fit))
        session.flush()
    return theme_set
