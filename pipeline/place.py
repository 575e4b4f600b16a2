"""Placing a few new statements into the current themes without clustering everything again.

A nightly run that adds one interview to a hundred should not redo the work of the hundred:
re-clustering costs about as much as the first run, and it can move themes a reviewer has
just read. When the new statements are few, each is suggested into the nearest live theme of
its question (as reconcile offers statements to confirmed themes), flagged as a weak fit when
it lies further from that theme's centre than every member the clusterer put there: the same
bar the clusterer uses.

New themes can only come from a clustering, so the run clusters everything again instead when

- the new statements are more than `incremental.max_new_share` of the study (the themes may
  have shifted), or
- so many of them fit weakly that they could form a theme of their own (at least the smallest
  theme size the clusterer would use for the whole study), or
- there is no current theme set, or it was made with another encoder or other settings.

"New" means a significant statement no run has placed yet: it has no assignment row at all.

A placement also suggests the statements a reviewer released by rejecting their whole theme
(`released`): each goes into the nearest live theme of its question that it has never been
rejected from, or stays unplaced, findable by search, when there is none (as reconcile leaves
it). They had a theme and are not what the bars for a re-clustering measure, so they do not
count toward them. Statements a reviewer took out of a theme on purpose (or out of a theme
later rejected), marked not significant, or kept out of a merge are left alone: only a
re-clustering, or a reviewer, places those.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qualflow.models import Decision, Statement, Suggestion, Theme, ThemeSet
from qualflow.models.codebook import family_ids, refresh_counts, with_parents
from qualflow.models.queries import (
    ACTIVE_ASSIGNMENT,
    LIVE_STATUSES,
    statement_questions,
)
from qualflow.pipeline.cluster import (
    auto_min_cluster_size,
    least_typical_member,
    similarity_to_dense_centre,
    unit_length,
)
from qualflow.pipeline.describe import cohesion
from qualflow.pipeline.persist import (
    last_decision_id,  # persist never imports place: no cycle
)
from sqlalchemy import select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Target:
    """A live lowest-level theme that can receive statements."""

    id: int
    question: str | None
    centre: np.ndarray
    floor: float  # below this similarity a placement is a weak fit


@dataclass(frozen=True)
class Placement:
    statement_id: int
    theme_id: int
    similarity: float
    weak_fit: bool



def targets_from(members: dict[int, list[int]], dense: dict[int, list[int]], question: dict[int, str | None],
                 row: dict[int, int], vectors: np.ndarray) -> list[Target]:
    """Centres from each theme's members (its dense members when it has some: outliers were never
    part of a centre), in the space the clusterer worked in."""
    targets = []
    for theme_id in sorted(members):
        chosen = [row[s] for s in (dense.get(theme_id) or members[theme_id]) if s in row]
        if not chosen:
            continue
        rows = unit_length(vectors[chosen])
        targets.append(Target(theme_id, question[theme_id], unit_length(rows.mean(axis=0)), least_typical_member(rows)))
    return targets


def place(new_ids: list[int], new_vectors: np.ndarray, new_questions: list[str | None],
          targets: list[Target], barred: list[set[int]] | None = None) -> list[Placement | None]:
    """Each new statement's nearest target of its own question (None when its question has none),
    leaving out the themes in its `barred` set (those it has an assignment row in: rejected ones)."""
    if not targets or not new_ids:
        return [None] * len(new_ids)
    barred = barred or [set()] * len(new_ids)
    similarity = unit_length(new_vectors) @ np.vstack([t.centre for t in targets]).T
    placements: list[Placement | None] = []
    for i, statement_id in enumerate(new_ids):
        allowed = [j for j, t in enumerate(targets) if t.question == new_questions[i] and t.id not in barred[i]]
        if not allowed:
            placements.append(None)
            continue
        j = max(allowed, key=lambda k: (similarity[i, k], -targets[k].id))
        value = float(similarity[i, j])
        placements.append(Placement(statement_id, targets[j].id, round(value, 4), value < targets[j].floor))
    return placements


def worth_reclustering(n_new: int, n_weak: int, n_unplaceable: int, n_total: int, max_new_share: float,
                       min_cluster_size: int | str) -> bool:
    """Whether the new statements call for a full clustering rather than placement."""
    if n_new > max_new_share * n_total or n_unplaceable:
        return True
    smallest_theme = auto_min_cluster_size(n_total) if min_cluster_size == "auto" else int(min_cluster_size)
    return n_weak >= smallest_theme


def _codebook_members(session: Session, theme_set: ThemeSet):
    """Live lowest-level themes of the current set with their active members (and dense ones)."""
    themes = list(session.scalars(select(Theme).where(Theme.theme_set_id == theme_set.id,
                                                      Theme.status.in_(LIVE_STATUSES))))
    parents = {t.parent_id for t in themes if t.parent_id}
    lowest = {t.id: t.question for t in themes if t.id not in parents}
    members: dict[int, list[int]] = {}
    dense: dict[int, list[int]] = {}
    rows = session.execute(select(Suggestion.theme_id, Suggestion.statement_id, Suggestion.outlier)
                           .where(Suggestion.status.in_(ACTIVE_ASSIGNMENT)))
    for theme_id, statement_id, outlier in rows:
        if theme_id in lowest:
            members.setdefault(theme_id, []).append(statement_id)
            if not outlier:
                dense.setdefault(theme_id, []).append(statement_id)
    return members, dense, lowest


def refresh_cohesion(session: Session, theme_ids, row: dict[int, int], vectors: np.ndarray) -> None:
    """Recompute the cohesion of these themes and their parents from their members now (rows of
    `vectors`), as the clusterer measured it: each member's cosine to the centre of the dense ones.
    The reviewer's list sorts by it. Nothing else of a theme changes: labels and names stay."""
    for theme in with_parents(session, theme_ids).values():
        members = [(row[s], outlier) for s, outlier in session.execute(
            select(Suggestion.statement_id, Suggestion.outlier).where(
                Suggestion.theme_id.in_(family_ids(session, theme)), Suggestion.status.in_(ACTIVE_ASSIGNMENT)))
                   if s in row]
        if not members:
            continue
        # Placed statements are outliers: like the clusterer's, they never move a centre.
        outlier = np.array([o for _, o in members], dtype=bool)
        similarity = similarity_to_dense_centre(vectors[[r for r, _ in members]], np.zeros(len(members), int), outlier)
        theme.cohesion = round(cohesion(similarity), 4)  # rounded as persist.py stores it


