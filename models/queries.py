"""Read-side questions the CLI, the reports and the review app ask of the store."""

from __future__ import annotations

from qualflow.models.records import (
    Decision,
    Memo,
    Statement,
    Suggestion,
    Theme,
    ThemeSet,
    Transcript,
    Turn,
)
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

# The working codebook: what reports show and statements are suggested into.
LIVE_STATUSES = ("candidate", "confirmed")
# An assignment that places a statement; "rejected" and "superseded" rows are kept only as a record.
ACTIVE_ASSIGNMENT = ("suggested", "confirmed")
# `Statement.excluded_reason` of a statement a reviewer marked not significant.
NOT_SIGNIFICANT = "reviewer: not significant"


def live_transcripts() -> Select:
    """The ids of the transcripts that count: each file's newest version. An edited file's older
    versions stay stored (the decisions made on them are history) but nothing live reads them.
    Use as `Statement.transcript_id.in_(live_transcripts())` or `Transcript.id.in_(...)`."""
    return select(Transcript.id).where(Transcript.superseded_by_id.is_(None))


# A new transcript that repeats at least this share of another live transcript's statements (and at
# least MIN_REPEATED of them) is most likely the same interview under a new name.
REPEATED_SHARE, MIN_REPEATED = 0.5, 5


def repeated_interviews(session: Session, after_transcript_id: int) -> list[tuple[str, str, int, int]]:
    """(new file, stored file, statements repeated, statements in the new file) for each transcript
    added after `after_transcript_id` whose significant statements are mostly another live
    transcript's. Both are live and clustered, so the interview counts twice: a file renamed and
    edited, or run by its own path instead of its folder's, is a new transcript, not a new version."""
    live = set(session.scalars(live_transcripts()))
    rows = session.execute(select(Statement.transcript_id, Statement.text_hash)
                           .where(Statement.significant.is_(True), Statement.transcript_id.in_(live))).all()
    hashes: dict[int, set[str]] = {}
    for transcript_id, text_hash in rows:
        hashes.setdefault(transcript_id, set()).add(text_hash)
    names = dict(session.execute(select(Transcript.id, Transcript.source_name).where(Transcript.id.in_(live))).all())
    found = []
    for new_id in sorted(t for t in hashes if t > after_transcript_id):
        new = hashes[new_id]
        # Each pair once, by the later file: two copies added in one run are one finding.
        best = max(((len(new & old), other) for other, old in hashes.items() if other < new_id), default=(0, None))
        shared, other = best
        if other is not None and shared >= MIN_REPEATED and shared >= REPEATED_SHARE * len(new):
            found.append((names[new_id], names[other], shared, len(new)))
    return found


def statement_questions(session: Session) -> dict[int, str | None]:
    """Each significant statement's survey question (from its turn), None for interview statements."""
    rows = session.execute(select(Statement.id, Turn.meta).join(Turn, Turn.id == Statement.turn_id)
                           .where(Statement.significant.is_(True)))
    return {statement_id: (meta or {}).get("question") for statement_id, meta in rows}


def question_order(session: Session) -> dict[str | None, int]:
    """Each survey question's place in the study: where its first unit lies (live transcripts in ingest
    order, then the units' order within each); None stands for statements without a question. Questions
    are numbered (Q1, Q2…) and listed in this order, so a question added later never renumbers the others."""
    order: dict[str | None, int] = {}
    for (meta,) in session.execute(select(Turn.meta).where(Turn.transcript_id.in_(live_transcripts()))
                                   .order_by(Turn.transcript_id, Turn.index)):
        order.setdefault((meta or {}).get("question"), len(order))
    return order


def current_theme_set(session: Session) -> ThemeSet | None:
    return session.scalar(select(ThemeSet).order_by(ThemeSet.id.desc()).limit(1))


def current_themes(session: Session, statuses: tuple[str, ...] = LIVE_STATUSES) -> list[Theme]:
    """The themes of the newest run with one of `statuses` (live ones by default), in code order."""
    theme_set = current_theme_set(session)
    if theme_set is None:
        return []
    return list(session.scalars(select(Theme).where(Theme.theme_set_id == theme_set.id, Theme.status.in_(statuses))
                                .order_by(Theme.number)))


