"""The candidate themes as rows (for the terminal and --json) and as a Markdown report."""

from __future__ import annotations

from datetime import UTC, datetime

from qualflow.models import Statement, Theme
from qualflow.models.queries import current_theme_set, current_themes, study_participants, theme_suggestions
from sqlalchemy.orm import Session


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