def _stranded_rows(session: Session):
    """Active rows in a withdrawn theme: what an undo of a split left there before review/undo.py
    returned a run's suggestions in the split-off theme to the theme split from. No list, export or
    clustering reads them, so their statements are in no theme."""
    return (select(Suggestion).join(Theme, Theme.id == Suggestion.theme_id)
            .where(Theme.status == "withdrawn", Suggestion.status.in_(ACTIVE_ASSIGNMENT)))


def never_placed(session: Session, statement_ids: list[int]) -> list[int]:
    """The statements among `statement_ids` that have no assignment row of any status (a row stranded in
    a withdrawn theme does not count: `_stranded_rows`)."""
    stranded = {row.id for row in session.scalars(_stranded_rows(session))}
    seen = {s for row_id, s in session.execute(select(Suggestion.id, Suggestion.statement_id))
            if row_id not in stranded}
    return [s for s in statement_ids if s not in seen]


# Decisions that leave a statement in no theme. Only a rejection of its whole theme releases it to
# be suggested elsewhere; the others are a reviewer's choice about that very statement.
RELEASING = "reject"
UNPLACING = ("reject", "reject-assignment", "not-significant", "merge")


def released(session: Session, statement_ids: list[int]) -> dict[int, set[int]]:
    """The significant statements among `statement_ids` a reviewer released by rejecting their theme
    (review/actions.py `reject`) and no run or reviewer has placed since, each with the themes it
    has an assignment row in (never to be suggested there again).

    Such a statement has no active assignment, a rejected one in a rejected theme, and the last
    decision that left it in no theme (undone ones aside) is that rejection. A statement taken out
    of a theme (`reject_assignment`) also has a rejected row, in a theme that may later be rejected
    as a whole: the take-out, logged after its placement, tells the two apart. A twin carried to an
    edited file's new version (pipeline/versions.py) is named by no decision; its rows decide."""
    wanted = set(statement_ids)
    rows = session.execute(select(Suggestion.statement_id, Suggestion.theme_id, Suggestion.status, Theme.status)
                           .join(Theme, Theme.id == Suggestion.theme_id)).all()
    placed = {s for s, _, status, _ in rows if status in ACTIVE_ASSIGNMENT}
    candidates = {s for s, _, status, theme_status in rows
                  if status == "rejected" and theme_status == "rejected" and s in wanted} - placed
    if not candidates:
        return {}
    candidates &= set(session.scalars(select(Statement.id).where(Statement.id.in_(candidates),
                                                                 Statement.significant.is_(True))))
    decisions = session.execute(select(Decision.id, Decision.action, Decision.statement_ids, Decision.undoes_id)
                                .order_by(Decision.id)).all()
    undone = {undoes for _, _, _, undoes in decisions if undoes}
    last: dict[int, str] = {}
    for decision_id, action, named, _ in decisions:
        if action in UNPLACING and decision_id not in undone:
            for s in named or []:
                if s in candidates:
                    last[s] = action
    barred: dict[int, set[int]] = {}
    for s, theme_id, _, _ in rows:
        if s in candidates and last.get(s, RELEASING) == RELEASING:
            barred.setdefault(s, set()).add(theme_id)
    return barred


