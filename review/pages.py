"""What the review pages show, read from the store. Only the rows of the page asked for are
loaded (LIMIT/OFFSET in SQL, context turns for those rows only), so a theme of 5,000
statements opens as fast as one of 50."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape
from qualflow.models import Statement, Suggestion, Theme, Transcript, Turn
from qualflow.models.codebook import code_order
from qualflow.models.queries import (
    ACTIVE_ASSIGNMENT,
    LIVE_STATUSES,
    NOT_SIGNIFICANT,
    current_theme_set,
    current_themes,
    live_transcripts,
    memos_on,
    study_participants,
)
from qualflow.pipeline.chinese_script import to_simplified, traditional_forms
from qualflow.pipeline.describe import ONE_PARTICIPANT, ONE_PARTICIPANT_WHY, one_participant_themes
from qualflow.pipeline.language import detect_language
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

PAGE_SIZE = 50
CONTEXT_CHARS = 280


@dataclass
class Filters:
    q: str = ""
    participant: str = ""
    transcript: int | None = None
    status: str = "live"  # live | all | candidate | confirmed | rejected | merged

    def statuses(self) -> tuple[str, ...]:
        if self.status == "live":
            return LIVE_STATUSES
        if self.status == "all":
            return ("candidate", "confirmed", "rejected", "merged")
        return (self.status,)


@lru_cache(maxsize=4096)  # a theme page names every theme in each statement's "Move to" menu
def lang_of(text: str | None) -> Markup:
    """' lang="zh"' for Chinese text (pages are lang="en"), so screen readers read it with Chinese
    rules and browsers pick a Chinese font; nothing for other text. A template filter."""
    return Markup(' lang="zh"') if text and detect_language(str(text)) == "zh" else Markup("")


# A run of Chinese: a Han character, then Han characters and CJK punctuation (。，、「」 and full-width forms).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
CHINESE_RUN = re.compile(f"[{_HAN}][{_HAN}\u3000-\u303f\uff00-\uffef]*")


def zh_runs(text: str | None, element_text: str | None = None) -> Markup:
    """Text for an element marked with `lang_of(element_text)` (the text itself by default), escaped: when
    that is not taken for Chinese but the text holds some (a generated label "T1.3 room · 有没有 · people", a
    file name "zh_p5_社区医生.txt", an English turn quoting Chinese words), each Chinese run in
    <span lang="zh">, so a screen reader does not read it with English rules. A template filter."""
    text = str(text or "")
    if not CHINESE_RUN.search(text) or lang_of(text if element_text is None else element_text):
        return escape(text)
    parts, last = [], 0
    for run in CHINESE_RUN.finditer(text):
        parts += [escape(text[last:run.start()]), Markup('<span lang="zh">%s</span>') % run.group()]
        last = run.end()
    return Markup("").join([*parts, escape(text[last:])])


def option_lang(text: str | None) -> Markup:
    """' lang="zh"' for a menu option holding any Chinese: an option holds text only, no <span>. A Chinese
    voice reads the Latin letters of a mixed name; an English voice cannot read Chinese characters."""
    return Markup(' lang="zh"') if text and CHINESE_RUN.search(str(text)) else Markup("")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _script_forms(q: str) -> list[str]:
    """The search words as typed and in both Chinese scripts: 家屬 finds a Shanghai transcript's 家属,
    and 家属 a Taipei one's 家屬 (statements are stored as written; other text converts to itself)."""
    simplified = to_simplified(q)
    return sorted({q, simplified, *traditional_forms(simplified)})


def _statement_filter(query, filters: Filters):
    # A replaced version of a transcript is history: no list or search shows its statements.
    query = query.where(Statement.transcript_id.in_(live_transcripts()))
    if filters.q:
        query = query.where(or_(*(Statement.text.like(_like(form), escape="\\") for form in _script_forms(filters.q))))
    if filters.participant:
        query = query.where(Statement.participant == filters.participant)
    if filters.transcript:
        query = query.where(Statement.transcript_id == filters.transcript)
    return query


def theme_list(session: Session, filters: Filters) -> list[dict]:
    """Top-level themes, each with its subcategories; with a statement filter, only themes that
    hold matching statements, with how many."""
    themes = current_themes(session, filters.statuses())
    matching: dict[int, int] | None = None
    if filters.q or filters.participant or filters.transcript:
        query = (select(Suggestion.theme_id, func.count()).join(Statement, Statement.id == Suggestion.statement_id)
                 .where(Suggestion.status.in_(ACTIVE_ASSIGNMENT)).group_by(Suggestion.theme_id))
        matching = dict(session.execute(_statement_filter(query, filters)).all())
        label_hits = {t.id for t in themes if filters.q and filters.q.lower() in (t.label + " " + " ".join(t.keywords)).lower()}
    by_parent: dict[int | None, list[Theme]] = {}
    for theme in themes:
        by_parent.setdefault(theme.parent_id if theme.level == "subcategory" else None, []).append(theme)
    n_participants = len(study_participants(session))
    rows = []
    ids = {t.id for t in themes}
    orphans = [t for t in themes if t.level == "subcategory" and t.parent_id not in ids]
    for top in sorted(by_parent.get(None, []) + orphans, key=lambda t: code_order(t.code)):
        subs = sorted(by_parent.get(top.id, []), key=lambda t: code_order(t.code)) if top.level == "theme" else []
        if matching is not None:
            hits = {t.id: matching.get(t.id, 0) for t in [top] + subs}
            keep = {i for i, n in hits.items() if n} | (label_hits & hits.keys())
            if not keep:
                continue
            subs = [s for s in subs if s.id in keep]
        # With a filter, how many statements match: a theme's own and its subcategories', and each subcategory's.
        matches = None if matching is None else {**hits, top.id: sum(hits.values())}
        rows.append({"theme": top, "subs": subs, "n_participants": n_participants,
                     "hits": None if matching is None else sum(hits.values()), "matches": matches})
    return rows


