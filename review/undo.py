"""Undo: the last decision that is not itself an undo or already undone is reversed by a new
decision that restores its `before` snapshot. Nothing in the log is rewritten.

An undo is refused when what the decision touched has changed since (a later run re-suggested
a statement, say): restoring then would silently throw that change away.
"""

from __future__ import annotations

import json

from qualflow.models import Decision
from qualflow.models.codebook import refresh_counts
from qualflow.review.actions import ReviewError
from qualflow.review.state import capture, restore
from sqlalchemy import select
from sqlalchemy.orm import Session


def last_undoable(session: Session) -> Decision | None:
    undone = set(session.scalars(select(Decision.undoes_id).where(Decision.undoes_id.is_not(None))))
    for decision in session.scalars(select(Decision).where(Decision.action != "undo").order_by(Decision.id.desc())):
        if decision.id not in undone:
            return decision
    return None


def _entities(snapshot: dict) -> dict:
    return {kind: [int(i) for i in snapshot.get(kind, {})] for kind in ("themes", "statements", "memos")}


def _same(a: dict, b: dict) -> bool:
    return json.loads(json.dumps(a, sort_keys=True)) == json.loads(json.dumps(b, sort_keys=True))


def undo(session: Session, reviewer: str) -> Decision:
    target = last_undoable(session)
    if target is None:
        raise ReviewError("there is no decision to undo")
    if not reviewer:
        raise ReviewError("a decision needs a reviewer name")
    now = capture(session, **_entities(target.after))
    if not _same(now, target.after):
        raise ReviewError(f"cannot undo decision #{target.id} ({target.summary}): what it changed has changed "
                          "since (another decision or a batch run); make the change back by hand")
    restore(session, target.before)
    refresh_counts(session, _entities(target.before)["themes"])
    decision = Decision(reviewer=reviewer, action="undo", summary=f"undid #{target.id}: {target.summary}",
                        theme_ids=target.theme_ids, statement_ids=target.statement_ids, before=now,
                        after=capture(session, **_entities(target.before)), undoes_id=target.id)
    session.add(decision)
    session.flush()
    return decision
