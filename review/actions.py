"""Reviewer actions. Each one changes the codebook and appends one Decision to the log.

Every action goes through `_decide`: it checks the theme versions the reviewer saw, snapshots
what it will touch, makes the change, snapshots again and writes the decision. The web app
and the CLI call these functions and nothing else, so both leave the same trail.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from qualflow.models import Decision, Memo, Statement, Suggestion, Theme
from qualflow.models.codebook import family_ids, next_theme_number, refresh_counts
from qualflow.models.queries import (
    ACTIVE_ASSIGNMENT,
    LIVE_STATUSES,
    NOT_SIGNIFICANT,
    active_assignment,
    current_theme_set,
    theme_decisions,
)
from qualflow.pipeline.deid.typed import redact_typed
from qualflow.pipeline.cluster import unit_length
from qualflow.pipeline.describe_stored import redescribe
from qualflow.pipeline.persist import load_key_map, refresh_exemplars, stored_vectors, unused_theme_code
from qualflow.pipeline.place import targets_from
from qualflow.pipeline.report import export_names
from qualflow.pipeline.versions import live_twin
from qualflow.review.state import capture
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError


class ReviewError(Exception):
    """A request that cannot be done as asked; the message is shown to the reviewer as is."""


class ConflictError(ReviewError):
    """Someone else changed a theme after this reviewer looked at it."""


def _conflict_message(session: Session, theme: Theme) -> str:
    last = (theme_decisions(session, theme.id) or [None])[-1]
    latest = f" Latest decision on it: {last.reviewer}, {last.summary} ({last.at:%Y-%m-%d %H:%M} UTC)." if last else ""
    return (f"Conflict: {theme.code} “{theme.label}” was changed after you opened it, by another reviewer "
            f"or a batch run.{latest} "
            "Nothing was saved; reload the page to see the change, then decide again.")


def _gone_message(session: Session, theme: Theme) -> str:
    """Why a merged theme takes no more memos: where it went, and the latest decision on it."""
    target = session.get(Theme, theme.merged_into_id) if theme.merged_into_id else None
    where = f" Its statements are now in {target.code} “{target.label}”: write the memo there." if target else ""
    last = (theme_decisions(session, theme.id) or [None])[-1]
    latest = f" Latest decision on it: {last.reviewer}, {last.summary} ({last.at:%Y-%m-%d %H:%M} UTC)." if last else ""
    return (f"Conflict: {theme.code} “{theme.label}” is {theme.status} and takes no more memos.{latest}{where} "
            "Nothing was saved.")


def _check_versions(session: Session, expected: dict[int, int] | None) -> None:
    """Every action checks this first: on a stale page, a conflict that names the other change, whatever
    else the action would refuse (a statement moved meanwhile is "not in any theme" to a stale confirm)."""
    for theme_id, version in (expected or {}).items():
        theme = _theme(session, theme_id)
        if version is not None and theme.version != int(version):
            raise ConflictError(_conflict_message(session, theme))


MAX_LABEL = 300  # themes.label is String(300)
RETIRED = "this theme is from an earlier clustering; open the current themes"


def _theme(session: Session, theme_id: int, live: bool = False) -> Theme:
    theme = session.get(Theme, int(theme_id))
    if theme is None:
        raise ReviewError(f"no theme with id {theme_id}")
    # A theme left in an older theme set is history: no list shows it and no later run reads a
    # decision on it, so a decision there would be saved but go nowhere.
    current = current_theme_set(session)
    if current is None or theme.theme_set_id != current.id:
        raise ReviewError(f"{theme.code}: {RETIRED}")
    if live and theme.status not in LIVE_STATUSES:
        raise ReviewError(f"{theme.code} is {theme.status}; only candidate or confirmed themes can be changed")
    return theme


# C0 control characters but tab, newline and carriage return (a browser's textarea sends CRLF), and DEL.
# No one types them; pasted or hand-made text can hold them, and PostgreSQL refuses NUL in text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _typed(session: Session, text: str | None) -> str | None:
    """What a reviewer typed, without control characters and with the study's identifiers replaced
    (pipeline/deid/typed.py): it leaves the study in exports."""
    text = CONTROL_CHARACTERS.sub("", text) if text else text
    return redact_typed(text, load_key_map(session)) if text else text


def _label(session: Session, label: str | None) -> str:
    label = _typed(session, " ".join((label or "").split()))
    if not label or len(label) > MAX_LABEL:
        raise ReviewError(f"a theme's name must have 1 to {MAX_LABEL} characters")
    return label


def bump_versions(session: Session, theme_ids) -> None:
    """Give these themes (and their parents, whose pages list their statements) a new version.
    A change to a statement's assignment does not update the theme's row, so without this a
    reviewer's form from before it would still carry a current version and silently override it."""
    themes = {i: session.get(Theme, i) for i in theme_ids if i}
    themes.update({t.parent_id: session.get(Theme, t.parent_id) for t in list(themes.values()) if t.parent_id})
    for theme in themes.values():
        theme.version += 1  # the mapper's version check still compares with the version it read


