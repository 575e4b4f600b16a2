"""Reconciling a new clustering with the codebook reviewers have built. Plain numpy, no store.

The model: a Theme is a lasting record with a stable id; a ThemeSet records one run. Each run
carries the codebook forward instead of replacing it:

- *Pinned* statements never move: a confirmed assignment, or any statement in a confirmed theme
  or in a theme a reviewer has touched (merged into, split, renamed, written about, a statement
  moved into or taken out of: pipeline/persist.py finds them) that a reviewer put or kept there.
  A statement a run offered into such a theme (below) and no reviewer has seen there since (no
  decision on the theme after the offer: `Suggestion.offered_after_decision`) is not pinned but
  free, offered anew by the same rule: re-clustering unchanged data twice gives the same themes,
  and reviewed themes do not grow with every run. Statements sit in subcategories, so
  a top-level theme a reviewer acted on itself (as opposed to one whose subcategory they acted in)
  is kept whole, like a confirmed one: its subcategories stay under it with every statement they
  hold, a merged-into theme with its own and the merged theme's. Confirmed themes keep their ids,
  names and members, and so does every reviewed theme; they are carried into each new theme set.
- Every other (*free*) statement, old or new, is first offered to the confirmed (and reviewed) themes:
  `assign_to_confirmed_themes` suggests it into the nearest one when it is as close to that
  theme's centre as the theme's own members typically are. A new cluster made mostly of one
  such theme's statements is that theme too: its free statements are suggested into it.
- The rest follow the new clustering. Each new cluster is matched to an unreviewed candidate
  theme of the previous run by shared members (Jaccard over statements both runs saw), else by
  centre; a match keeps the old id and code, so reviewers see no churn. Unmatched clusters
  become new candidate themes; unmatched old candidates are retired (left in their old set).
- A (theme, statement) pair a reviewer rejected is never suggested again: such a statement goes
  to the nearest other new cluster of its group instead, or (when its cluster is that very theme)
  stays unplaced, findable by search, until a reviewer places it. A new cluster that is a rejected
  theme found again (by the same shared-members rule) is not offered either: its statements go to
  the nearest other cluster. Merged themes are no longer candidates,
  so nothing can be matched to them: merged stays merged. Labels a reviewer set stay
  (`Theme.reviewer_fields`, applied by pipeline/persist.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from qualflow.pipeline.cluster import unit_length
from scipy.optimize import linear_sum_assignment

SAME_CLUSTER_JACCARD = 0.5  # at least half the members shared: the same theme, grown or shrunk
SAME_CLUSTER_CENTRE = 0.9  # cosine of centres: the same theme even when most members are new
CLOSE_ENOUGH_QUANTILE = 0.1  # as close as the theme's 10% least typical members...
CLOSE_ENOUGH_CAP = 0.6  # ...but a tiny theme, whose members sit on its centre, can still receive
CLOSE_ENOUGH_FLOOR = 0.2  # and never on a similarity that means nothing


@dataclass(frozen=True)
class ConfirmedTheme:
    """A confirmed (or reviewed) theme that receives new statements; `members` are its pinned statements."""

    id: int
    question: str | None
    members: list[int]


@dataclass(frozen=True)
class CandidateTheme:
    """An unreviewed theme of the previous run; `members` are the statements it held then."""

    id: int
    level: str  # theme | subcategory
    question: str | None
    members: frozenset[int]


@dataclass(frozen=True)
class NewGroup:
    """One group's clustering (the study, or one survey question): per statement its
    subcategory, similarity and fit; per subcategory its theme."""

    question: str | None
    statement_ids: list[int]
    subcategory: list[int]
    similarity: list[float]
    outlier: list[bool]
    weak_fit: list[bool]
    parents: list[int]


@dataclass
class GroupPlan:
    subcategory_theme: list[int | None]  # previous theme id kept by each new subcategory, or None: new
    theme_theme: list[int | None]  # the same for each new theme
    placed: dict[int, tuple[int, float, bool, bool]] = field(default_factory=dict)  # statement: (k, sim, out, weak)


@dataclass
class Plan:
    into_confirmed: dict[int, tuple[int, float]]  # statement id: (confirmed theme id, similarity)
    groups: list[GroupPlan]
    unplaced: list[int]  # free statements every suitable theme was rejected for


def assign_to_confirmed_themes(ids: list[int], vectors: np.ndarray, free: list[int], question_of: dict[int, str | None],
                               confirmed: list[ConfirmedTheme], rejected: set[tuple[int, int]]) -> dict[int, tuple[int, float]]:
    """Suggest free statements into the nearest confirmed theme of their question when close enough."""
    row = {statement_id: i for i, statement_id in enumerate(ids)}
    targets = [t for t in confirmed if any(m in row for m in t.members)]
    if not targets or not free:
        return {}
    centres, thresholds = [], []
    for theme in targets:
        members = unit_length(vectors[[row[m] for m in theme.members if m in row]])
        centre = unit_length(members.mean(axis=0))
        centres.append(centre)
        typical = float(np.quantile(members @ centre, CLOSE_ENOUGH_QUANTILE))
        thresholds.append(max(CLOSE_ENOUGH_FLOOR, min(CLOSE_ENOUGH_CAP, typical)))
    similarity = unit_length(vectors[[row[s] for s in free]]) @ np.vstack(centres).T
    placed = {}
    for i, statement_id in enumerate(free):
        for t in np.argsort(-similarity[i]):
            theme = targets[t]
            if theme.question != question_of.get(statement_id) or (theme.id, statement_id) in rejected:
                continue
            if similarity[i, t] >= thresholds[t]:
                placed[statement_id] = (theme.id, round(float(similarity[i, t]), 4))
            break  # only the nearest allowed theme is considered
    return placed


def match_clusters(new_members: list[set[int]], new_centres: np.ndarray, previous: list[CandidateTheme],
                   previous_centres: np.ndarray, known: set[int]) -> list[int | None]:
    """For each new cluster, the id of the previous candidate it continues, or None."""
    matched: list[int | None] = [None] * len(new_members)
    if not previous or not new_members:
        return matched
    jaccard = np.zeros((len(new_members), len(previous)))
    for i, members in enumerate(new_members):
        seen = members & known  # statements added by this run cannot count against a match
        for j, theme in enumerate(previous):
            union = len(seen | theme.members)
            jaccard[i, j] = len(seen & theme.members) / union if union else 0.0
    taken: set[int] = set()
    for i, j in zip(*linear_sum_assignment(-jaccard)):
        if jaccard[i, j] >= SAME_CLUSTER_JACCARD:
            matched[i] = previous[j].id
            taken.add(j)
    rest_new = [i for i in range(len(new_members)) if matched[i] is None]
    rest_old = [j for j in range(len(previous)) if j not in taken]
    if rest_new and rest_old:
        cosine = unit_length(new_centres[rest_new]) @ unit_length(previous_centres[rest_old]).T
        for a, b in zip(*linear_sum_assignment(-cosine)):
            if cosine[a, b] >= SAME_CLUSTER_CENTRE:
                matched[rest_new[a]] = previous[rest_old[b]].id
    return matched


def _absorbed_clusters(group: NewGroup, home: dict[int, int]) -> dict[int, int]:
    """New subcategory -> the reviewed theme holding more than half of its statements."""
    sizes, votes = Counter(group.subcategory), Counter()
    for statement_id, k in zip(group.statement_ids, group.subcategory):
        if statement_id in home:
            votes[(k, home[statement_id])] += 1
    return {k: theme_id for (k, theme_id), n in votes.items() if n > sizes[k] / 2}


def _rejected_again(sub_members: list[set[int]], rejected_themes: list[CandidateTheme]) -> set[int]:
    """New subcategories that are a theme a reviewer rejected, found again: as many shared members
    as a cluster needs to continue a candidate (new statements count against the match)."""
    again = set()
    for k, members in enumerate(sub_members):
        for theme in rejected_themes:
            union = len(members | theme.members)
            if union and len(members & theme.members) / union >= SAME_CLUSTER_JACCARD:
                again.add(k)
    return again


def reconcile(ids: list[int], vectors: np.ndarray, groups: list[NewGroup], pinned: set[int],
              confirmed: list[ConfirmedTheme], candidates: list[CandidateTheme],
              rejected: set[tuple[int, int]], known: set[int],
              rejected_themes: list[CandidateTheme] = ()) -> Plan:
    """Decide where each free statement goes and which new clusters keep which old ids.
    `vectors` are rows for `ids`, in the space the clusterer worked in. `rejected_themes`: themes
    a reviewer rejected, with the statements they held; a new cluster that is one of them again is
    not offered (its statements go to the nearest other cluster), or a rejection would last only
    until the next re-clustering gave the same group a new code."""
    row = {statement_id: i for i, statement_id in enumerate(ids)}
    question_of = {s: g.question for g in groups for s in g.statement_ids}
    free = [s for g in groups for s in g.statement_ids if s not in pinned]
    into_confirmed = assign_to_confirmed_themes(ids, vectors, free, question_of, confirmed, rejected)

    def centres(member_sets: list[set[int]]) -> np.ndarray:
        width = vectors.shape[1]
        return np.vstack([unit_length(vectors[[row[s] for s in m if s in row]].mean(axis=0)) if m else np.zeros(width)
                          for m in member_sets]) if member_sets else np.zeros((0, width))

    plans, unplaced = [], []
    home = {m: theme.id for theme in confirmed for m in theme.members}
    for group in groups:
        n_sub = len(group.parents)
        # A cluster made mostly of one reviewed theme's statements is that theme: its free statements
        # join it (or, if a reviewer took them out of it, stay unplaced) rather than form a twin.
        absorbed = _absorbed_clusters(group, home)
        for i, statement_id in enumerate(group.statement_ids):
            theme_id = absorbed.get(group.subcategory[i])
            if theme_id is None or statement_id in pinned or statement_id in into_confirmed:
                continue
            if (theme_id, statement_id) in rejected:
                unplaced.append(statement_id)
            else:
                into_confirmed[statement_id] = (theme_id, round(float(group.similarity[i]), 4))
        rest = [i for i, s in enumerate(group.statement_ids)
                if s not in pinned and s not in into_confirmed and s not in unplaced]
        sub_members = [set() for _ in range(n_sub)]
        for i in rest:
            sub_members[group.subcategory[i]].add(group.statement_ids[i])
        turned_down = _rejected_again(sub_members, [t for t in rejected_themes if t.question == group.question])
        sub_members = [set() if k in turned_down else m for k, m in enumerate(sub_members)]
        sub_centres = centres(sub_members)

        def nearest_other(statement_id: int, k: int, theme_of: list[int | None]) -> int | None:
            """The nearest other non-empty cluster this statement was not rejected from, or None."""
            order = np.argsort(-(sub_centres @ unit_length(vectors[row[statement_id]])))
            allowed = [j for j in order if j != k and sub_members[j] and (theme_of[j], statement_id) not in rejected]
            return int(allowed[0]) if allowed else None

        # A turned-down cluster's statements are sent on before matching, so that the cluster they join
        # is matched with them in it: they were in it last run too, and matching it without them would
        # give it a new code at every re-clustering of an unchanged study.
        sent_on = {}
        for i in rest:
            statement_id, k = group.statement_ids[i], group.subcategory[i]
            if k in turned_down and (j := nearest_other(statement_id, k, [None] * n_sub)) is not None:
                sent_on[statement_id] = j
        matched_members = [set(m) for m in sub_members]
        for statement_id, j in sent_on.items():
            matched_members[j].add(statement_id)
        theme_members = [set() for _ in range(max(group.parents, default=-1) + 1)]
        for k, parent in enumerate(group.parents):
            theme_members[parent] |= matched_members[k]
        same_question = [c for c in candidates if c.question == group.question]
        plan = GroupPlan([None] * n_sub, [None] * len(theme_members))
        for level, members, slots in (("subcategory", matched_members, plan.subcategory_theme),
                                      ("theme", theme_members, plan.theme_theme)):
            previous = [c for c in same_question if c.level == level]
            live = [i for i, m in enumerate(members) if m]
            found = match_clusters([members[i] for i in live], centres([members[i] for i in live]), previous,
                                   centres([set(c.members) for c in previous]), known)
            for i, theme_id in zip(live, found):
                slots[i] = theme_id
        for i in rest:
            statement_id, k = group.statement_ids[i], group.subcategory[i]
            if k not in turned_down and ((plan.subcategory_theme[k], statement_id) not in rejected
                                         or plan.subcategory_theme[k] is None):
                plan.placed[statement_id] = (k, group.similarity[i], group.outlier[i], group.weak_fit[i])
                continue
            # A reviewer took this statement out of that theme, or rejected the group it formed:
            # offer the nearest other cluster (where it was sent on before matching, if still allowed).
            j = sent_on.get(statement_id)
            if j is None or (plan.subcategory_theme[j], statement_id) in rejected:
                j = nearest_other(statement_id, k, plan.subcategory_theme)
            if j is not None:
                similarity = float(sub_centres[j] @ unit_length(vectors[row[statement_id]]))
                plan.placed[statement_id] = (j, round(similarity, 4), True, False)
            else:
                unplaced.append(statement_id)
        plans.append(plan)
    return Plan(into_confirmed, plans, unplaced)
