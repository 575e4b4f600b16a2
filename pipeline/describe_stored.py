"""Keywords for themes a reviewer reshaped, drawn from their members now, as a run draws them.

A split makes a theme out of statements the run described as part of another: the new theme had no
keywords, and the one it came from kept words that may describe only what left it. A run that
re-clusters re-describes only the themes one of its clusters continues, so both could stay so for
good. `redescribe` gives them keywords the way pipeline/describe.py gives a cluster its own:
class-based TF-IDF over their dense members, against the other live themes of the same level (and
question) in the current theme set, keeping out words only one participant used.

What differs from a run: the diversity step compares words by spelling, not by the encoder's vectors
(the review app loads no encoder), and Chinese is cut by jieba's own dictionary without a config's
study words (the review app reads no config).
"""

from __future__ import annotations

import numpy as np
from qualflow.models import Statement, Suggestion, Theme, ThemeSet
from qualflow.models.codebook import family_ids
from qualflow.models.queries import ACTIVE_ASSIGNMENT, LIVE_STATUSES, live_transcripts
from qualflow.pipeline.config import DescribeConfig
from qualflow.pipeline.describe import describe_themes
from qualflow.pipeline.segment import configure_jieba
from sqlalchemy import select
from sqlalchemy.orm import Session


def redescribe(session: Session, themes: list[Theme]) -> dict[str, dict]:
    """Set the keywords and cohesion of these live themes from their members now; a label no reviewer
    set becomes the first keywords, as a run's would. Returns what each had before, by id (as a
    decision's snapshot keys them), for an undo to put back (`restore_descriptions`)."""
    configure_jieba(None)  # quiet: Chinese keywords are cut again by jieba (language.content_token_forms)
    before = {}
    for level_themes in _by_peer_group(themes).values():
        peers = _peers(session, level_themes[0])
        descriptions = _describe(session, peers)
        for theme in level_themes:
            if theme.id not in descriptions:
                continue
            description = descriptions[theme.id]
            before[str(theme.id)] = {"keywords": list(theme.keywords or []), "cohesion": theme.cohesion}
            theme.keywords = description.keywords
            theme.cohesion = round(description.cohesion, 4)
            if "label" not in (theme.reviewer_fields or []):
                theme.label = description.label
    session.flush()
    return before


def restore_descriptions(session: Session, described: dict[str, dict]) -> None:
    """Put back the keywords and cohesion `redescribe` replaced."""
    for theme_id, fields in described.items():
        theme = session.get(Theme, int(theme_id))
        if theme is not None:
            theme.keywords, theme.cohesion = fields["keywords"], fields["cohesion"]


def _by_peer_group(themes: list[Theme]) -> dict[tuple, list[Theme]]:
    groups: dict[tuple, list[Theme]] = {}
    for theme in themes:
        groups.setdefault((theme.theme_set_id, theme.level, theme.question), []).append(theme)
    return groups


def _peers(session: Session, theme: Theme) -> list[Theme]:
    """The live themes a theme's words are weighed against: its level and question in its theme set."""
    question = Theme.question.is_(None) if theme.question is None else Theme.question == theme.question
    return list(session.scalars(select(Theme).where(
        Theme.theme_set_id == theme.theme_set_id, Theme.level == theme.level, question,
        Theme.status.in_(LIVE_STATUSES)).order_by(Theme.number)))


def _describe(session: Session, peers: list[Theme]) -> dict:
    """Descriptions of `peers` by theme id, from their live members (a theme's: its subcategories' too)."""
    member_of, rows = {}, []
    for k, theme in enumerate(peers):
        for row in session.scalars(select(Suggestion).where(
                Suggestion.theme_id.in_(family_ids(session, theme)), Suggestion.status.in_(ACTIVE_ASSIGNMENT),
                Suggestion.statement_id.in_(select(Statement.id).where(
                    Statement.transcript_id.in_(live_transcripts()))))):
            if row.statement_id not in member_of:
                member_of[row.statement_id] = k
                rows.append(row)
    present = sorted(set(member_of.values()))
    if not present:
        return {}
    # describe_themes numbers themes 0..k-1: a theme with no member left gets no number.
    number = {k: i for i, k in enumerate(present)}
    statements = {s.id: s for s in session.scalars(select(Statement).where(Statement.id.in_(member_of)))}
    # With the settings of the run that made the theme set (a config may ask for fewer keywords).
    theme_set = session.get(ThemeSet, peers[0].theme_set_id)
    settings = DescribeConfig(**((theme_set.settings or {}).get("describe") or {}))
    descriptions = describe_themes(
        np.array([number[member_of[row.statement_id]] for row in rows]),
        np.array([bool(row.outlier) for row in rows]),
        np.array([float(row.similarity) for row in rows]),
        [list(statements[row.statement_id].tokens or []) for row in rows],
        [statements[row.statement_id].participant for row in rows],
        n_keywords=settings.n_keywords, n_exemplars=settings.n_exemplars, label_keywords=settings.label_keywords)
    return {peers[k].id: descriptions[number[k]] for k in present}