def _measure_in(session: Session, theme: Theme, rows: list[Suggestion]) -> None:
    """Give `rows`, now in `theme`, their cosine to its centre (of its dense members, theirs included),
    on the vectors pipeline/place.py measures placements on: they came with their similarity to the
    theme they left. A study without stored vectors keeps that value: `suggestions.similarity`
    cannot be empty."""
    study = stored_vectors(session, current_theme_set(session).encoder_id)
    if study is None:
        return
    ids, vectors = study
    row_of = {statement_id: i for i, statement_id in enumerate(ids)}
    session.flush()
    held = session.execute(select(Suggestion.statement_id, Suggestion.outlier).where(
        Suggestion.theme_id.in_(family_ids(session, theme)), Suggestion.status.in_(ACTIVE_ASSIGNMENT))).all()
    target = targets_from({theme.id: [s for s, _ in held]}, {theme.id: [s for s, outlier in held if not outlier]},
                          {theme.id: theme.question}, row_of, vectors)
    for row in rows:
        if target and row.statement_id in row_of:
            row.similarity = round(float(unit_length(vectors[row_of[row.statement_id]]) @ target[0].centre), 4)


def _live_statement(session: Session, statement_id: int) -> Statement:
    """The statement, if it is in the live version of its transcript. A page or list loaded before a run
    stored a new version still shows the old ids; a decision there would be logged as saved and change
    nothing live (the old version is history), so it is refused, naming the id to decide on instead."""
    statement = session.get(Statement, int(statement_id))
    if statement is None:
        raise ReviewError(f"no statement with id {statement_id}")
    if statement.transcript.superseded_by_id is None:
        return statement
    name = export_names(session)(statement.transcript.source_name)
    twin = live_twin(session, statement)
    if twin is None:
        where = ("that statement changed in the new version; reload the page (or `qualflow show`) and decide "
                 "on its new text")
    elif twin.text_hash == statement.text_hash:
        where = f"its text is statement {twin.id} now — decide on {twin.id}"
    else:  # a twin whose wording changed a little (pipeline/versions.py pairs those too)
        where = f"the same passage, slightly edited, is statement {twin.id} now — decide on {twin.id}"
    raise ConflictError(f"Conflict: statement {statement_id} is from an earlier version of {name}; {where}. "
                        "Nothing was saved.")


def _assignment(session: Session, statement_id: int) -> Suggestion:
    _live_statement(session, statement_id)
    row = active_assignment(session, int(statement_id))
    if row is None:
        raise ReviewError(f"statement {statement_id} is not in any theme")
    return row


