"""Undo: the last decision that is not itself an undo or already undone is reversed by a new
decision that restores its `before` snapshot. Nothing in the log is rewritten.

An undo is refused when what the decision touched has changed since (a later run re-suggested
a statement, say): restoring then would silently throw that change away.

Undoing a decision that made a theme (a split) withdraws that theme again. Statements a run suggested
into it meanwhile are not in the decision's snapshot: they go back, still suggestions, to the nearest
theme the split took its statements from (the one a reviewer would look in), or, when each of those
once turned the statement down, lose that suggestion so that the next run places them as new
(`_return_offers`). Either way no statement is left in a withdrawn theme, out of every list.

Undoing a memo on a statement whose transcript has since been replaced by a new version withdraws
the copies of the memo that the new versions carried too (pipeline/versions.py), and logs them.

A decision that touched statements a withdrawal deleted (pipeline/withdraw.py) can never be undone:
their ids are never given again. Undo passes over it, saying why, to the next older decision, so one
withdrawal does not block every earlier decision for good. Undoing an older decision past it is
refused when the passed-over decision rests on what the older one changed (`_rests_on`): a theme the
older one made, merged, rejected or moved, or the same statement or memo. Anything else the older
decision touched must be as it left it (`_same`), as for any undo. Before it deletes anything, a
withdrawal lists the decisions it would make permanent so (`made_permanent`).

Summaries quote theme names as they were, but never a withdrawn participant's words: the withdrawal
replaced, in the log, the suggested names it cleared from themes made of their words alone
(pipeline/withdraw.py `_scrub_log`), so an undo's summary, which quotes the undone one, quotes none either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from qualflow.models import Decision, Memo, Statement, Suggestion, Theme, Withdrawal
from qualflow.models.codebook import refresh_counts
from qualflow.models.queries import ACTIVE_ASSIGNMENT, LIVE_STATUSES, current_theme_set
from qualflow.pipeline.cluster import unit_length
from qualflow.pipeline.describe_stored import restore_descriptions
from qualflow.pipeline.persist import refresh_exemplars, stored_vectors
from qualflow.pipeline.place import targets_from
from qualflow.pipeline.versions import carried_copies
from qualflow.review.actions import ConflictError, ReviewError, bump_versions
from qualflow.review.state import THEME_FIELDS, capture, restore
from sqlalchemy import select
from sqlalchemy.orm import Session


def last_undoable(session: Session) -> Decision | None:
    """The decision an undo reverses now (what an Undo button offers)."""
    return _undo_order(session)[0]


def _undo_order(session: Session) -> tuple[Decision | None, list[Decision]]:
    """The newest decision not undone, passing over those a withdrawal made permanent; and the ones
    passed over, newest first."""
    undone = set(session.scalars(select(Decision.undoes_id).where(Decision.undoes_id.is_not(None))))
    passed: list[Decision] = []
    for decision in session.scalars(select(Decision).where(Decision.action != "undo").order_by(Decision.id.desc())):
        if decision.id in undone:
            continue
        if not _touched_withdrawn(session, decision):
            return decision, passed
        passed.append(decision)
    return None, passed


@dataclass
class Permanence:
    """What a withdrawal does to undo, told by decision number and kind only (`_kind`), oldest first."""

    permanent: list[Decision] = field(default_factory=list)  # touch what it deletes: undo passes over them
    # Older decisions one of those rests on (`_rests_on`), each with those resting on it: undo stops there.
    blocked: list[tuple[Decision, list[Decision]]] = field(default_factory=list)
    beyond: list[Decision] = field(default_factory=list)  # older still: undo reaches them only through those

    @property
    def lines(self) -> list[str]:
        """What `qualflow withdraw` prints: decision numbers and kinds, never a summary."""
        if not self.permanent:
            return ["No decision becomes permanent: every decision can still be undone as before."]
        noun, them = ("decision becomes", "it") if len(self.permanent) == 1 else ("decisions become", "them")
        lines = [f"{len(self.permanent)} {noun} permanent: {_kinds_only(self.permanent)} touched their "
                 f"statements, so undo will pass over {them}."]
        lines += [f"{_kind(older)}: {_kinds_only(resting)} acted on what it changed, so it can no longer be "
                  "undone either (make such a change back by hand)." for older, resting in self.blocked]
        if self.beyond:
            lines.append(f"{_kinds_only(self.beyond)}, older, which undo reaches only through those, can no "
                         "longer be undone either.")
        return lines


def made_permanent(session: Session, statements: set[int], memos: set[int]) -> Permanence:
    """What deleting these statements and memos does to undo: the decisions not undone that touched them
    become permanent (those an earlier withdrawal made so are not counted again); an older decision one of
    them rests on can then never be undone, nor anything older, since undo goes back one decision at a time."""
    undone = set(session.scalars(select(Decision.undoes_id).where(Decision.undoes_id.is_not(None))))
    newest_first = session.scalars(select(Decision).where(Decision.action != "undo").order_by(Decision.id.desc()))
    found = Permanence()
    for decision in newest_first:
        if decision.id in undone or _touched_withdrawn(session, decision):
            continue
        _, touched_statements, touched_memos = _names(decision)
        if touched_statements & statements or touched_memos & memos:
            found.permanent.insert(0, decision)
            continue
        resting = [p for p in found.permanent if _rests_on(p, decision)]
        if resting:
            found.blocked.insert(0, (decision, resting))
        elif found.blocked:
            found.beyond.insert(0, decision)
    return found


def _kinds_only(decisions: list[Decision]) -> str:
    return ", ".join(_kind(d) for d in decisions)


def _touched_withdrawn(session: Session, decision: Decision) -> bool:
    """Whether a statement or memo `decision` touched is gone. Only a withdrawal deletes them, and their
    ids are never given again: such a decision can never be undone."""
    _, statements, memos = _names(decision)
    return bool(statements and len(set(session.scalars(select(Statement.id).where(Statement.id.in_(statements)))))
                < len(statements)
                or memos and len(set(session.scalars(select(Memo.id).where(Memo.id.in_(memos))))) < len(memos))


def _names(decision: Decision) -> tuple[set[int], set[int], set[int]]:
    """The themes (parents, merge targets and those its statements sat in included), statements and memos
    `decision` names."""
    themes, statements, memos = set(decision.theme_ids or []), set(decision.statement_ids or []), set()
    for snapshot in (decision.before or {}, decision.after or {}):
        for theme_id, fields in snapshot.get("themes", {}).items():
            themes |= {int(theme_id)} | {fields[key] for key in ("parent_id", "merged_into_id") if fields.get(key)}
        for statement_id, fields in snapshot.get("statements", {}).items():
            statements.add(int(statement_id))
            themes |= {row["theme_id"] for row in fields.get("assignments", [])}
        memos |= {int(i) for i in snapshot.get("memos", {})}
    return themes, statements, memos


# A theme's words: no later decision rests on them, so undoing a rename under a later split is safe.
WORDING = {"label", "description", "reviewer_fields"}


def _reshaped(decision: Decision) -> set[int]:
    """Themes whose place or life undoing `decision` changes: made (withdrawn again), merged, rejected,
    put under another parent, given another code. Accepting (candidate to confirmed) is not one."""
    after = (decision.after or {}).get("themes", {})
    reshaped = set()
    for theme_id, was in (decision.before or {}).get("themes", {}).items():
        now = after.get(theme_id, {})
        changed = {field for field in THEME_FIELDS if was.get(field) != now.get(field)} - WORDING
        if changed == {"status"} and {was.get("status"), now.get("status")} <= set(LIVE_STATUSES):
            changed = set()
        if changed:
            reshaped.add(int(theme_id))
    return reshaped


def _rests_on(later: Decision, earlier: Decision) -> bool:
    """Whether `later` acted on something that undoing `earlier` would change under it."""
    themes, statements, memos = _names(later)
    _, earlier_statements, earlier_memos = _names(earlier)
    return bool(themes & _reshaped(earlier) or statements & earlier_statements or memos & earlier_memos)


def _kind(decision: Decision) -> str:
    """A decision as refusals name it: number and kind, never its summary (which may quote theme names
    made of a withdrawn participant's words)."""
    return f"#{decision.id} ({decision.action})"


def _withdrawn_since(session: Session, decisions: list[Decision], default: str = "a participant") -> str:
    """Who withdrew after the first of `decisions`: only their withdrawal can have deleted what it touched."""
    first = min(_utc(d.at) for d in decisions)
    who = sorted({w.participant for w in session.scalars(select(Withdrawal)) if _utc(w.at) >= first})
    return " or ".join(who) if who else default


def _utc(moment: datetime) -> datetime:
    """SQLite gives back times without their zone (stored in UTC); rows made in this session still have it."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _kinds(decisions: list[Decision]) -> str:
    return ("decision " if len(decisions) == 1 else "decisions ") + ", ".join(_kind(d) for d in decisions)


def _why_permanent(session: Session, passed: list[Decision]) -> str:
    """Why the decisions in `passed` can no longer be undone."""
    they = "it" if len(passed) == 1 else "they"
    return (f"statements {they} touched were deleted when {_withdrawn_since(session, passed)} withdrew "
            "(qualflow withdraw), and such a decision can no longer be undone")


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


def _offers_in_themes_made(session: Session, decision: Decision) -> list[Suggestion]:
    """Active rows in the themes `decision` made (its `before` records them withdrawn) of statements it
    did not snapshot: a run (or a new file version) put them there after the decision."""
    made = [int(i) for i, fields in decision.before.get("themes", {}).items() if fields.get("status") == "withdrawn"]
    if not made:
        return []
    snapshotted = {int(i) for i in decision.before.get("statements", {})}
    return [row for row in session.scalars(select(Suggestion).where(Suggestion.theme_id.in_(made),
                                                                    Suggestion.status.in_(ACTIVE_ASSIGNMENT))
                                           .order_by(Suggestion.statement_id))
            if row.statement_id not in snapshotted]


def _return_offers(session: Session, decision: Decision, rows: list[Suggestion]) -> dict[int | None, list[int]]:
    """Move `rows` (run's offers into a theme the undo withdrew) to the nearest live lowest-level theme
    the decision took statements from that the statement has no row in; delete those with none: with no row
    left the next run places them as new (pipeline/place.py `never_placed`), as it places a rejected theme's
    statements. Returns the statements per theme they went to (None: left for the next run)."""
    current = current_theme_set(session)
    origins = {row["theme_id"] for fields in decision.before.get("statements", {}).values()
               for row in fields["assignments"] if row["status"] in ACTIVE_ASSIGNMENT}
    parents = set(session.scalars(select(Theme.parent_id).where(Theme.parent_id.in_(origins),
                                                                Theme.status.in_(LIVE_STATUSES))))
    origins = {i for i in origins if i not in parents and (theme := session.get(Theme, i)) is not None
               and theme.status in LIVE_STATUSES and current is not None and theme.theme_set_id == current.id}
    members: dict[int, list[int]] = {}
    dense: dict[int, list[int]] = {}  # centres and floors as a run's placement measures them
    for theme_id, statement_id, outlier in session.execute(select(
            Suggestion.theme_id, Suggestion.statement_id, Suggestion.outlier).where(
            Suggestion.theme_id.in_(origins), Suggestion.status.in_(ACTIVE_ASSIGNMENT))):
        members.setdefault(theme_id, []).append(statement_id)
        if not outlier:
            dense.setdefault(theme_id, []).append(statement_id)
    study = stored_vectors(session, current.encoder_id) if current is not None else None
    row_of = {s: i for i, s in enumerate(study[0])} if study else {}
    centres = {t.id: t for t in targets_from(members, dense, {i: None for i in members}, row_of, study[1])} \
        if study else {}
    went: dict[int | None, list[int]] = {}
    for row in list(rows):
        barred = set(session.scalars(select(Suggestion.theme_id).where(Suggestion.statement_id == row.statement_id)))
        allowed = sorted(origins - barred)
        if not allowed:
            went.setdefault(None, []).append(row.statement_id)
            session.delete(row)
            rows.remove(row)
            continue
        vector = unit_length(study[1][row_of[row.statement_id]]) if row.statement_id in row_of else None
        fit = {i: float(vector @ centres[i].centre) for i in allowed if vector is not None and i in centres}
        row.theme_id = max(allowed, key=lambda i: (fit.get(i, -1.0), -i))
        if row.theme_id in fit:
            row.similarity = round(fit[row.theme_id], 4)
            row.weak_fit = bool(fit[row.theme_id] < centres[row.theme_id].floor)
        went.setdefault(row.theme_id, []).append(row.statement_id)
    session.flush()
    return went


def _offers_note(session: Session, went: dict[int | None, list[int]]) -> str:
    """For the undo's summary: where the statements a run suggested into the withdrawn theme went."""
    if not went:
        return ""
    parts = [f"{', '.join(map(str, ids))} suggested in {session.get(Theme, theme_id).code}"
             for theme_id, ids in went.items() if theme_id is not None]
    if went.get(None):
        parts.append(f"{', '.join(map(str, went[None]))} left for the next run to place")
    return "; statements a run suggested into it since: " + "; ".join(parts)


def _passed_note(passed: list[Decision]) -> str:
    """For the undo's summary: the newer decisions it passed over, which stay in force."""
    if not passed:
        return ""
    them = "it" if len(passed) == 1 else "them"
    return f" (passed over {', '.join(_kind(d) for d in passed)}: a withdrawal made {them} permanent)"


def undo(session: Session, reviewer: str, decision_id: int | None = None) -> Decision:
    """Undo the newest undoable decision (passing over those a withdrawal made permanent). With
    `decision_id` (what an Undo button offered), only if that is still the one: another reviewer's
    later decision, or this same undo sent twice, must not be what gets reversed."""
    target, passed = _undo_order(session)
    if decision_id is not None and (target is None or target.id != int(decision_id)):
        offered = session.get(Decision, int(decision_id))
        if offered is None:
            raise ReviewError(f"there is no decision #{decision_id}")
        if offered in passed:
            raise ReviewError(f"cannot undo {_kinds([offered])}: {_why_permanent(session, [offered])}")
        if session.scalar(select(Decision.id).where(Decision.undoes_id == offered.id)) is not None:
            why = f"decision #{offered.id} ({offered.summary}) is already undone."
        elif target is None or offered.action == "undo":
            why = f"decision #{offered.id} ({offered.summary}) cannot be undone."
        else:
            why = (f"decision #{offered.id} ({offered.summary}) is no longer the newest: #{target.id} by "
                   f"{target.reviewer}, {target.summary} ({target.at:%Y-%m-%d %H:%M} UTC), came since.")
        raise ConflictError(f"Conflict: the decisions changed meanwhile; {why} Nothing was undone; "
                            "reload the page to see the newest decision, then undo again if you still want to.")
    if target is None and passed:
        raise ReviewError(f"cannot undo {_kinds(passed)}: {_why_permanent(session, passed)}; "
                          "no earlier decision is left to undo")
    if target is None:
        raise ReviewError("there is no decision to undo")
    if not reviewer:
        raise ReviewError("a decision needs a reviewer name")
    resting = [d for d in passed if _rests_on(d, target)]
    if resting:  # undoing the older one would pull what they rest on from under them
        raise ReviewError(f"cannot undo {_kinds([target])}: {_kinds(resting)}, made after it, acted on what it "
                          f"changed; {_why_permanent(session, resting)}. Make the change back by hand")
    now = capture(session, **_entities(target.after))
    if not _same(now, target.after):
        # A withdrawal since may be the cause too; the summary is then left out, as in every refusal
        # a withdrawal may be behind (its words are out of the log, but the refusal names only the kind).
        since = _withdrawn_since(session, [target], default="")
        named, causes = ((_kind(target), f"another decision, a batch run, or {since}'s withdrawal") if since
                         else (f"#{target.id} ({target.summary})", "another decision or a batch run"))
        raise ReviewError(f"cannot undo decision {named}: what it changed has changed since ({causes}); "
                          "make the change back by hand")
    copies = _copies_to_withdraw(session, target.before)
    if copies:
        now["memos"].update(capture(session, memos=copies)["memos"])
    offers = _offers_in_themes_made(session, target)
    offered = sorted({row.statement_id for row in offers})
    if offered:
        now["statements"].update(capture(session, statements=offered)["statements"])
    restore(session, target.before)
    restore_descriptions(session, target.before.get("described", {}))
    for memo_id in copies:
        session.get(Memo, memo_id).withdrawn = True
    touched = _entities(target.before)
    touched["memos"] += copies
    touched["statements"] += offered
    went = _return_offers(session, target, offers) if offers else {}
    returned_to = {i for i in went if i is not None}
    touched["themes"] = sorted(set(touched["themes"]) | returned_to)
    refresh_counts(session, touched["themes"])
    refresh_exemplars(session, touched["themes"])  # derived like the counts: quotes that left are replaced
    # Restoring assignments does not update the themes' rows: a new version makes forms from before
    # the undo a conflict (see actions.bump_versions).
    bump_versions(session, touched["themes"])
    decision = Decision(reviewer=reviewer, action="undo",
                        summary=(f"undid #{target.id}: {target.summary}{_offers_note(session, went)}"
                                 f"{_passed_note(passed)}"),
                        theme_ids=sorted(set(target.theme_ids or []) | returned_to) if returned_to
                        else target.theme_ids,
                        statement_ids=sorted(set(target.statement_ids or []) | set(offered)) if offered
                        else target.statement_ids, before=now,
                        after=capture(session, **touched), undoes_id=target.id)
    session.add(decision)
    session.flush()
    # Still a run's offer, not a reviewer's, though this undo names their new theme: the next clustering
    # may offer them anew (pipeline/persist.py `_codebook` pins offers older than a decision on the theme).
    for row in offers:  # those left for the next run were deleted and taken out of `offers`
        row.offered_after_decision = decision.id
    session.flush()
    return decision
