"""Snapshots of what a decision touches, so the log holds before/after and an undo restores before.

A snapshot is plain JSON: {"themes": {id: fields}, "statements": {id: fields + assignments},
"memos": {id: fields}}. Sizes and participant lists are derived, not snapshotted: they are
recomputed after every change (`refresh_counts`).
"""

from __future__ import annotations

from qualflow.models import Memo, Statement, Suggestion, Theme
from qualflow.models.queries import ACTIVE_ASSIGNMENT
from sqlalchemy import select
from sqlalchemy.orm import Session

# Not theme_set_id or number: a run between a decision and its undo may have carried the theme forward.
THEME_FIELDS = ("status", "label", "description", "reviewer_fields", "parent_id", "merged_into_id", "code", "level")
ASSIGNMENT_FIELDS = ("theme_id", "status", "similarity", "outlier", "weak_fit")


def theme_state(theme: Theme) -> dict:
    return {field: getattr(theme, field) for field in THEME_FIELDS}


def statement_state(session: Session, statement: Statement) -> dict:
    rows = session.scalars(select(Suggestion).where(Suggestion.statement_id == statement.id)
                           .order_by(Suggestion.theme_id))
    return {"significant": statement.significant, "excluded_reason": statement.excluded_reason,
            "assignments": [{field: getattr(row, field) for field in ASSIGNMENT_FIELDS} for row in rows]}


def capture(session: Session, themes=(), statements=(), memos=()) -> dict:
    """The state of these entities. Statements and memos deleted because their participant withdrew
    are left out: a decision that touched them can no longer be undone, and undo passes over it
    (review/undo.py `_touched_withdrawn`)."""
    session.flush()
    found_statements = {i: session.get(Statement, i) for i in sorted(set(statements))}
    found_memos = {i: session.get(Memo, i) for i in sorted(set(memos))}
    return {
        "themes": {str(i): theme_state(session.get(Theme, i)) for i in sorted(set(themes))},
        "statements": {str(i): statement_state(session, s) for i, s in found_statements.items() if s is not None},
        "memos": {str(i): {"withdrawn": m.withdrawn} for i, m in found_memos.items() if m is not None},
    }


def restore(session: Session, snapshot: dict) -> None:
    """Put every entity in `snapshot` back as it was recorded."""
    for theme_id, fields in snapshot.get("themes", {}).items():
        theme = session.get(Theme, int(theme_id))
        for field, value in fields.items():
            setattr(theme, field, value)
    for statement_id, fields in snapshot.get("statements", {}).items():
        statement = session.get(Statement, int(statement_id))
        if statement is None:  # deleted since: its participant withdrew (pipeline/withdraw.py)
            continue
        statement.significant, statement.excluded_reason = fields["significant"], fields["excluded_reason"]
        for row in session.scalars(select(Suggestion).where(Suggestion.statement_id == statement.id)):
            session.delete(row)
        session.flush()
        # A statement of a replaced transcript version places nothing, even when an old decision is undone.
        superseded = statement.transcript.superseded_by_id is not None
        for row in fields["assignments"]:
            if superseded and row["status"] in ACTIVE_ASSIGNMENT:
                row = {**row, "status": "superseded"}
            session.add(Suggestion(statement_id=statement.id, **row))
    for memo_id, fields in snapshot.get("memos", {}).items():
        memo = session.get(Memo, int(memo_id))
        if memo is not None:  # a memo on a withdrawn participant's statement is deleted with it
            memo.withdrawn = fields["withdrawn"]
    session.flush()