def _decide(session: Session, reviewer: str, action: str, summary: str, change: Callable[[], dict | None], *,
            themes=(), statements=(), expected: dict[int, int] | None = None) -> Decision:
    """Run `change` and log it. `change` may return {"themes": [...], "memos": [...], "summary": str}
    naming what it created; created things are recorded as absent (withdrawn) before."""
    if not reviewer:
        raise ReviewError("a decision needs a reviewer name")
    try:
        _check_versions(session, expected)
        before = capture(session, themes, statements)
        created = change() or {}
        touched = set(themes) | set(created.get("themes", []))
        parents = {session.get(Theme, i).parent_id for i in touched}
        refresh_counts(session, touched | {p for p in parents if p})
        refresh_exemplars(session, touched)  # a quote must stay a member: a split or move may take it away
        after = capture(session, touched | {p for p in parents if p}, statements, created.get("memos", []))
        for theme_id in created.get("themes", []):
            before["themes"][str(theme_id)] = {**after["themes"][str(theme_id)], "status": "withdrawn"}
        for memo_id in created.get("memos", []):
            before["memos"][str(memo_id)] = {"withdrawn": True}
        if created.get("described"):  # keywords and cohesion a split or merge re-drew, for an undo to put back
            before["described"] = created["described"]
        for theme_id in set(after["themes"]) - set(before["themes"]):  # parents touched by counts only
            before["themes"][theme_id] = after["themes"][theme_id]
        decision = Decision(reviewer=reviewer, action=action, summary=created.get("summary", summary),
                            theme_ids=sorted(int(i) for i in after["themes"]), statement_ids=sorted(set(statements)),
                            before=before, after=after)
        session.add(decision)
        session.flush()
    except StaleDataError as error:  # another writer committed between our read and our write
        raise ConflictError("Conflict: a theme you changed was changed by someone else at the same moment. "
                            "Nothing was saved; reload and decide again.") from error
    return decision


def accept(session: Session, reviewer: str, theme_id: int, expected=None) -> Decision:
    _check_versions(session, expected)
    theme = _theme(session, theme_id)
    if theme.status == "rejected":
        # The rejection released its statements (and those of its subcategories), and a later run
        # may have placed them elsewhere: accepting would confirm an empty theme. An undo restores
        # all of it, and refuses if something has changed since.
        rejection = next((d for d in reversed(theme_decisions(session, theme.id)) if d.action == "reject"), None)
        which = f" (decision #{rejection.id} by {rejection.reviewer})" if rejection else ""
        raise ReviewError(f"{theme.code} was rejected and its statements released; accepting it would give an "
                          f"empty theme. To bring it back, undo the rejection{which} while it is the newest "
                          "decision, or move statements into a new theme by splitting")
    if theme.status != "candidate":
        raise ReviewError(f"{theme.code} is {theme.status}; only a candidate theme can be accepted")

    def change():
        theme.status = "confirmed"

    return _decide(session, reviewer, "accept", f"accepted {theme.code} “{theme.label}”", change,
                   themes=[theme.id], expected=expected)


def reject(session: Session, reviewer: str, theme_id: int, expected=None) -> Decision:
    """The theme and its subcategories are not themes: their statements are released (each
    assignment rejected, so no run puts them back there) and the next run, even one with no new
    file, suggests each into the nearest other live theme of its question it was never rejected
    from (pipeline/place.py `released`), or leaves it unplaced when there is none. Statements
    taken out of the theme before it was rejected stay out of every theme."""
    _check_versions(session, expected)
    theme = _theme(session, theme_id, live=True)
    family = [theme] + list(session.scalars(select(Theme).where(Theme.parent_id == theme.id,
                                                                 Theme.status.in_(LIVE_STATUSES))))
    rows = list(session.scalars(select(Suggestion).where(Suggestion.theme_id.in_([t.id for t in family]),
                                                         Suggestion.status.in_(ACTIVE_ASSIGNMENT))))

    def change():
        for member in family:
            member.status = "rejected"
        for row in rows:
            row.status = "rejected"

    return _decide(session, reviewer, "reject", f"rejected {theme.code} “{theme.label}”", change,
                   themes=[t.id for t in family], statements=[r.statement_id for r in rows], expected=expected)


