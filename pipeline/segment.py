"""Cutting speaker turns into sentence-level statements.

English uses spaCy's rule-based sentencizer over its English tokenizer; Chinese uses
`spacy.blank("zh")` with the jieba segmenter and a sentencizer that knows Chinese sentence
ends. Each statement keeps (start, end) code-point offsets into the transcript text and
never crosses a turn or a timestamp. Fragments with too few content words are merged
into a neighbour; run-on sentences are cut at clause boundaries, then at spaces, then between
words, so no statement is longer than the configured limit. A Chinese line with no punctuation at all
(speech-to-text) is also cut before discourse connectives (然后, 但是, 所以).
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
# Speech-to-text Chinese often has no punctuation at all: one "sentence" runs on across ideas joined by
# 然后, 但是, 所以. In such a line (no mark of `_ANY_PUNCTUATION` anywhere in it, so a transcript a person
# punctuated is never touched) a statement also ends before these connectives, which in the punctuated
# CPsyCounE dialogues open a clause (after a mark or a particle) 193 times in 196 (the others: 喘不过气, 但后来).
_ZH_CONNECTIVES = frozenset("然后 但是 可是 所以 而且 不过 后来 另外 接着".split())
# 还有 is as often "still have" (我还有一个疑虑): a new statement only after a sentence-final particle
# (…挺好的 还有就是…). 因为 is left out: it opens a reason in mid-clause as often as not (会因为害怕而放弃).
_ZH_CONNECTIVES_AFTER_PARTICLE = frozenset({"还有"})
_ZH_FINAL_PARTICLES = frozenset("了 的 吧 啊 呢 嘛 呀 哦 啦 嗯 呗".split())
_ANY_PUNCTUATION = re.compile(r"[。！？!?；;…，,、：:]")
# Both sides of such a cut must be at least this long (characters, spaces not counted): 10 is the 5th
# percentile of the sentences people punctuated in the CPsyCounE dialogues (median 25), so a piece
# shorter than that is rarely a statement on its own (但是没有用, 然后呢就是); the piece then stays joined.
MIN_CHARS_AT_CONNECTIVE = 10
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
        spans = _sentence_spans(doc)
        if not is_english:
            spans = [part for span in spans for part in _cut_at_connectives(piece, span)]
        spans = [part for span in spans for part in _split_long(piece, span, limit)]
        spans = [part for span in spans for part in _cut_between_tokens(doc, span, limit)]
        groups = _merge_short(doc, spans, self.config.min_content_words, limit)
        statements = []
        for span_start, span_end in groups:
            tokens = _tokens_within(doc, span_start, span_end)
            sentence = piece[span_start:span_end]
            statements.append(
                StatementSpan(turn_index, start + span_start, start + span_end, sentence,
                              detect_language(sentence), tokens)
            )
        return statements


def _tokens_within(doc, start: int, end: int) -> list[str]:
    """The statement's tokens, a token the statement's edge cuts through clipped to the edge: spaCy's
    jieba cuts Traditional text as written (人然/後 for 人然後), while statements are cut where the words
    of its Simplified form start (before 然後), so the statements' tokens still join up to their text."""
    tokens = []
    for token in doc.char_span(start, end, alignment_mode="expand"):
        if not token.is_space:
            tokens.append(token.text[max(start - token.idx, 0) : end - token.idx])
    return tokens


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


def _cut_at_connectives(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """An unpunctuated line's span cut before 然后, 但是, 所以… where the words start (jieba's words of the
    Simplified text, so 虽然后来 has no 然后 and 然後 is found), each part at least
    MIN_CHARS_AT_CONNECTIVE long. A connective right after another conjunction (虽然/后来, 但是/后来)
    is cut before the first."""
    start, end = span
    if _ANY_PUNCTUATION.search(text, *_line_around(text, start, end)):
        return [span]
    cuts, last = [], start
    for cut in _connective_starts(text, start, end):
        if _chars(text, last, cut) >= MIN_CHARS_AT_CONNECTIVE <= _chars(text, cut, end):
            cuts.append(cut)
            last = cut
    bounds = [start, *cuts, end]
    return [_trim(text, a, b) for a, b in zip(bounds, bounds[1:])]


def _line_around(text: str, start: int, end: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return line_start, len(text) if line_end < 0 else line_end


def _chars(text: str, start: int, end: int) -> int:
    return sum(not ch.isspace() for ch in text[start:end])


def _connective_starts(text: str, start: int, end: int) -> list[int]:
    import jieba.posseg as pseg

    simplified = to_simplified(text[start:end])
    if len(simplified) != end - start:  # offsets would not match the text
        return []
    starts, cursor, before = [], start, None
    for pair in pseg.cut(simplified):
        word = pair.word
        if before is not None and before.flag != "c" and before.word not in _ZH_CONNECTIVES:
            opens = word in _ZH_CONNECTIVES or (
                word in _ZH_CONNECTIVES_AFTER_PARTICLE and before.word in _ZH_FINAL_PARTICLES
            )
            # 不过 after a verb is its complement (喘不过气, 抢不过别人), not "but".
            if opens and not (word == "不过" and before.flag.startswith("v")):
                starts.append(cursor)
        cursor += len(word)
        if word.strip():
            before = pair
    return starts


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