def theme_statements(session: Session, theme: Theme, filters: Filters, page: int) -> tuple[list[dict], int]:
    """One page of a theme's statements (its own and its subcategories'), best fit first, each
    with the turns around it; and how many statements match in all."""
    ids = [theme.id] + list(session.scalars(select(Theme.id).where(
        Theme.parent_id == theme.id, Theme.theme_set_id == theme.theme_set_id, Theme.status.in_(LIVE_STATUSES))))
    base = (select(Suggestion, Statement).join(Statement, Statement.id == Suggestion.statement_id)
            .where(Suggestion.theme_id.in_(ids), Suggestion.status.in_(ACTIVE_ASSIGNMENT)))
    base = _statement_filter(base, filters)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    rows = session.execute(base.order_by(Suggestion.status != "confirmed", Suggestion.outlier,
                                         Suggestion.similarity.desc(), Statement.id)
                           .limit(PAGE_SIZE).offset(max(0, page - 1) * PAGE_SIZE)).all()
    return [_with_context(session, suggestion, statement) for suggestion, statement in rows], total


def _with_context(session: Session, suggestion: Suggestion, statement: Statement) -> dict:
    turn = session.get(Turn, statement.turn_id)
    transcript = session.get(Transcript, statement.transcript_id)
    near = {t.index: t for t in session.scalars(select(Turn).where(
        Turn.transcript_id == transcript.id, Turn.index.in_([turn.index - 1, turn.index + 1])))}

    def excerpt(t: Turn | None, around: tuple[int, int] | None = None) -> dict | None:
        if t is None:
            return None
        start, end = t.start, t.end
        if around is None and end - start > CONTEXT_CHARS:
            start = end - CONTEXT_CHARS if t.index < turn.index else start
            end = start + CONTEXT_CHARS
        elif around is not None:
            start = max(t.start, around[0] - CONTEXT_CHARS // 2)
            end = min(t.end, around[1] + CONTEXT_CHARS // 2)
        speaker = t.participant or t.speaker_label or t.role
        if around is None:
            return {"speaker": speaker, "role": t.role, "before": transcript.text[start:end], "mark": "", "after": ""}
        return {"speaker": speaker, "role": t.role, "before": transcript.text[start:around[0]],
                "mark": transcript.text[around[0]:around[1]], "after": transcript.text[around[1]:end],
                "cut_start": start > t.start, "cut_end": end < t.end}

    theme = session.get(Theme, suggestion.theme_id)
    return {"statement": statement, "suggestion": suggestion, "theme": theme, "transcript": transcript,
            "previous": excerpt(near.get(turn.index - 1)), "turn": excerpt(turn, (statement.start, statement.end)),
            "next": excerpt(near.get(turn.index + 1)),
            "memos": memos_on(session, statement_ids=[statement.id])}


def transcript_turns(session: Session, transcript: Transcript, highlight: int | None) -> list[dict]:
    """The transcript turn by turn; the highlighted statement's words marked."""
    statement = session.get(Statement, highlight) if highlight else None
    if statement is not None and statement.transcript_id != transcript.id:
        statement = None
    turns = []
    for turn in session.scalars(select(Turn).where(Turn.transcript_id == transcript.id).order_by(Turn.index)):
        text = transcript.text[turn.start:turn.end]
        mark = ("", "", "")
        if statement is not None and turn.id == statement.turn_id:
            a, b = statement.start - turn.start, statement.end - turn.start
            mark = (text[:a], text[a:b], text[b:])
        turns.append({"turn": turn, "text": text, "split": mark if mark[1] else None})
    return turns


def search_statements(session: Session, filters: Filters, page: int) -> tuple[list[dict], int]:
    """Significant statements anywhere in the study matching the filters, with their place; and those a
    reviewer marked not significant (`row["not_significant"]`), so that the mark can be taken back."""
    query = _statement_filter(select(Statement).where(
        Statement.significant.is_(True) | (Statement.excluded_reason == NOT_SIGNIFICANT)), filters)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    statements = session.scalars(query.order_by(Statement.transcript_id, Statement.index)
                                 .limit(PAGE_SIZE).offset(max(0, page - 1) * PAGE_SIZE)).all()
    placed = {row.statement_id: row for row in session.scalars(select(Suggestion).where(
        Suggestion.statement_id.in_([s.id for s in statements]), Suggestion.status.in_(ACTIVE_ASSIGNMENT)))}
    return [{"statement": s, "theme": session.get(Theme, placed[s.id].theme_id) if s.id in placed else None,
             "transcript": session.get(Transcript, s.transcript_id), "not_significant": not s.significant}
            for s in statements], total


def choices(session: Session) -> dict:
    """What the filter menus and the move/merge targets offer, and which live themes rest on one
    participant (every page that lists or shows themes flags them)."""
    theme_set = current_theme_set(session)
    live = current_themes(session) if theme_set else []
    return {"participants": study_participants(session),
            "one_participant": one_participant_themes(session, live),
            "one_participant_flag": ONE_PARTICIPANT, "one_participant_why": ONE_PARTICIPANT_WHY,
            "transcripts": session.execute(select(Transcript.id, Transcript.source_name)
                                           .where(Transcript.id.in_(live_transcripts()))
                                           .order_by(Transcript.source_name)).all(),
            "targets": sorted(live, key=lambda t: code_order(t.code))}