def rename(session: Session, reviewer: str, theme_id: int, label: str, description: str | None = None,
           expected=None) -> Decision:
    _check_versions(session, expected)
    theme = _theme(session, theme_id)
    label = _label(session, label)
    old = theme.label

    def change():
        theme.label = label
        fields = set(theme.reviewer_fields or []) | {"label"}
        if description is not None:
            theme.description = _typed(session, description.strip()) or None
            fields.add("description")
        theme.reviewer_fields = sorted(fields)

    return _decide(session, reviewer, "rename", f"renamed {theme.code} “{old}” to “{label}”", change,
                   themes=[theme.id], expected=expected)


def merge(session: Session, reviewer: str, source_ids: list[int], target_id: int, expected=None) -> Decision:
    """Merge the sources into the target: their statements and subcategories move to it, and they
    stay merged (`merged_into_id`) in every later run."""
    _check_versions(session, expected)
    target = _theme(session, target_id, live=True)
    sources = [_theme(session, i, live=True) for i in dict.fromkeys(int(i) for i in source_ids)]
    if not sources or target.id in {s.id for s in sources}:
        raise ReviewError("pick one or more themes to merge into a different theme")
    if any(s.level != target.level for s in sources):
        raise ReviewError("only themes of the same level can be merged (a theme with a theme, "
                          "a subcategory with a subcategory)")
    source_ids = [s.id for s in sources]
    rows = list(session.scalars(select(Suggestion).where(Suggestion.theme_id.in_(source_ids),
                                                         Suggestion.status.in_(ACTIVE_ASSIGNMENT))))
    children = list(session.scalars(select(Theme).where(Theme.parent_id.in_(source_ids))))
    barred = set(session.scalars(select(Suggestion.statement_id).where(Suggestion.theme_id == target.id)))

    def change():
        for row in rows:
            # A statement once rejected from the target stays out of it: that decision stands.
            if row.statement_id in barred:
                row.status = "rejected"
            else:
                row.theme_id = target.id
        for child in sorted(children, key=lambda c: c.number):
            # Their codes follow their new theme's (T2.1 under T1 would read as T2's), as set-parent does.
            child.parent_id = target.id
            child.code = unused_theme_code(session, target.code)
            session.flush()
        _measure_in(session, target, [row for row in rows if row.theme_id == target.id])
        for source in sources:
            source.status, source.merged_into_id = "merged", target.id
        summary = f"merged {names} into {target.code} “{target.label}”"
        # Described from all it holds now, as a split describes its two themes.
        described, relabelled = _describe_again(session, [target])
        return {"summary": summary + relabelled, "described": described}

    names = ", ".join(s.code for s in sources)
    return _decide(session, reviewer, "merge", "", change,
                   themes=source_ids + [target.id] + [c.id for c in children],
                   statements=[r.statement_id for r in rows], expected=expected)


def _describe_again(session: Session, themes: list[Theme]) -> tuple[dict, str]:
    """`redescribe` these themes (what they had before, for an undo), and the words the decision's summary
    adds for each suggested label that changed: a reviewer is told when a theme's name moves under them."""
    was = {theme.id: theme.label for theme in themes}
    described = redescribe(session, themes)
    return described, "".join(f"; {theme.code}'s suggested label is now “{theme.label}”"
                              for theme in themes if theme.label != was[theme.id])


