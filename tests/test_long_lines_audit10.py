"""Audit 10, defects 2 and 3: a transcript whose speech-to-text output is one unpunctuated line.

Such a line used to become one statement of hundreds of thousands of characters, and spaCy's NER
read it whole (about 4 GB of memory for 660 KB); a line over spaCy's 1,000,000-character limit
was refused outright. Now statements are cut at the length limit, at spaces (or, in Chinese
without spaces, between words), and NER reads a long line in bounded, overlapping chunks.
"""

from __future__ import annotations

import random
import re

import pytest

from qualflow.pipeline.config import SegmentConfig
from qualflow.pipeline.deid import english
from qualflow.pipeline.deidentify import Deidentifier
from qualflow.pipeline.turns import parse_turns

FILLER = "the community nurse said that the work is hard and tiring every day because it is".split()


def run_on(words: int, seed: int = 10, name_every: int = 0) -> str:
    """Unpunctuated speech-to-text: `words` filler words on one line, and "Mary Smith" every
    `name_every` words when asked."""
    rng = random.Random(seed)
    out = []
    for n in range(words):
        if name_every and n % name_every == name_every - 1:
            out.append("Mary Smith")
        else:
            out.append(rng.choice(FILLER))
    return " ".join(out)


@pytest.fixture(scope="module")
def deid(jieba_cache):
    return Deidentifier(cache_dir=jieba_cache)


class RecordingNLP:
    """The real spaCy pipeline, noting the length of every text it is given."""

    def __init__(self, nlp):
        self._nlp = nlp
        self.lengths: list[int] = []

    def pipe(self, texts, **kwargs):
        texts = list(texts)
        self.lengths += [len(t) for t in texts]
        return self._nlp.pipe(texts, **kwargs)

    def __getattr__(self, name):
        return getattr(self._nlp, name)


def test_an_unpunctuated_english_run_on_is_cut_at_spaces_within_the_limit(segmenter):
    line = run_on(40_000)  # about 220 KB, no punctuation at all
    text = f"Interviewer: tell me about your work\nP10: {line}\n"
    statements = segmenter.segment(text, parse_turns(text).turns)
    participant = [s for s in statements if s.start >= text.index("P10: ")]
    limit = segmenter.config.max_chars_en
    assert len(participant) > len(line) // limit
    assert max(len(s.text) for s in participant) <= limit
    for s in participant:
        assert text[s.start:s.end] == s.text
        # cut between words, never inside one
        assert text[s.start - 1].isspace() and text[s.end].isspace()
    # nothing lost or repeated: the statements' words are the line's words, in order
    assert " ".join(s.text for s in participant).split() == line.split()


def test_a_chinese_run_on_without_spaces_or_punctuation_is_cut_between_words(jieba_cache):
    from qualflow.pipeline.segment import Segmenter

    segmenter = Segmenter(SegmentConfig(), cache_dir=jieba_cache)
    line = "我们社区的精神卫生工作者每天都要去病人家里随访" * 400  # 9,200 characters, no break at all
    text = f"受访者：{line}\n"
    statements = segmenter.segment(text, parse_turns(text, default_participant="P1").turns)
    limit = segmenter.config.max_chars_zh
    assert len(statements) >= len(line) // limit
    assert max(len(s.text) for s in statements) <= limit
    assert "".join(s.text for s in statements) == line
    for s in statements:
        assert "".join(s.tokens) == s.text  # cut at jieba's word boundaries: tokens fit exactly


def test_ner_reads_a_long_line_in_bounded_chunks_and_cuts_no_name_in_half(deid):
    line = run_on(30_000, name_every=97)  # about 165 KB on one line
    text = f"P10: {line}"
    nlp = RecordingNLP(deid.english_nlp)
    found = english.ner_findings(nlp, text, [(0, len(text))])
    assert max(nlp.lengths) <= english.NER_CHUNK_CHARS + 2 * english.NER_CHUNK_OVERLAP
    assert len(nlp.lengths) >= len(text) // english.NER_CHUNK_CHARS
    names = {m.span() for m in re.finditer("Mary Smith", text)}
    people = [(f.start, f.end) for f in found if f.kind == "PERSON"]
    assert len(people) == len(set(people))  # each found once, though chunks overlap
    # whole names only: never "Mary" or "Smith" cut off at a chunk's edge
    for start, end in people:
        assert any(start <= a and b <= end for a, b in names), text[start:end]
    whole = [(a, b) for a, b in names if any(s <= a and b <= e for s, e in people)]
    assert len(whole) >= 0.95 * len(names)  # the small model misses a few wherever it reads


def test_chunked_ner_finds_what_reading_the_line_whole_finds(deid, monkeypatch):
    line = run_on(8_000, seed=4, name_every=61)  # about 44 KB: five chunks
    text = f"P10: {line}\nP10: Dr Okafor moved to Leeds from Manchester in May."

    def findings():
        return sorted((f.start, f.end, f.kind) for f in english.ner_findings(deid.english_nlp, text, [(0, len(text))]))

    chunked = findings()
    monkeypatch.setattr(english, "NER_CHUNK_CHARS", len(text))
    assert len(english.ner_chunks(line)) == 1
    assert chunked == findings()
    assert len(chunked) > 100


def test_a_normal_length_text_is_read_in_one_piece_per_line(deid):
    """Lines under the chunk size go to spaCy exactly as before: recall on normal text is unchanged."""
    lines = ["P1: Mary Smith from Leeds said the ward was busy.", "P1: " + run_on(1_000)]
    text = "\n".join(lines)
    nlp = RecordingNLP(deid.english_nlp)
    english.ner_findings(nlp, text, [(0, len(text))])
    assert sorted(nlp.lengths) == sorted(len(line) for line in lines)


def test_a_line_longer_than_spacys_limit_is_deidentified_and_segmented(deid, segmenter):
    """Over nlp.max_length (1,000,000 characters) spaCy refuses a text. Long "words" keep the
    token count, and so the test, small."""
    rng = random.Random(3)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(60)) for _ in range(17_000)]
    words[8_000:8_002] = ["Mary", "Smith"]
    line = " ".join(words)
    assert len(line) > deid.english_nlp.max_length
    text = f"P1: {line}\n"
    findings = deid.find(text, "en")
    start = text.index("Mary Smith")
    assert any(f.start == start and f.end == start + len("Mary Smith") for f in findings)
    statements = segmenter.segment(text, parse_turns(text).turns)
    assert max(len(s.text) for s in statements) <= segmenter.config.max_chars_en
    assert " ".join(s.text for s in statements).split() == line.split()


def test_a_quarantine_reason_is_always_one_line(tmp_path):
    """A reason built from an error's message (spaCy's E088 runs to three sentences over several
    lines) must not spill into the reason file as extra lines or a traceback."""
    from qualflow.pipeline.quarantine import quarantine

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    path = inbox / "hugeline.txt"
    path.write_text("P1: words\n", encoding="utf-8")
    reason = "hugeline.txt: could not be processed\nTraceback (most recent call last):\n  File \"x.py\", line 1\n"
    reason_file = quarantine(path, inbox, data, reason, copy_limit_mb=1)
    lines = reason_file.read_text("utf-8").splitlines()
    assert [line.split(":")[0] for line in lines] == ["file", "when", "reason", "copy"]
    assert lines[2] == "reason: hugeline.txt: could not be processed"