def theme_by_code(session: Session, code: str) -> Theme | None:
    """A current theme ("T2") or subcategory ("T2.3") by its code, whatever its status."""
    theme_set = current_theme_set(session)
    if theme_set is None:
        return None
    return session.scalar(select(Theme).where(Theme.theme_set_id == theme_set.id, Theme.code == code))


def subcategories_of(session: Session, theme: Theme, statuses: tuple[str, ...] = LIVE_STATUSES) -> list[Theme]:
    # A retired subcategory (left in an older set) may still name a live parent.
    return list(session.scalars(select(Theme).where(Theme.parent_id == theme.id, Theme.status.in_(statuses),
                                                    Theme.theme_set_id == theme.theme_set_id)
                                .order_by(Theme.number)))


def theme_suggestions(session: Session, theme: Theme) -> list[Suggestion]:
    """The statements placed in a subcategory, or in a theme and all its subcategories: dense
    members first, each by decreasing similarity. Rejected assignments are not members."""
    ids = [theme.id] + [child.id for child in subcategories_of(session, theme)]
    return list(
        session.scalars(
            select(Suggestion)
            .where(Suggestion.theme_id.in_(ids), Suggestion.status.in_(ACTIVE_ASSIGNMENT))
            .options(selectinload(Suggestion.statement).selectinload(Statement.transcript))
            .order_by(Suggestion.outlier, Suggestion.similarity.desc(), Suggestion.statement_id)
        )
    )


def active_assignment(session: Session, statement_id: int) -> Suggestion | None:
    """Where a statement is placed now (suggested or confirmed), if anywhere."""
    return session.scalar(select(Suggestion).where(Suggestion.statement_id == statement_id,
                                                   Suggestion.status.in_(ACTIVE_ASSIGNMENT)))


def study_participants(session: Session) -> list[str]:
    """Every participant with at least one significant statement."""
    rows = session.scalars(
        select(Statement.participant).where(Statement.significant.is_(True),
                                            Statement.transcript_id.in_(live_transcripts())).distinct()
    )
    return sorted((p for p in rows if p), key=lambda p: (len(p), p))


def theme_decisions(session: Session, theme_id: int) -> list[Decision]:
    """Every decision that touched a theme, oldest first (the log is small: filtered here, not in SQL JSON)."""
    return [d for d in session.scalars(select(Decision).order_by(Decision.id)) if theme_id in (d.theme_ids or [])]


def memos_on(session: Session, theme_id: int | None = None, statement_ids: list[int] | None = None) -> list[Memo]:
    query = select(Memo).where(Memo.withdrawn.is_(False)).order_by(Memo.id)
    if theme_id is not None:
        query = query.where(Memo.theme_id == theme_id)
    if statement_ids is not None:
        query = query.where(Memo.statement_id.in_(statement_ids))
    return list(session.scalars(query))



def newest_transcript_id(session: Session) -> int:
    return session.scalar(select(func.max(Transcript.id))) or 0


def suggestions_after_transcript(session: Session, transcript_id: int, also: list[int] = ()) -> int:
    """Live suggestions for statements a run added: statements of transcripts stored after
    `transcript_id` (and of the transcripts `also` names: an earlier unfinished run's, which this run
    counts), leaving out those a new file version only repeats (a statement whose text the version it
    replaces already had carries its suggestion over; pipeline/versions.py)."""
    earlier = aliased(Statement)
    repeated = (select(earlier.id).where(earlier.transcript_id == Transcript.previous_version_id,
                                         earlier.text_hash == Statement.text_hash).exists())
    added = Statement.transcript_id > transcript_id
    if also:
        added = or_(added, Statement.transcript_id.in_(list(also)))
    return session.scalar(
        select(func.count()).select_from(Suggestion).join(Statement, Statement.id == Suggestion.statement_id)
        .join(Transcript, Transcript.id == Statement.transcript_id)
        .where(added, Suggestion.status == "suggested", ~repeated)
    ) or 0