def split(session: Session, reviewer: str, theme_id: int, statement_ids: list[int], label: str,
          expected=None) -> Decision:
    """Move the picked statements out into a new theme beside this one (same level and parent).
    A reviewer made it, so it is confirmed and its statements are confirmed members. Both themes are
    described again from their members (pipeline/describe_stored.py), as a merge's target is."""
    _check_versions(session, expected)
    theme = _theme(session, theme_id, live=True)
    label = _label(session, label)
    family = {theme.id} | set(session.scalars(select(Theme.id).where(Theme.parent_id == theme.id)))
    rows = [_assignment(session, i) for i in dict.fromkeys(int(i) for i in statement_ids)]
    if not rows or any(row.theme_id not in family for row in rows):
        raise ReviewError(f"pick statements that are in {theme.code} to split off")
    if len(rows) == theme.size:
        raise ReviewError("a split must leave some statements behind (rename the theme instead)")

    def change():
        parent = session.get(Theme, theme.parent_id) if theme.parent_id else None
        prefix = re.match(r"(Q\d+-)?", theme.code).group(0)
        new = Theme(theme_set_id=theme.theme_set_id, number=next_theme_number(session, theme.theme_set_id),
                    code=unused_theme_code(session, parent.code if parent else None, prefix), level=theme.level,
                    question=theme.question, status="confirmed", parent_id=theme.parent_id, label=label,
                    keywords=[], exemplar_statement_ids=[], size=0, participants=[], cohesion=0.0,
                    reviewer_fields=["label"], created_by=reviewer)
        session.add(new)
        session.flush()
        split_off = [Suggestion(theme_id=new.id, statement_id=row.statement_id, similarity=row.similarity,
                                outlier=row.outlier, weak_fit=row.weak_fit, status="confirmed") for row in rows]
        for row in rows:
            row.status = "rejected"
        session.add_all(split_off)
        _measure_in(session, new, split_off)
        # Both are described from their members now: the new theme had no keywords, and the old one's may
        # describe only what left it. A run re-describes only themes one of its clusters continues.
        described, relabelled = _describe_again(session, [new, theme])
        summary = f"split {len(rows)} statements of {theme.code} into {new.code} “{label}”{relabelled}"
        return {"themes": [new.id], "summary": summary, "described": described}

    return _decide(session, reviewer, "split", "", change, themes=list(family),
                   statements=[r.statement_id for r in rows], expected=expected)


def move(session: Session, reviewer: str, statement_id: int, target_id: int, expected=None) -> Decision:
    """Place a statement in another theme, confirmed; its old assignment is rejected for good.
    A statement in no theme (taken out, or its theme rejected) is placed in the target the same way."""
    _check_versions(session, expected)
    target = _theme(session, target_id, live=True)
    statement = _live_statement(session, statement_id)
    row = active_assignment(session, statement.id)
    if row is None:
        return _place(session, reviewer, statement, target, expected)
    if row.theme_id == target.id:
        raise ReviewError(f"statement {statement_id} is already in {target.code}")
    source = session.get(Theme, row.theme_id)
    existing = session.scalar(select(Suggestion).where(Suggestion.theme_id == target.id,
                                                       Suggestion.statement_id == row.statement_id))

    def change():
        bump_versions(session, [source.id, target.id])
        row.status = "rejected"
        placed = existing
        if placed is not None:  # once rejected from the target; a reviewer's move overrides that
            placed.status = "confirmed"
        else:
            placed = Suggestion(theme_id=target.id, statement_id=row.statement_id, similarity=row.similarity,
                                outlier=False, weak_fit=False, status="confirmed")
            session.add(placed)
        _measure_in(session, target, [placed])

    return _decide(session, reviewer, "move", f"moved statement {statement_id} from {source.code} to {target.code}",
                   change, themes=[source.id, target.id], statements=[row.statement_id], expected=expected)


def place(session: Session, reviewer: str, statement_id: int, target_id: int) -> Decision:
    """Put a statement that is in no theme into a theme (the search page's form). If it is in a theme
    by now (another reviewer placed it, a run suggested it), that is a conflict, not a move from there."""
    target = _theme(session, target_id, live=True)
    statement = _live_statement(session, statement_id)
    row = active_assignment(session, statement.id)
    if row is not None:
        theme = session.get(Theme, row.theme_id)
        raise ConflictError(f"Conflict: statement {statement_id} is in {theme.code} “{theme.label}” now (placed "
                            "since the page was loaded). Nothing was saved; move it from that theme's page if you "
                            "still want to.")
    return _place(session, reviewer, statement, target)


