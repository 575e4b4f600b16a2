"""Cutting speaker turns into sentence-level statements.

English uses spaCy's rule-based sentencizer over its English tokenizer; Chinese uses
`spacy.blank("zh")` with the jieba segmenter and a sentencizer that knows Chinese sentence
ends. Each statement keeps (start, end) code-point offsets into the transcript text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from qualflow.pipeline.config import SegmentConfig
from qualflow.pipeline.language import detect_language
from qualflow.pipeline.turns import TurnSpan

# Opening quotes and brackets belong to the sentence they open; spaCy's sentencizer
# attaches any punctuation after a full stop to the sentence before it.
# ASCII quotes are left alone: they open and close alike.
_OPENERS = set("“‘「『（(《〈[【")


@dataclass(frozen=True)
class StatementSpan:
    turn_index: int
    start: int
    end: int
    text: str
    language: str
    tokens: list[str]


def configure_jieba(cache_dir: Path | None) -> None:
    """Point jieba's dictionary cache at a writable folder and quieten its start-up chatter."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        jieba.dt.tmp_dir = str(cache_dir)


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

            configure_jieba(self.cache_dir)
            nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
            ends = sorted(set(Sentencizer.default_punct_chars) | set(self.config.zh_sentence_ends))
            nlp.add_pipe("sentencizer", config={"punct_chars": ends})
            self._chinese = nlp
        return self._chinese

    def segment_turn(self, text: str, turn: TurnSpan) -> list[StatementSpan]:
        turn_text = text[turn.start : turn.end]
        nlp = self.english if detect_language(turn_text) == "en" else self.chinese
        doc = nlp(turn_text)
        if doc.text != turn_text:  # spaCy promises this; offsets depend on it
            raise RuntimeError("tokenizer changed the text; offsets would be wrong")
        spans = _sentence_spans(doc)
        statements = []
        for start, end in spans:
            tokens = [t.text for t in doc.char_span(start, end, alignment_mode="expand") if not t.is_space]
            sentence = turn_text[start:end]
            statements.append(
                StatementSpan(
                    turn_index=turn.index,
                    start=turn.start + start,
                    end=turn.start + end,
                    text=sentence,
                    language=detect_language(sentence),
                    tokens=tokens,
                )
            )
        return statements

    def segment(self, text: str, turns: list[TurnSpan]) -> list[StatementSpan]:
        return [statement for turn in turns for statement in self.segment_turn(text, turn)]


def _sentence_spans(doc) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets in the doc's text, trimmed, with openers moved forward."""
    text = doc.text
    bounds = [sent.start_char for sent in doc.sents] + [len(text)]
    # Move trailing opening quotes/brackets (and spaces) to the start of the next sentence.
    for i in range(1, len(bounds) - 1):
        cut = bounds[i]
        while cut > bounds[i - 1] and (text[cut - 1] in _OPENERS or text[cut - 1].isspace()):
            cut -= 1
        bounds[i] = cut
    spans = []
    for start, end in zip(bounds, bounds[1:]):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans
