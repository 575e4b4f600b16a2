"""The candidate themes as rows (for the terminal and --json) and as a Markdown report."""

from __future__ import annotations

from datetime import UTC, datetime

from qualflow.models import Pseudonym, Replacement, Statement, Theme, Transcript
from qualflow.models.queries import current_theme_set, current_themes, study_participants, theme_suggestions
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def theme_rows(session: Session) -> list[dict]:
    """One plain dict per current theme, largest first: what `qualflow themes --json` prints."""
    n_participants = len(study_participants(session))
    rows = []
    for theme in current_themes(session):
        exemplars = [session.get(Statement, i) for i in theme.exemplar_statement_ids]
        rows.append(
            {
                "theme": theme.number,
                "label": theme.label,
                "status": theme.status,
                "keywords": theme.keywords,
                "statements": theme.size,
                "participants": theme.participants,
                "participants_covered": f"{len(theme.participants)} of {n_participants}",
                "cohesion": theme.cohesion,
                "exemplars": [
                    {"statement_id": s.id, "participant": s.participant, "text": s.text} for s in exemplars if s
                ],
            }
        )
    return rows


def statement_rows(session: Session, theme: Theme) -> list[dict]:
    """The statements of one theme, each traceable to its transcript and offsets."""
    return [
        {
            "statement_id": suggestion.statement.id,
            "participant": suggestion.statement.participant,
            "transcript": suggestion.statement.transcript.source_name,
            "transcript_id": suggestion.statement.transcript_id,
            "start": suggestion.statement.start,
            "end": suggestion.statement.end,
            "similarity": suggestion.similarity,
            "outlier": suggestion.outlier,
            "weak_fit": suggestion.weak_fit,
            "text": suggestion.statement.text,
        }
        for suggestion in theme_suggestions(session, theme)
    ]


def statement_list(session: Session, significant: bool) -> list[dict]:
    """Statements with their place in the transcripts; excluded ones carry the reason."""
    rows = session.scalars(
        select(Statement).where(Statement.significant.is_(significant))
        .options(selectinload(Statement.transcript)).order_by(Statement.transcript_id, Statement.index)
    )
    return [
        {
            "statement_id": s.id, "participant": s.participant, "transcript": s.transcript.source_name,
            "transcript_id": s.transcript_id, "start": s.start, "end": s.end, "reason": s.excluded_reason,
            "text": s.text,
        }
        for s in rows
    ]


def deidentification_rows(session: Session) -> list[dict]:
    """Each placeholder with the original it replaced, how it was found, and where."""
    originals = {p.placeholder: (p.kind, p.real) for p in session.scalars(select(Pseudonym))}
    grouped: dict[str, dict] = {}
    rows = session.execute(
        select(Replacement.placeholder, Replacement.found_by, Transcript.source_name)
        .join(Transcript, Transcript.id == Replacement.transcript_id)
        .order_by(Replacement.id)
    )
    for placeholder, found_by, source_name in rows:
        kind, real = originals.get(placeholder, ("?", "?"))
        entry = grouped.setdefault(placeholder, {"placeholder": placeholder, "kind": kind, "original": real,
                                                 "found_by": [], "occurrences": 0, "transcripts": []})
        entry["occurrences"] += 1
        if found_by not in entry["found_by"]:
            entry["found_by"].append(found_by)
        if source_name not in entry["transcripts"]:
            entry["transcripts"].append(source_name)
    return sorted(grouped.values(), key=lambda e: (e["kind"], _placeholder_number(e["placeholder"])))


def _placeholder_number(placeholder: str) -> int:
    digits = "".join(ch for ch in placeholder if ch.isdigit())
    return int(digits) if digits else 0


def markdown_report(session: Session, title: str = "qualflow: candidate themes") -> str:
    theme_set = current_theme_set(session)
    rows = theme_rows(session)
    n_participants = len(study_participants(session))
    created = theme_set.created_at if theme_set else datetime.now(UTC)
    lines = [
        f"# {title}",
        "",
        f"Suggestions for a researcher to review, not findings. Made {created:%Y-%m-%d %H:%M} UTC "
        f"with encoder `{theme_set.encoder_id if theme_set else '-'}` from "
        f"{theme_set.n_statements if theme_set else 0} significant statements by {n_participants} participants.",
        "",
        "| # | label | keywords | statements | participants | cohesion |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['theme']} | {_md(row['label'])} | {_md(', '.join(row['keywords'][:6]))} | {row['statements']} "
            f"| {row['participants_covered']} | {row['cohesion']:.2f} |"
        )
    for row in rows:
        lines += ["", f"## Theme {row['theme']}: {_md(row['label'])}", ""]
        lines.append(f"Keywords: {_md(', '.join(row['keywords']))}. "
                     f"{row['statements']} statements from {row['participants_covered']} participants "
                     f"({', '.join(row['participants'])}).")
        lines.append("")
        for exemplar in row["exemplars"]:
            lines.append(f"> {_md(_quote(exemplar['text'], 400))} ({exemplar['participant'] or 'unknown'})")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")
