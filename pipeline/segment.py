"""Cutting speaker turns into sentence-level statements.

English uses spaCy's rule-based sentencizer over its English tokenizer; Chinese uses
`spacy.blank("zh")` with the jieba segmenter and a sentencizer that knows Chinese sentence
ends. Each statement keeps (start, end) code-point offsets into the transcript text and
never crosses a turn or a timestamp. Fragments with too few content words are merged
into a neighbour; run-on sentences are cut at clause boundaries, then at spaces, then between
words, so no statement is longer than the configured limit.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from qualflow.pipeline.chinese_script import to_simplified
from qualflow.pipeline.config import SegmentConfig
from qualflow.pipeline.language import content_tokens, detect_language
from qualflow.pipeline.turns import TurnSpan

# Opening quotes and brackets belong to the sentence they open; spaCy's sentencizer
# attaches any punctuation after a full stop to the sentence before it.
# ASCII quotes are left alone: they open and close alike.
_OPENERS = set("“‘「『（(《〈[【")
_STRONG_CLAUSE_END = re.compile(r"[；;]")
_WEAK_CLAUSE_END = re.compile(r"[，,、]")
# Typed and speech-recognised Chinese often has no punctuation, only spaces between clauses
# ("嗯 差不多有五年了吧 一开始是在街道…"): the last place a run-on can be cut.
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])[ \t\u3000]+(?=[\u3400-\u9fff])")
# Speech-recognised English often has no punctuation at all: any space is the last place to cut
# it (the tokens between words are the very last, see `_cut_between_tokens`).
_ANY_SPACE = re.compile(r"\s+")
_CLAUSE_ENDS = (_STRONG_CLAUSE_END, _WEAK_CLAUSE_END, _CJK_SPACE, _ANY_SPACE)
# A piece longer than this is tokenised a block at a time. spaCy refuses a text over its
# max_length (1,000,000 characters) and its memory grows with the text; a speech-to-text line can
# be longer. Blocks end at a line break, a sentence end or a space where one is near, and no
# statement is ever longer than a few hundred characters anyway, so the cut costs nothing.
MAX_BLOCK_CHARS = 100_000
_BLOCK_ENDS = (
    re.compile(r"\n"),
    re.compile(r"[.!?][\"'”’)]*\s|[。！？…][”’」』）]*"),  # Chinese needs no space after a full stop
    re.compile(r"\s"),
)


@dataclass(frozen=True)
class StatementSpan:
    turn_index: int
    start: int
    end: int
    text: str
    language: str
    tokens: list[str]


def configure_jieba(cache_dir: Path | None, user_words: list[str] | tuple[str, ...] = ()) -> None:
    """Point jieba's dictionary cache at a writable folder, quieten it, add domain terms. A term is
    added in Simplified script too: keyword tokens are cut from the Simplified text
    (language.content_token_forms), so 護病比 must be found there as 护病比."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        jieba.dt.tmp_dir = str(cache_dir)
    for word in user_words:
        if word.strip():
            jieba.add_word(word.strip())
            jieba.add_word(to_simplified(word.strip()))


class Segmenter:
    """Builds the spaCy pipelines once, lazily, and segments turns with them."""

    def __init__(self, config: SegmentConfig | None = None, cache_dir: Path | None = None):
        self.config = config or SegmentConfig()
        self.cache_dir = cache_dir
        self._english = None
        self._chinese = None

    @property
    def english(self):
        if self._english is None:
            import spacy

            self._english = spacy.blank("en")
            self._english.add_pipe("sentencizer")
        return self._english

    @property
    def chinese(self):
        if self._chinese is None:
            import spacy
            from spacy.pipeline.sentencizer import Sentencizer

            configure_jieba(self.cache_dir, self.config.user_dictionary)
            nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
            ends = sorted(set(Sentencizer.default_punct_chars) | set(self.config.zh_sentence_ends))
            nlp.add_pipe("sentencizer", config={"punct_chars": ends})
            self._chinese = nlp
        return self._chinese

    def segment_turn(self, text: str, turn: TurnSpan) -> list[StatementSpan]:
        statements = []
        for piece_start, piece_end in _pieces_between_timestamps(turn):
            for block_start, block_end in blocks(text, piece_start, piece_end, MAX_BLOCK_CHARS):
                statements += self._segment_piece(text, turn.index, block_start, block_end)
        return statements

    def whole_turn(self, text: str, turn: TurnSpan) -> StatementSpan:
        """A turn as one statement, tokenised but not cut: for units someone already cut."""
        start, end = _trim(text, turn.start, turn.end)
        piece = text[start:end]
        nlp = self.english if detect_language(piece) == "en" else self.chinese
        tokens = [t.text for a, b in blocks(text, start, end, MAX_BLOCK_CHARS) for t in nlp(text[a:b])
                  if not t.is_space]
        return StatementSpan(turn.index, start, end, piece, detect_language(piece), tokens)

    def segment(self, text: str, turns: list[TurnSpan]) -> list[StatementSpan]:
        return [statement for turn in turns for statement in self.segment_turn(text, turn)]

    def _segment_piece(self, text: str, turn_index: int, start: int, end: int) -> list[StatementSpan]:
        piece = text[start:end]
        if not piece.strip():
            return []
        is_english = detect_language(piece) == "en"
        doc = (self.english if is_english else self.chinese)(piece)
        if doc.text != piece:  # spaCy promises this; offsets depend on it
            raise RuntimeError("tokenizer changed the text; offsets would be wrong")
        limit = self.config.max_chars_en if is_english else self.config.max_chars_zh
        spans = [part for span in _sentence_spans(doc) for part in _split_long(piece, span, limit)]
        spans = [part for span in spans for part in _cut_between_tokens(doc, span, limit)]
        groups = _merge_short(doc, spans, self.config.min_content_words, limit)
        statements = []
        for span_start, span_end in groups:
            tokens = [t.text for t in doc.char_span(span_start, span_end, alignment_mode="expand") if not t.is_space]
            sentence = piece[span_start:span_end]
            statements.append(
                StatementSpan(turn_index, start + span_start, start + span_end, sentence,
                              detect_language(sentence), tokens)
            )
        return statements