def _place(session: Session, reviewer: str, statement: Statement, target: Theme, expected=None) -> Decision:
    """Put a statement that is in no theme into `target`, confirmed. Logged as a move (into `target`), so a
    later run keeps it there as it keeps a moved statement (pipeline/persist.py `_acted_on`), and an undo
    takes it out again. A row it has in `target` (taken out of it once) is confirmed again: the reviewer's
    newer decision overrides the older one, as a move does."""
    if not statement.significant:
        raise ReviewError(f"statement {statement.id} is marked not significant; mark it significant again first")
    existing = session.scalar(select(Suggestion).where(Suggestion.theme_id == target.id,
                                                       Suggestion.statement_id == statement.id))

    def change():
        bump_versions(session, [target.id])
        placed = existing
        if placed is not None:
            placed.status = "confirmed"
        else:
            # The similarity is measured just below; 0.0 only stands in for a study without stored vectors.
            placed = Suggestion(theme_id=target.id, statement_id=statement.id, similarity=0.0,
                                outlier=False, weak_fit=False, status="confirmed")
            session.add(placed)
        _measure_in(session, target, [placed])

    return _decide(session, reviewer, "move", f"placed statement {statement.id} (in no theme) in {target.code}",
                   change, themes=[target.id], statements=[statement.id], expected=expected)


def confirm_assignment(session: Session, reviewer: str, statement_id: int, expected=None) -> Decision:
    _check_versions(session, expected)
    row = _assignment(session, statement_id)
    if row.status == "confirmed":
        raise ReviewError(f"statement {statement_id} is already confirmed")
    theme = session.get(Theme, row.theme_id)

    def change():
        bump_versions(session, [theme.id])
        row.status = "confirmed"

    return _decide(session, reviewer, "confirm", f"confirmed statement {statement_id} in {theme.code}", change,
                   themes=[theme.id], statements=[row.statement_id], expected=expected)


def reject_assignment(session: Session, reviewer: str, statement_id: int, expected=None) -> Decision:
    _check_versions(session, expected)
    row = _assignment(session, statement_id)
    theme = session.get(Theme, row.theme_id)

    def change():
        bump_versions(session, [theme.id])
        row.status = "rejected"

    return _decide(session, reviewer, "reject-assignment", f"took statement {statement_id} out of {theme.code}",
                   change, themes=[theme.id], statements=[row.statement_id], expected=expected)


def mark_not_significant(session: Session, reviewer: str, statement_id: int, expected=None) -> Decision:
    _check_versions(session, expected)
    statement = _live_statement(session, statement_id)
    if not statement.significant:
        raise ReviewError(f"statement {statement_id} is not a significant statement")
    rows = list(session.scalars(select(Suggestion).where(Suggestion.statement_id == statement.id,
                                                         Suggestion.status.in_(ACTIVE_ASSIGNMENT))))

    def change():
        bump_versions(session, [r.theme_id for r in rows])
        statement.significant, statement.excluded_reason = False, NOT_SIGNIFICANT
        for row in rows:
            session.delete(row)

    return _decide(session, reviewer, "not-significant", f"marked statement {statement_id} not significant",
                   change, themes=[r.theme_id for r in rows], statements=[statement.id], expected=expected)


def mark_significant(session: Session, reviewer: str, statement_id: int, expected=None) -> Decision:
    """Take back a reviewer's "not significant": the statement is clustered again, in no theme until a
    reviewer places it (`move`) or, when no theme ever turned it down, the next run suggests it (the mark
    deleted its assignments: pipeline/place.py `never_placed`). Only a reviewer's mark is taken back; qualflow's own selection (too short, an
    interviewer's turn) is not a decision."""
    _check_versions(session, expected)
    statement = _live_statement(session, statement_id)
    if statement.significant:
        raise ReviewError(f"statement {statement_id} is already significant")
    if statement.excluded_reason != NOT_SIGNIFICANT:
        raise ReviewError(f"statement {statement_id} was left out by qualflow's selection, not marked by a reviewer")

    def change():
        statement.significant, statement.excluded_reason = True, None

    return _decide(session, reviewer, "significant", f"marked statement {statement_id} significant again",
                   change, statements=[statement.id], expected=expected)


