"""Undo: the last decision that is not itself an undo or already undone is reversed by a new
decision that restores its `before` snapshot. Nothing in the log is rewritten.

An undo is refused when what the decision touched has changed since (a later run re-suggested
a statement, say): restoring then would silently throw that change away.

Undoing a memo on a statement whose transcript has since been replaced by a new version withdraws
the copies of the memo that the new versions carried too (pipeline/versions.py), and logs them.
"""

from __future__ import annotations

import json

from qualflow.models import Decision, Memo
from qualflow.models.codebook import refresh_counts
from qualflow.pipeline.persist import refresh_exemplars
from qualflow.pipeline.versions import carried_copies
from qualflow.review.actions import ConflictError, ReviewError, bump_versions
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


def _copies_to_withdraw(session: Session, snapshot: dict) -> list[int]:
    """The live carried copies of the memos that restoring `snapshot` withdraws."""
    ids: list[int] = []
    for memo_id, fields in snapshot.get("memos", {}).items():
        memo = session.get(Memo, int(memo_id))
        if memo is not None and fields["withdrawn"] and not memo.withdrawn:
            ids += [copy.id for copy in carried_copies(session, memo)]
    return ids


def undo(session: Session, reviewer: str, decision_id: int | None = None) -> Decision:
    """Undo the newest undoable decision. With `decision_id` (what an Undo button offered), only
    if that is still the newest: another reviewer's later decision, or this same undo sent twice,
    must not be what gets reversed."""
    target = last_undoable(session)
    if decision_id is not None and (target is None or target.id != int(decision_id)):
        offered = session.get(Decision, int(decision_id))
        if offered is None:
            raise ReviewError(f"there is no decision #{decision_id}")
        if session.scalar(select(Decision.id).where(Decision.undoes_id == offered.id)) is not None:
            why = f"decision #{offered.id} ({offered.summary}) is already undone."
        elif target is None or offered.action == "undo":
            why = f"decision #{offered.id} ({offered.summary}) cannot be undone."
        else:
            why = (f"decision #{offered.id} ({offered.summary}) is no longer the newest: #{target.id} by "
                   f"{target.reviewer}, {target.summary} ({target.at:%Y-%m-%d %H:%M} UTC), came since.")
        raise ConflictError(f"Conflict: the decisions changed meanwhile; {why} Nothing was undone; "
                            "reload the page to see the newest decision, then undo again if you still want to.")
    if target is None:
        raise ReviewError("there is no decision to undo")
    if not reviewer:
        raise ReviewError("a decision needs a reviewer name")
    now = capture(session, **_entities(target.after))
    if not _same(now, target.after):
        raise ReviewError(f"cannot undo decision #{target.id} ({target.summary}): what it changed has changed "
                          "since (another decision or a batch run); make the change back by hand")
    copies = _copies_to_withdraw(session, target.before)
    if copies:
        now["memos"].update(capture(session, memos=copies)["memos"])
    restore(session, target.before)
    for memo_id in copies:
        session.get(Memo, memo_id).withdrawn = True
    touched = _entities(target.before)
    touched["memos"] += copies
    refresh_counts(session, touched["themes"])
    refresh_exemplars(session, touched["themes"])  # derived like the counts: quotes that left are replaced
    # Restoring assignments does not update the themes' rows: a new version makes forms from before
    # the undo a conflict (see actions.bump_versions).
    bump_versions(session, touched["themes"])
    decision = Decision(reviewer=reviewer, action="undo", summary=f"undid #{target.id}: {target.summary}",
                        theme_ids=target.theme_ids, statement_ids=target.statement_ids, before=now,
                        after=capture(session, **touched), undoes_id=target.id)
    session.add(decision)
    session.flush()
    return decision
