"""Writing pipeline results into the store, and reading back what the next step needs.

Writes are idempotent: a transcript is stored once per content hash, a theme set once per
fingerprint, so running the same folder twice stores nothing twice. A file whose content
changed is stored as its next version (pipeline/versions.py). A new theme set carries
the reviewed codebook forward rather than replacing it (pipeline/reconcile.py says how).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, replace

import numpy as np
from qualflow.models import (
    Decision,
    Memo,
    Pseudonym,
    Replacement,
    Statement,
    Suggestion,
    Theme,
    ThemeSet,
    Transcript,
    Turn,
)
from qualflow.models.codebook import code_order, next_theme_code, refresh_counts, with_parents
from qualflow.models.queries import (
    ACTIVE_ASSIGNMENT,
    LIVE_STATUSES,
    current_theme_set,
    live_transcripts,
    theme_suggestions,
)
from qualflow.pipeline.cluster import centre_per_language
from qualflow.pipeline.coding.carry import move_codings
from qualflow.pipeline.config import DescribeConfig
from qualflow.pipeline.describe import ThemeDescription, choose_exemplars
from qualflow.pipeline.embed.cache import cached_vectors
from qualflow.pipeline.ingest import Document
from qualflow.pipeline.reconcile import (
    CandidateTheme,
    ConfirmedTheme,
    NewGroup,
    reconcile,
)
from qualflow.pipeline.segment import StatementSpan
from qualflow.pipeline.turns import ParsedTurns, participant_code
from qualflow.pipeline.versions import (
    holds_content,
    live_version,
    revision_hash,
    supersede,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_name(session: Session, content_hash: str) -> str | None:
    """The source name under which this content is already stored, or None."""
    return session.scalar(select(Transcript.source_name).where(Transcript.content_hash == content_hash))


def classify_file(session: Session, content_hash: str, source_name: str) -> tuple[str, str | None]:
    """What a file read now is to the store: ("unchanged", None) when it is its name's live
    version, ("duplicate", other name) when its content is stored under another name,
    ("new_version", None) when its name is stored with other content (an edit, or an edit
    undone: content of an older version comes back as the newest), else ("new", None)."""
    live = live_version(session, source_name)
    if live is not None and holds_content(live, content_hash):
        return "unchanged", None
    other = session.scalar(select(Transcript).where(Transcript.content_hash == content_hash))
    if other is not None and other.source_name != source_name:
        # Even when that content is only an older version of the other file: the hash is stored once.
        return "duplicate", other.source_name
    if other is not None and (other.superseded_by_id is None or live is None):
        # Stored and live under this name beside a newer transcript of the same name (a study from
        # before versions stored edits as new files); or nothing live to replace.
        return "unchanged", None
    return ("new_version" if live is not None else "new"), None


def load_key_map(session: Session) -> dict[tuple[str, str], str]:
    return {(p.kind, p.real): p.placeholder for p in session.scalars(select(Pseudonym))}


@dataclass(frozen=True)
class ReplacementRecord:
    start: int
    end: int
    placeholder: str
    kind: str
    found_by: str


def _place_in_history(session: Session, document: Document) -> tuple[str, Transcript | None] | None:
    """The hash to store a file under and the version it replaces; None when it is stored already."""
    status, _ = classify_file(session, document.content_hash, document.source_name)
    if status in ("unchanged", "duplicate"):
        return None
    previous = live_version(session, document.source_name) if status == "new_version" else None
    stored_hash = document.content_hash
    if previous is not None and stored_name(session, stored_hash) is not None:
        stored_hash = revision_hash(stored_hash, previous.id)  # an edit undone: this content has a row already
    return stored_hash, previous


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
    entries, in the caller's transaction; None if this content was stored before. New content
    under a stored name is that file's next version (pipeline/versions.py)."""
    slot = _place_in_history(session, document)
    if slot is None:
        return None
    stored_hash, previous = slot
    for (kind, real), placeholder in (new_pseudonyms or {}).items():
        session.add(Pseudonym(kind=kind, real=real, placeholder=placeholder))
    as_stored = _study_spelling(session)
    parsed = replace(parsed, turns=[replace(t, participant=as_stored(t.participant)) for t in parsed.turns])
    participants = sorted({t.participant for t in parsed.turns if t.participant})
    transcript = Transcript(
        content_hash=stored_hash,
        previous_version_id=previous.id if previous is not None else None,
        source_name=document.source_name,
        source_format=getattr(document, "format", "txt"),
        language=language,
        participant=participants[0] if len(participants) == 1 else as_stored(parsed.header.get("participant")),
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
    if previous is not None:
        carried = supersede(session, previous, transcript)
        moved = move_codings(session, previous, transcript)
        log.info("%s: stored as a new version of transcript %d; carried %d reviewed assignments, %d suggestions, "
                 "%d not-significant marks, %d memos; moved %d manual codings (%d lost their place)",
                 document.source_name, previous.id, carried["assignments"], carried["suggestions"],
                 carried["not_significant"], carried["memos"], moved["codings"], moved["codings_unplaced"])
    return transcript


def participant_spellings(session: Session) -> dict[str, list[str]]:
    """Each participant code (`participant_code`) with the ids the study stores it under, the
    canonical spelling first: a study stored before codes were written one way may hold both P01
    (from a header) and P1 (from a file name) for one person."""
    stored = session.scalars(select(Turn.participant).where(Turn.participant.is_not(None)).distinct())
    spellings: dict[str, list[str]] = {}
    for written in sorted(stored, key=lambda p: (participant_code(p) != p, p)):  # canonical first
        spellings.setdefault(participant_code(written), []).append(written)
    return spellings


def _study_spelling(session: Session):
    """A participant code as the study already spells it: P01, P1 and p1 are one participant, and a
    study that stored P05 from a header must have its next file headed P05 (now read as P5) join that
    participant, not split it. A code the study has not seen keeps the canonical spelling; of two
    stored spellings the canonical one wins."""
    spelling = {code: written[0] for code, written in participant_spellings(session).items()}

    def as_stored(participant: str | None) -> str | None:
        if not participant:
            return participant
        code = participant_code(participant)
        return spelling.get(code, code)

    return as_stored


def significant_statements(session: Session) -> list[Statement]:
    """The statements to cluster: significant ones of live transcripts (not of replaced versions)."""
    return list(
        session.scalars(select(Statement).where(Statement.significant.is_(True),
                                                Statement.transcript_id.in_(live_transcripts()))
                        .order_by(Statement.id))
    )


def stored_vectors(session: Session, encoder_id: str) -> tuple[list[int], np.ndarray] | None:
    """The significant statements' ids and cached vectors (`encoder_id`), each language's mean removed
    as a run removes it before clustering and placing (flows/tasks.py); None when any is not cached."""
    statements = significant_statements(session)
    cached = cached_vectors(session, encoder_id, [s.text_hash for s in statements])
    if not statements or any(s.text_hash not in cached for s in statements):
        return None
    vectors = np.vstack([cached[s.text_hash] for s in statements])
    return [s.id for s in statements], centre_per_language(vectors, [s.language for s in statements])


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


@dataclass(frozen=True)
class _DecisionLog:
    """What the decision log says about themes, read in one pass (each decision's snapshots parsed once)."""

    named: dict[int, int]  # theme -> the newest decision naming it, undos included
    acted: dict[int, int]  # theme -> the newest decision (not an undo) acting on it itself (`_acted_on`)
    standing: set[int]  # themes acted on by a decision that stands: not an undo, and not undone


def _read_decisions(session: Session) -> _DecisionLog:
    undone = set(session.scalars(select(Decision.undoes_id).where(Decision.undoes_id.is_not(None))))
    named: dict[int, int] = {}
    acted: dict[int, int] = {}
    standing: set[int] = set()
    for decision in session.scalars(select(Decision).order_by(Decision.id)):
        for theme_id in decision.theme_ids or []:
            named[theme_id] = decision.id
        if decision.action == "undo":
            continue
        on = _acted_on(decision)
        acted.update(dict.fromkeys(on, decision.id))
        if decision.id not in undone:
            standing |= on
    return _DecisionLog(named, acted, standing)


def _reviewed_theme_ids(session: Session, log: _DecisionLog) -> set[int]:
    """Themes a reviewer has engaged with: any status but candidate, named in a decision, made
    by a split, or written about. Their membership is the reviewer's, not the clusterer's."""
    reviewed = set(session.scalars(select(Theme.id).where(Theme.status != "candidate")))
    reviewed |= set(session.scalars(select(Theme.id).where(Theme.created_by.is_not(None))))
    reviewed |= {m for m in session.scalars(select(Memo.theme_id).where(Memo.withdrawn.is_(False))) if m}
    return reviewed | set(log.named)


def _acted_on(decision: Decision) -> set[int]:
    """The themes a decision acted on itself, not the parents it names only because their counts
    changed with a subcategory's: renamed, accepted, described, merged into, split, a statement
    moved into, a memo written on."""
    before, after = (decision.before or {}).get("themes", {}), (decision.after or {}).get("themes", {})
    parents = {str(fields["parent_id"]) for snapshot in (before, after) for fields in snapshot.values()
               if fields.get("parent_id")}
    acted = {i for i in after if i not in parents}
    acted |= {str(fields["merged_into_id"]) for fields in after.values() if fields.get("merged_into_id")}
    created = [fields for i, fields in after.items() if before.get(i, {}).get("status") == "withdrawn"]
    if decision.action == "split":  # the theme split: the one beside the new theme
        acted |= {i for i, fields in after.items() for new in created
                  if (fields.get("level"), fields.get("parent_id")) == (new.get("level"), new.get("parent_id"))}
    if decision.action == "move":  # the theme the statement went to
        acted |= {str(row["theme_id"]) for state in (decision.after or {}).get("statements", {}).values()
                  for row in state.get("assignments", []) if row.get("status") == "confirmed"}
    return {int(i) for i in acted}


def _whole_themes(session: Session, themes: list[Theme], log: _DecisionLog | None = None) -> set[int]:
    """Top-level themes of `themes` that are the reviewer's as a whole, subcategories and all:
    confirmed, or acted on by a decision that stands (not undone)."""
    acted = (log or _read_decisions(session)).standing
    return {t.id for t in themes if t.level == "theme" and not t.parent_id and t.status in LIVE_STATUSES
            and (t.status == "confirmed" or t.id in acted)}


def _last_seen(log: _DecisionLog, by_id: dict[int, Theme]) -> dict[int, int]:
    """Per theme, the newest decision after which a reviewer has seen what it holds: one naming
    the theme, or one acting on its parent itself (a theme a reviewer acted on is theirs whole,
    subcategories and all). Undone decisions count: the reviewer saw the theme all the same."""
    return {t.id: max(log.named.get(t.id, 0), log.acted.get(t.parent_id, 0) if t.parent_id else 0)
            for t in by_id.values()}


def _codebook(session: Session, statement_ids: list[int]):
    """What the previous run and the reviewers left: pinned statements, confirmed themes that
    receive statements, candidates to match, rejected pairs, themes to carry forward."""
    current = current_theme_set(session)
    themes = list(session.scalars(select(Theme).where(Theme.theme_set_id == current.id))) if current else []
    by_id = {t.id: t for t in themes}
    # A theme the reviewer acted on keeps its subcategories and their statements, as a confirmed one does:
    # statements sit in subcategories, so protecting only the theme's own rows would protect nothing.
    log = _read_decisions(session)
    whole = _whole_themes(session, themes, log)
    reviewed = _reviewed_theme_ids(session, log) | {t.id for t in themes if t.parent_id in whole
                                               and t.status in LIVE_STATUSES}
    confirmed_ids = {t.id for t in themes if t.status == "confirmed"
                     or (t.status in LIVE_STATUSES and t.parent_id and by_id[t.parent_id].status == "confirmed")}
    clustered = set(statement_ids)  # filtered here: an IN list of every statement could pass SQLite's limit
    rows = [r for r in session.scalars(select(Suggestion)) if r.statement_id in clustered]
    # A row in a withdrawn theme (what an undo of a split left there before review/undo.py returned a
    # run's suggestions) is in no list or export: its statement is free, placed afresh, never pinned there.
    withdrawn = withdrawn_theme_ids(session)
    active = [r for r in rows if r.status in ACTIVE_ASSIGNMENT and r.theme_id not in withdrawn]
    # A statement is the reviewer's where a reviewer put or kept it: confirmed, or in a confirmed or
    # reviewed theme, unless a run offered it there (`offered_after_decision`) and no reviewer has
    # acted on the theme since. Such an offer is free again: offered anew by the same rule, so an
    # unchanged study re-clustered twice comes out the same, and a reviewed theme does not grow
    # with every run. (Why a column: the log's snapshots of an accept, rename or memo name no
    # statements, so what a theme held when a reviewer acted cannot be read back from the log.)
    last_seen = _last_seen(log, by_id)
    pinned = {r.statement_id for r in active
              if r.status == "confirmed" or ((r.theme_id in confirmed_ids or r.theme_id in reviewed)
                                             and (r.offered_after_decision is None
                                                  or last_seen.get(r.theme_id, 0) > r.offered_after_decision))}
    members: dict[int, set[int]] = {}  # a theme's statements, its subcategories' included
    direct: dict[int, set[int]] = {}
    for r in active:
        members.setdefault(r.theme_id, set()).add(r.statement_id)
        direct.setdefault(r.theme_id, set()).add(r.statement_id)
        parent = by_id[r.theme_id].parent_id if r.theme_id in by_id else None
        if parent:
            members.setdefault(parent, set()).add(r.statement_id)
    # Reviewed candidates receive new statements too (a reviewer shaped them: they should grow rather
    # than see a twin appear beside them), always at the lowest level: a theme with subcategories
    # receives none itself.
    parents = {t.parent_id for t in themes if t.status in LIVE_STATUSES and t.parent_id}
    confirmed = [ConfirmedTheme(t.id, t.question, sorted(m for m in direct.get(t.id, ()) if m in pinned))
                 for t in themes if t.status in LIVE_STATUSES and (t.id in confirmed_ids or t.id in reviewed)
                 and t.id not in parents]
    # A reviewed subcategory keeps its members as they are. A top-level candidate named in a decision
    # only because one of its subcategories was (a statement taken out, say) is still matched, so that
    # its unreviewed subcategories stay under it; one acted on itself is whole and not matched.
    candidates = [CandidateTheme(t.id, t.level, t.question, frozenset(members.get(t.id, set()) - pinned))
                  for t in themes if t.status == "candidate" and t.id not in confirmed_ids and t.id not in whole
                  and (t.level == "theme" or t.id not in reviewed)]
    carried = [t for t in themes if t.id in reviewed or t.id in confirmed_ids]
    rejected = {(r.theme_id, r.statement_id) for r in rows if r.status == "rejected"}
    # What each rejected theme held (a theme's rows sit in its subcategories), so that the group is not
    # offered again under a new code.
    turned_down = [CandidateTheme(t.id, t.level, t.question,
                                  frozenset(s for theme_id, s in rejected
                                            if theme_id == t.id or (theme_id in by_id and by_id[theme_id].parent_id == t.id)))
                   for t in themes if t.status == "rejected"]
    return by_id, pinned, confirmed, candidates, carried, rejected, {r.statement_id for r in active}, turned_down


def statements_kept_by_reviewers(session: Session, statement_ids: list[int]) -> set[int]:
    """Of `statement_ids`, those reviewers put or kept in a theme: the next theme set keeps them there
    (pipeline/reconcile.py), whatever cluster the run puts them in."""
    return _codebook(session, statement_ids)[1]


def withdrawn_theme_ids(session: Session) -> set[int]:
    """Themes an undo withdrew (a split's): they hold nothing, whatever rows still name them."""
    return set(session.scalars(select(Theme.id).where(Theme.status == "withdrawn")))


def logged_codes(session: Session) -> set[str]:
    """Every theme code the decision log has shown: a code a theme gave up (set under another
    parent, an undone move) is still what reviewers' memos, exports and the log call it."""
    codes: set[str] = set()
    for before, after in session.execute(select(Decision.before, Decision.after)):
        for snapshot in (before, after):
            codes |= {fields["code"] for fields in (snapshot or {}).get("themes", {}).values() if fields.get("code")}
    return codes


def unused_theme_code(session: Session, parent_code: str | None = None, prefix: str = "",
                      logged: set[str] | None = None) -> str:
    """A code no theme has now and none had in the decision log (`next_theme_code` sees only the
    codes themes hold now, so a code given up would be handed to another theme)."""
    fresh = next_theme_code(session, parent_code, prefix)
    stem = f"{parent_code}." if parent_code else f"{prefix}T"
    pattern = re.compile(re.escape(stem) + r"(\d+)$")
    used = [int(m.group(1)) for code in (logged if logged is not None else logged_codes(session))
            if (m := pattern.match(code))]
    number = max(int(fresh[len(stem):]), max(used, default=0) + 1)
    return f"{stem}{number}"


def last_decision_id(session: Session) -> int:
    """The newest decision's id, 0 for an empty log: what `Suggestion.offered_after_decision` records."""
    return session.scalar(select(func.max(Decision.id))) or 0


def store_theme_set(session: Session, fingerprint: str, encoder_id: str, settings: dict,
                    groups: list[ClusteredGroup], ids: list[int], vectors: np.ndarray) -> ThemeSet:
    """Record this run's themes, carrying the reviewed codebook forward (see pipeline/reconcile.py).
    With questions, codes carry the question's number: "Q2-T1.3". `vectors` (rows for `ids`, in
    the clusterer's space) place new statements by similarity."""
    statement_ids = [s.id for g in groups for s in g.statements]
    decided_before = last_decision_id(session)
    by_id, pinned, confirmed, candidates, carried, rejected, known, turned_down = _codebook(session, statement_ids)
    new_groups = [NewGroup(g.question, [s.id for s in g.statements], [a.theme_number for a in g.assignments],
                           [a.similarity for a in g.assignments], [a.outlier for a in g.assignments],
                           [a.weak_fit for a in g.assignments], g.parents) for g in groups]
    plan = reconcile(ids, vectors, new_groups, pinned, confirmed, candidates, rejected, known, turned_down)
    theme_set = ThemeSet(fingerprint=fingerprint, encoder_id=encoder_id, settings=settings,
                         n_statements=len(statement_ids))
    session.add(theme_set)
    session.flush()
    logged = logged_codes(session)
    order = iter(range(1_000_000, 2_000_000))  # provisional numbers, unique until the final numbering

    def into_this_set(theme: Theme) -> None:
        theme.theme_set_id, theme.number = theme_set.id, next(order)

    left_at = {theme.id: (theme.theme_set_id, theme.number) for theme in carried}
    for theme in carried:
        into_this_set(theme)
    # Free statements lose their old suggestion first (and any row left in a withdrawn theme, which
    # `_codebook` did not count): deletes flush before the new rows go in.
    placed = set(plan.into_confirmed) | {s for p in plan.groups for s in p.placed} | set(plan.unplaced)
    withdrawn = withdrawn_theme_ids(session)
    for row in session.scalars(select(Suggestion).where(Suggestion.status.in_(ACTIVE_ASSIGNMENT))):
        if row.statement_id in placed and (row.status == "suggested" or row.theme_id in withdrawn):
            session.delete(row)
    session.flush()
    offered_after = last_decision_id(session)  # a reviewer acting on the theme later makes an offer theirs
    for statement_id, (theme_id, similarity) in plan.into_confirmed.items():
        session.add(Suggestion(theme_id=theme_id, statement_id=statement_id, similarity=similarity,
                               offered_after_decision=offered_after))
    asked = [group.question for group in groups if group.question is not None]
    for group, group_plan in zip(groups, plan.groups):
        # Only questions are numbered: statements without one (interviews beside a survey) come first, unnumbered.
        prefix = f"Q{asked.index(group.question) + 1}-" if group.question is not None else ""
        used = {k for k, *_ in group_plan.placed.values()}
        tops: dict[int, Theme] = {}
        for t, description in enumerate(group.themes):
            if not any(group.parents[k] == t for k in used):
                continue
            theme = _describe(session, group, description, by_id.get(group_plan.theme_theme[t]),
                              lambda prefix=prefix: unused_theme_code(session, prefix=prefix, logged=logged), "theme", None)
            into_this_set(theme)
            tops[t] = theme
        session.flush()
        subs: dict[int, Theme] = {}
        for k, description in enumerate(group.subcategories):  # largest first: T1.1 is T1's largest
            if k not in used:
                continue
            parent = tops[group.parents[k]]
            theme = _describe(session, group, description, by_id.get(group_plan.subcategory_theme[k]),
                              lambda parent=parent: unused_theme_code(session, parent.code, logged=logged), "subcategory", parent.id)
            into_this_set(theme)
            subs[k] = theme
            session.flush()
        for statement_id, (k, similarity, outlier, weak_fit) in group_plan.placed.items():
            session.add(Suggestion(theme_id=subs[k].id, statement_id=statement_id, similarity=round(float(similarity), 4),
                                   outlier=bool(outlier), weak_fit=bool(weak_fit)))
    session.flush()
    _retire_emptied_candidates(session, [t for t in carried if t.status == "candidate"], left_at)
    final = sorted(session.scalars(select(Theme).where(Theme.theme_set_id == theme_set.id)),
                   key=lambda t: (t.level != "theme", code_order(t.code)))
    for number, theme in enumerate(final, start=1):
        theme.number = number
    refresh_counts(session, [t.id for t in final])
    # Described from the clusterer's groups, before reconciliation kept reviewed statements where reviewers
    # put them: a quote may belong to another theme now.
    refresh_exemplars(session, [t.id for t in final])
    if last_decision_id(session) != decided_before:
        # A reviewer decided while this was planned from the codebook read above: the plan may not carry
        # that decision (an accepted theme left behind, a confirmed statement in two themes). Checked
        # after this transaction has written, so no later decision can commit before it does (SQLite),
        # or only one that waits on the rows written here (PostgreSQL). Rolled back; the run retries.
        raise ReviewedMeanwhile(f"{last_decision_id(session) - decided_before} reviewer decisions were made while "
                                "the run stored its themes; stored again with them")
    return theme_set


def _retire_emptied_candidates(session: Session, carried: list[Theme], left_at: dict[int, tuple[int, int]]) -> None:
    """Leave in their old theme set (retired, as an unmatched candidate is) the carried candidates that
    hold nothing now: no statement and no live subcategory. A top-level candidate is carried because
    the log names it when one of its subcategories changed (a subcategory rejected, a statement taken
    out); when the new clustering regroups that theme's subcategories under another theme, it would
    stay behind as an empty theme beside its own near-twin. One a reviewer acted on itself (renamed,
    accepted, written about, split: `_acted_on`, not undone) stays, even empty: it is theirs."""
    acted = _read_decisions(session).standing
    for theme in sorted(carried, key=lambda t: t.level == "theme"):  # subcategories first: a parent may hold only them
        if theme.id in acted:
            continue
        holds = session.scalar(select(Suggestion.id).where(Suggestion.theme_id == theme.id,
                                                           Suggestion.status.in_(ACTIVE_ASSIGNMENT)).limit(1))
        live_child = session.scalar(select(Theme.id).where(Theme.parent_id == theme.id, Theme.status.in_(LIVE_STATUSES),
                                                           Theme.theme_set_id == theme.theme_set_id).limit(1))
        if holds is None and live_child is None:
            theme.theme_set_id, theme.number = left_at[theme.id]
            log.info("theme %s holds nothing after this run and no reviewer acted on it itself: retired", theme.code)
    session.flush()


def refresh_exemplars(session: Session, theme_ids) -> None:
    """Store `exemplars_among_members` for these themes and their parents (whose members change
    with their subcategories')."""
    for theme in with_parents(session, theme_ids).values():
        chosen = exemplars_among_members(session, theme)
        if chosen != list(theme.exemplar_statement_ids or []):
            theme.exemplar_statement_ids = chosen


def exemplars_among_members(session: Session, theme: Theme) -> list[int]:
    """A theme's exemplar quotes kept among its members now (a top-level theme's: its own and its
    live subcategories'): quotes that left are dropped and replaced by the members closest to the
    centre, from participants not yet quoted where possible (as pipeline/describe.py picks them).
    Quotes still members stay, so a reviewer sees the same ones."""
    # Dense members first, each by decreasing similarity to the centre of the (sub)theme it sits in.
    members = [row.statement for row in theme_suggestions(session, theme)
               if row.statement.transcript.superseded_by_id is None]
    participant_of = {s.id: s.participant for s in members}
    current = list(theme.exemplar_statement_ids or [])
    kept = [i for i in current if i in participant_of]
    wanted = len(current) or DescribeConfig().n_exemplars  # as many as it had; a new theme the default
    return choose_exemplars([s.id for s in members], participant_of, wanted, kept)


class ReviewedMeanwhile(RuntimeError):
    """Reviewers decided while a run was storing its themes: worth retrying (flows/run_record.py)."""


def _describe(session: Session, group: ClusteredGroup, description: ThemeDescription, previous: Theme | None,
              new_code, level: str, parent_id: int | None) -> Theme:
    """The previous theme this cluster continues, freshly described (reviewer-set fields kept), or a new one."""
    exemplars = [group.statements[i].id for i in description.exemplars]
    if previous is None:
        theme = Theme(theme_set_id=None, number=0, code=new_code(), level=level, parent_id=parent_id,
                      question=group.question, label=description.label, keywords=description.keywords,
                      exemplar_statement_ids=exemplars, size=0, participants=[],
                      cohesion=round(description.cohesion, 4))
        session.add(theme)
        return theme
    kept = set(previous.reviewer_fields or [])
    if "label" not in kept:
        previous.label = description.label
    if "parent_id" not in kept and level == "subcategory" and previous.parent_id != parent_id:
        previous.parent_id = parent_id
        previous.code = new_code()  # "T3.2" under T3: a code always names its parent
    previous.keywords, previous.exemplar_statement_ids = description.keywords, exemplars
    previous.cohesion = round(description.cohesion, 4)
    return previous