def set_parent(session: Session, reviewer: str, theme_id: int, parent_id: int | None, expected=None) -> Decision:
    """Put a theme under another (it becomes a subcategory) or, with None, at the top level."""
    _check_versions(session, expected)
    theme = _theme(session, theme_id, live=True)
    parent = _theme(session, parent_id, live=True) if parent_id else None
    if parent is not None and (parent.id == theme.id or parent.level != "theme" or parent.parent_id):
        raise ReviewError("the parent must be another top-level theme")
    if parent is not None and session.scalar(select(Theme.id).where(Theme.parent_id == theme.id,
                                                                    Theme.status.in_(LIVE_STATUSES))):
        raise ReviewError(f"{theme.code} has subcategories of its own; only two levels are kept")
    # Nothing to change: a new code for the same place would only renumber the theme.
    if parent is None and theme.parent_id is None:
        raise ReviewError(f"{theme.code} is already a top-level theme")
    if parent is not None and theme.parent_id == parent.id:
        raise ReviewError(f"{theme.code} is already under {parent.code}")
    old_parent = theme.parent_id
    # Subcategories no longer live (rejected, merged) still name this theme as parent and carry its code.
    children = list(session.scalars(select(Theme).where(Theme.parent_id == theme.id,
                                                        Theme.theme_set_id == theme.theme_set_id)
                                    .order_by(Theme.number)))

    def change():
        prefix = re.match(r"(Q\d+-)?", theme.code).group(0)
        was = theme.code
        theme.code = unused_theme_code(session, parent.code if parent else None, prefix)
        session.flush()
        for child in children:  # their codes follow the parent's, so lists and exports stay readable
            child.code = unused_theme_code(session, theme.code)
            session.flush()
        theme.parent_id, theme.level = (parent.id, "subcategory") if parent else (None, "theme")
        theme.reviewer_fields = sorted(set(theme.reviewer_fields or []) | {"parent_id"})
        # Both codes: the one reviewers knew it by, and the one it goes by now.
        return {"summary": f"put {was} under {parent.code}, now {theme.code}" if parent
                else f"made {was} a top-level theme, now {theme.code}"}

    return _decide(session, reviewer, "set-parent", "", change,
                   themes=[t for t in (theme.id, old_parent, parent_id) if t] + [c.id for c in children],
                   expected=expected)


def write_memo(session: Session, reviewer: str, text: str, theme_id: int | None = None,
               statement_id: int | None = None) -> Decision:
    text = (_typed(session, text or "") or "").strip()
    if not text or (theme_id is None) == (statement_id is None):
        raise ReviewError("a memo needs text and either a theme or a statement")
    if theme_id is not None:
        theme = _theme(session, theme_id)
        if theme.status == "merged":
            # Merged, most likely since the page was loaded: a memo there would go where no list, audit of
            # the merge target or later run looks. A rejected theme still takes one (why it was rejected).
            raise ConflictError(_gone_message(session, theme))
        where = theme.code
    else:
        _live_statement(session, statement_id)
        where = f"statement {statement_id}"
    # The same words from the same reviewer on the same theme or statement: a form sent twice (a double
    # click, a reload after posting), not a second thought.
    if session.scalar(select(Memo.id).where(Memo.reviewer == reviewer, Memo.text == text, Memo.withdrawn.is_(False),
                                            Memo.theme_id == theme_id if theme_id is not None else Memo.theme_id.is_(None),
                                            Memo.statement_id == statement_id if statement_id is not None
                                            else Memo.statement_id.is_(None))) is not None:
        raise ReviewError(f"this memo on {where} is saved already")

    def change():
        memo = Memo(theme_id=theme_id, statement_id=statement_id, reviewer=reviewer, text=text)
        session.add(memo)
        session.flush()
        return {"memos": [memo.id]}

    return _decide(session, reviewer, "memo", f"wrote a memo on {where}", change,
                   themes=[theme_id] if theme_id else [], statements=[statement_id] if statement_id else [])