def _pieces_between_timestamps(turn: TurnSpan) -> list[tuple[int, int]]:
    pieces, cursor = [], turn.start
    for stamp_start, stamp_end, _ in turn.meta.get("timestamps", []):
        pieces.append((cursor, stamp_start))
        cursor = stamp_end
    pieces.append((cursor, turn.end))
    return [(a, b) for a, b in pieces if b > a]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def blocks(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """[start, end) in consecutive blocks of at most `size` characters, each ending at the last
    line break, sentence end or space in its second half (else exactly at `size`)."""
    parts = []
    while end - start > size:
        cut = _last_boundary(text, start + size // 2, start + size) or start + size
        parts.append((start, cut))
        start = cut
    parts.append((start, end))
    return parts


def _last_boundary(text: str, lo: int, hi: int) -> int | None:
    """The end of the last line break, sentence end or (failing those) space in text[lo:hi]."""
    for boundary in _BLOCK_ENDS:
        ends = [m.end() for m in boundary.finditer(text, lo, hi)]
        if ends:
            return ends[-1]
    return None


def _sentence_spans(doc) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets in the doc's text, trimmed, with openers moved forward."""
    text = doc.text
    bounds = [sent.start_char for sent in doc.sents] + [len(text)]
    for i in range(1, len(bounds) - 1):
        cut = bounds[i]
        while cut > bounds[i - 1] and (text[cut - 1] in _OPENERS or text[cut - 1].isspace()):
            cut -= 1
        bounds[i] = cut
    spans = [_trim(text, start, end) for start, end in zip(bounds, bounds[1:])]
    return [(start, end) for start, end in spans if start < end]


def _split_long(text: str, span: tuple[int, int], limit: int, levels=_CLAUSE_ENDS) -> list[tuple[int, int]]:
    """Cut a run-on sentence at ；/; and, only if a part is still too long, at ，/, then at a
    space between Chinese characters, then at any space. Clauses are packed greedily so no part is
    needlessly short."""
    start, end = span
    if end - start <= limit or not levels:
        return [span]
    return [piece for part in _pack(text, start, end, levels[0], limit)
            for piece in _split_long(text, part, limit, levels[1:])]


def _pack(text: str, start: int, end: int, boundary: re.Pattern, limit: int) -> list[tuple[int, int]]:
    cuts = [m.end() for m in boundary.finditer(text, start, end) if m.end() < end]
    return _pack_at(text, start, end, cuts, limit)


def _cut_between_tokens(doc, span: tuple[int, int], limit: int) -> list[tuple[int, int]]:
    """The last resort for a part still over `limit` (Chinese with neither punctuation nor spaces,
    a very long "word"): cut between tokens (jieba's words), and inside a token only if that
    token alone is over the limit."""
    start, end = span
    if end - start <= limit:
        return [span]
    cuts = []
    for token in doc.char_span(start, end, alignment_mode="expand"):
        cuts += range(max(token.idx, start), min(token.idx + len(token), end), limit)
    return _pack_at(doc.text, start, end, [cut for cut in cuts if start < cut < end], limit)


def _pack_at(text: str, start: int, end: int, cuts: list[int], limit: int) -> list[tuple[int, int]]:
    """[start, end) cut at some of `cuts` (ascending): each part as long as it can be within `limit`."""
    parts, part_start, last_cut = [], start, None
    for cut in cuts + [end]:
        if cut - part_start > limit and last_cut is not None:
            parts.append((part_start, last_cut))
            part_start = last_cut
        last_cut = cut
    parts.append((part_start, end))
    trimmed = [_trim(text, a, b) for a, b in parts]
    return [(a, b) for a, b in trimmed if a < b]


def _merge_short(doc, spans: list[tuple[int, int]], min_words: int, limit: int) -> list[tuple[int, int]]:
    """Join a fragment with fewer than `min_words` content words to the next sentence
    (or, at the end of a piece, to the previous one), unless the two together would be longer
    than `limit`. A lone fragment stays alone."""
    if min_words <= 0 or len(spans) < 2:
        return spans

    def words(span):
        return len(content_tokens([t.text for t in doc.char_span(span[0], span[1], alignment_mode="expand")]))

    merged: list[list[int]] = []
    pending: list[int] | None = None
    for span in spans:
        if pending and span[1] - pending[0] > limit:  # too long together: the fragment stays alone
            merged.append(pending)
            pending = None
        current = [pending[0], span[1]] if pending else [span[0], span[1]]
        if words(current) < min_words:
            pending = current
            continue
        merged.append(current)
        pending = None
    if pending:
        if merged and pending[1] - merged[-1][0] <= limit:
            merged[-1][1] = pending[1]
        else:
            merged.append(pending)
    return [(a, b) for a, b in merged]
