"""Describing each theme: keywords, a short label, exemplar quotes, coverage, cohesion; and, read from
the store's current members, whether a theme rests on one participant (`one_participant_themes`).

Keywords are class-based TF-IDF (as in BERTopic): all statements of a theme form one
document, and a word scores high when it is frequent in this theme and rare across themes.
Tokens are jieba words for Chinese and spaCy words for English, without stop words.

c-TF-IDF favours rare words, and what de-identification missed is rare: a handle said once became
the label on every exported row of its theme. So a keyword is never shaped like an identifier
(`identifier_shaped`), and never a word only one participant used when the theme's statements come
from two or more (`_shared_by_sources`). A small theme whose participants share too few words for a
label is filled up with words two participants or more use elsewhere in the statements described, never
with a word only one person used anywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from qualflow.models import Statement, Suggestion, Theme
from qualflow.models.queries import ACTIVE_ASSIGNMENT, study_participants
from qualflow.pipeline.deid.pseudonym import PLACEHOLDER
from qualflow.pipeline.deid.web import find_web_identifiers
from qualflow.pipeline.language import content_token_forms
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

# A placeholder is cut into at most "[", "PERSON", "_", "1", "]" by jieba (spaCy: "[", "PERSON_1", "]").
_LONGEST_PLACEHOLDER = 5
# Usernames and ID numbers: an underscore beside a letter (wxm_1985, johnsmith_rn), or letters then three
# digits or more (lihua2020, ab123456c). Ordinary words have neither; "covid-19" keeps its two digits.
_ID_LIKE = re.compile(r"[^\W\d_]_|_[^\W_]|[^\W\d_]\d{3,}")


# The label of a theme with no keyword. It was "theme {k + 1}", k being the clustering's index, shown beside the
# theme's own code ("T7 theme 3", "T2.1 theme 1" in the table, the review app and exports), where it read as
# another theme's name. The code already tells themes apart; the label says why it is not named and what to
# read instead. Not an exemplar's first words: the words of one participant are kept out of labels, which
# every exported row repeats (`_shared_by_sources`), and a theme has no keyword mostly for want of shared ones.
NO_KEYWORDS_LABEL = "(no shared keywords: read its quotes)"


@dataclass(frozen=True)
class ThemeDescription:
    label: str
    keywords: list[str]
    exemplars: list[int]  # indices into the statements given, best first
    participants: list[str]
    cohesion: float  # mean cosine similarity of members to the theme centre


def without_placeholders(tokens: list[str]) -> list[str]:
    """The tokens minus de-identification placeholders. "[PERSON_3]" stands for a name, so it counts as
    a content word when judging whether a statement says enough, but "person_3" or "person" is no
    keyword: it says nothing about the theme and would repeat across every theme that mentions people."""
    kept, i = [], 0
    while i < len(tokens):
        if PLACEHOLDER.match(tokens[i]):
            i += 1
            continue
        if tokens[i] == "[":
            end = next((j for j in range(i + 1, min(i + _LONGEST_PLACEHOLDER, len(tokens))) if tokens[j] == "]"), None)
            if end is not None and PLACEHOLDER.match("".join(tokens[i:end + 1])):
                i = end + 1
                continue
        kept.append(tokens[i])
        i += 1
    return kept


def identifier_shaped(word: str) -> bool:
    """Whether a token looks like an identifier rather than a word: a handle, URL, domain or e-mail
    address (anything with @, ://, www.), a username or an ID number (`_ID_LIKE`)."""
    return "@" in word or "://" in word or bool(_ID_LIKE.search(word)) or bool(find_web_identifiers(word))


def _shared_by_sources(statement_words: list[list[str]], sources: list) -> set[str] | None:
    """The words used by two sources or more, or None (no restriction) when the statements have one source.
    A source is a statement's participant, or the statement itself when it names none (a units file's
    empty cell): a word one person alone used may be their name, street or handle left in clear."""
    if len(set(sources)) < 2:
        return None
    used_by: dict[str, set] = {}
    for words, source in zip(statement_words, sources):
        for word in words:
            used_by.setdefault(word, set()).add(source)
    return {word for word, who in used_by.items() if len(who) >= 2}


def class_tfidf(token_lists_per_theme: list[list[str]]) -> list[dict[str, float]]:
    """c-TF-IDF: tf normalised within each theme, idf = log(1 + mean theme length / term frequency)."""
    counts = [Counter(tokens) for tokens in token_lists_per_theme]
    total = Counter()
    for counter in counts:
        total.update(counter)
    if not total:
        return [{} for _ in counts]
    mean_length = sum(total.values()) / max(len(counts), 1)
    scores = []
    for counter in counts:
        size = sum(counter.values()) or 1
        scores.append({w: (c / size) * np.log(1 + mean_length / total[w]) for w, c in counter.items()})
    return scores


def diverse_keywords(candidates: list[str], relevance: list[float], vectors: np.ndarray | None, n: int,
                     diversity: float = 0.5) -> list[str]:
    """Maximal marginal relevance: each next keyword is relevant (c-TF-IDF) and unlike the ones
    already chosen, so a label is not "visit · visits · visiting". Similarity between words is
    the cosine of their vectors, or a shared start of four letters when no vectors are given."""
    if not candidates:
        return []
    rel = np.asarray(relevance, dtype=float)
    rel = rel / rel.max() if rel.max() > 0 else rel
    if vectors is not None:
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        similar = unit @ unit.T
    else:
        similar = np.array([[float(a == b or (min(len(a), len(b)) >= 4 and a[:4] == b[:4])) for b in candidates]
                            for a in candidates])
    chosen = [0]
    while len(chosen) < min(n, len(candidates)):
        rest = [i for i in range(len(candidates)) if i not in chosen]
        score = [(1 - diversity) * rel[i] - diversity * similar[i, chosen].max() for i in rest]
        chosen.append(rest[int(np.argmax(score))])
    return [candidates[i] for i in chosen]


def _pick_exemplars(member_indices: np.ndarray, similarity: np.ndarray, participants: list[str | None],
                    n: int) -> list[int]:
    """Closest to the centre first, one per participant while others remain."""
    ranked = [int(i) for i in member_indices[np.argsort(-similarity[member_indices], kind="stable")]]
    return choose_exemplars(ranked, dict(enumerate(participants)), n)


def choose_exemplars(ranked: list, participant_of: dict, n: int, kept: list = ()) -> list:
    """Up to `n` exemplars: the `kept` ones first (quotes a reviewer has already seen, when they are
    still members), then from `ranked` (members, closest to the centre first) one per participant
    not yet quoted while others remain, then the closest of the rest."""
    chosen = list(kept)[:n]
    seen = {participant_of.get(i) for i in chosen}
    for i in ranked:
        if len(chosen) == n:
            return chosen
        if i not in chosen and participant_of.get(i) not in seen:
            chosen.append(i)
            seen.add(participant_of.get(i))
    return chosen + [i for i in ranked if i not in chosen][: n - len(chosen)]


def describe_themes(
    assigned: np.ndarray,
    outlier: np.ndarray,
    similarity: np.ndarray,
    tokens: list[list[str]],
    participants: list[str | None],
    n_keywords: int = 8,
    n_exemplars: int = 3,
    label_keywords: int = 3,
    embed_words=None,
    cohesion_similarity: np.ndarray | None = None,
) -> list[ThemeDescription]:
    """One description per theme number in `assigned` (0..k-1).

    Keywords and exemplars come from each theme's dense core (not from outliers placed
    by nearest centre), so a theme is described by what defines it. `embed_words` (words ->
    vectors) makes the keyword diversity step semantic; without it, it is lexical.
    `cohesion_similarity`: the similarities cohesion is measured on, when not `similarity`
    (the flow measures it on the statements' own vectors, as placement later does).
    """
    cohesion_similarity = similarity if cohesion_similarity is None else cohesion_similarity
    n_themes = int(assigned.max() + 1) if len(assigned) else 0
    core = [np.flatnonzero((assigned == k) & ~outlier) for k in range(n_themes)]
    core = [c if len(c) else np.flatnonzero(assigned == k) for k, c in enumerate(core)]
    # Words are counted by their key (Chinese in Simplified, so 家屬 and 家属 are one word) and shown as
    # the theme's own statements most often write them: a Taipei theme keeps its Traditional keywords.
    statement_forms = {i: [pair for pair in content_token_forms(without_placeholders(tokens[i]))
                           if not identifier_shaped(pair[0])]
                       for i in range(len(assigned))}
    forms = [[pair for i in members for pair in statement_forms[int(i)]] for members in core]
    scores = class_tfidf([[key for key, _ in pairs] for pairs in forms])
    sources = [participants[i] or ("statement", i) for i in range(len(assigned))]
    shared_anywhere = _shared_by_sources([[key for key, _ in statement_forms[i]] for i in range(len(assigned))],
                                         sources)
    descriptions = []
    for k in range(n_themes):
        members = np.flatnonzero(assigned == k)
        # Who used a word is judged on all the theme's statements, the keywords on its core.
        shared = _shared_by_sources([[key for key, _ in statement_forms[int(i)]] for i in members],
                                    [sources[i] for i in members])
        by_score = sorted(scores[k].items(), key=lambda item: (-item[1], item[0]))
        ranked = [item for item in by_score if shared is None or item[0] in shared]
        if shared is not None and len(ranked) < label_keywords:
            ranked += [item for item in by_score if item[0] not in shared and item[0] in (shared_anywhere or ())
                       ][: label_keywords - len(ranked)]
        ranked = ranked[: 2 * n_keywords]
        words = [word for word, _ in ranked]
        vectors = embed_words(words) if embed_words is not None and words else None
        written = _most_written(forms[k])
        keywords = [written.get(key, key) for key in
                    diverse_keywords(words, [score for _, score in ranked], vectors, n_keywords)]
        label = " · ".join(keywords[:label_keywords]) or NO_KEYWORDS_LABEL
        covered = sorted({p for p in (participants[i] for i in members) if p}, key=_participant_sort_key)
        descriptions.append(
            ThemeDescription(
                label=label,
                keywords=keywords,
                exemplars=_pick_exemplars(core[k], similarity, participants, n_exemplars),
                participants=covered,
                cohesion=cohesion(cohesion_similarity[members]),
            )
        )
    return descriptions


def _most_written(pairs: list[tuple[str, str | None]]) -> dict[str, str]:
    """Per keyword key, the form written most often: "ICU" when the theme writes it so, "family" when
    it writes "Family" mid-sentence only as often as "family" (ties: lower case, then sorted order).
    A form of None (a capital that only opens a sentence) casts no vote; a key with no vote is shown
    as the key, in lower case."""
    counts = Counter(pair for pair in pairs if pair[1] is not None)
    best: dict[str, str] = {}
    for (key, form), n in sorted(counts.items(), key=lambda item: (-item[1], not item[0][1].islower(), item[0][1])):
        best.setdefault(key, form)
    return best


def cohesion(similarity: np.ndarray) -> float:
    """A theme's cohesion: its members' mean cosine to its centre (0 for no members). Reviewers sort by it."""
    return float(np.mean(similarity)) if len(similarity) else 0.0


def _participant_sort_key(participant: str) -> tuple:
    digits = "".join(ch for ch in participant if ch.isdigit())
    return (0, int(digits), participant) if digits else (1, 0, participant)


# What reviewers read beside a flagged theme: the flag says why it matters, not only that it is set.
ONE_PARTICIPANT = "one participant"
ONE_PARTICIPANT_WHY = ("Every statement comes from one participant: an individual view, "
                       "not a pattern across the study.")


def rests_on_one_participant(participants: list[str], unattributed_statements: int, participants_in_study: int) -> bool:
    """Whether a theme's statements all come from one participant. Not when the study itself has one
    participant (every theme would be flagged, which says nothing), nor when some statements name no
    participant (a units file's empty cell: they may be anyone's), nor when none does (coverage unknown)."""
    return len(participants) == 1 and unattributed_statements == 0 and participants_in_study > 1


def one_participant_themes(session: Session, themes: list[Theme]) -> set[int]:
    """The ids of those of `themes` that rest on one participant, read from their current members:
    `Theme.participants` is recounted after every decision, undo, run and withdrawal
    (models.codebook.refresh_counts), so the flag follows a move, a split or a merge."""
    n_study = len(study_participants(session))
    single = [theme for theme in themes if len(theme.participants) == 1]
    if n_study < 2 or not single:
        return set()
    unattributed = _unattributed_statements(session)
    return {theme.id for theme in single
            if rests_on_one_participant(theme.participants, unattributed.get(theme.id, 0), n_study)}


def _unattributed_statements(session: Session) -> Counter:
    """Per theme, its placed statements that name no participant; a theme counts its subcategories'
    too, as its participants do."""
    rows = session.execute(
        select(Suggestion.theme_id, Theme.parent_id, func.count())
        .join(Statement, Statement.id == Suggestion.statement_id).join(Theme, Theme.id == Suggestion.theme_id)
        .where(Suggestion.status.in_(ACTIVE_ASSIGNMENT),
               or_(Statement.participant.is_(None), Statement.participant == ""))
        .group_by(Suggestion.theme_id, Theme.parent_id)).all()
    counts: Counter = Counter()
    for theme_id, parent_id, n in rows:
        counts[theme_id] += n
        if parent_id is not None:
            counts[parent_id] += n
    return counts