def place_into_current_themes(session: Session, theme_set: ThemeSet, ids: list[int], vectors: np.ndarray,
                              new_ids: list[int], fingerprint: str, max_new_share: float,
                              min_cluster_size: int | str) -> list[Placement] | None:
    """Suggest `new_ids`, and the statements of `ids` released by a rejected theme (`released`),
    into the current themes and record that the theme set now covers every statement in `ids`
    (rows of `vectors`); None, with nothing written, when a clustering is needed."""
    row = {s: i for i, s in enumerate(ids)}
    members, dense, lowest = _codebook_members(session, theme_set)
    targets = targets_from(members, dense, lowest, row, vectors)
    question = statement_questions(session)
    placements = place(new_ids, vectors[[row[s] for s in new_ids]], [question.get(s) for s in new_ids], targets)
    weak = sum(1 for p in placements if p is not None and p.weak_fit)
    unplaceable = sum(1 for p in placements if p is None)
    if worth_reclustering(len(new_ids), weak, unplaceable, len(ids), max_new_share, min_cluster_size):
        return None
    barred = released(session, [s for s in ids if s not in set(new_ids)])
    again = sorted(barred)
    if again:
        # None: every theme of its question was rejected for it; it waits for a reviewer or a re-clustering.
        placements += place(again, vectors[[row[s] for s in again]], [question.get(s) for s in again], targets,
                            [barred[s] for s in again])
    placements = [p for p in placements if p is not None]
    # A run's offer, not a reviewer's: free again at the next clustering unless a reviewer acts on the
    # theme first (pipeline/persist.py `_codebook`).
    offered_after = last_decision_id(session)
    placed_ids = {p.statement_id for p in placements}
    for stale in session.scalars(_stranded_rows(session)):  # placed anew: their stale row goes
        if stale.statement_id in placed_ids:
            session.delete(stale)
    for p in placements:
        # Placed by nearest centre, not found by a density clustering: that is what `outlier` records.
        session.add(Suggestion(theme_id=p.theme_id, statement_id=p.statement_id, similarity=p.similarity,
                               outlier=True, weak_fit=p.weak_fit, offered_after_decision=offered_after))
    session.flush()
    received = sorted({p.theme_id for p in placements})
    refresh_counts(session, received)
    refresh_cohesion(session, received, row, vectors)
    theme_set.fingerprint, theme_set.n_statements = fingerprint, len(ids)
    return placements
