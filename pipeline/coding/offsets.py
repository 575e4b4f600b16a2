"""Which offsets a tool wrote, turned into character offsets into its copy of the text.

QDA tools disagree on what a position counts. REFI-QDA says characters, but a Windows
tool may count `\\r\\n` as one character or two, and Taguette stores UTF-8 BYTE offsets.
The four conventions below cover what we have seen; when the tool does not say, the one
under which the spans look most like real selections wins:

- with quotes: the convention under which most spans slice out their own quote;
- without: the one under which most span ends fall between words and next to spaces or
  punctuation, and never between a CR and its LF (a wrong convention drifts by one per
  line break or per non-ASCII byte, so spans after the first drift start and end mid-word
  or mid-clause).

A text without `\\r\\n` or non-ASCII characters reads the same under all four.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Callable

from qualflow.pipeline.coding.records import CodedSpan

CONVENTIONS = ("chars", "chars_lf", "bytes", "bytes_lf")


def _lf_to_raw(text: str) -> list[int]:
    """For each index in text-with-CRLF-as-LF (and its end), the index in `text`."""
    mapping, raw = [], 0
    while raw < len(text):
        mapping.append(raw)
        raw += 2 if text.startswith("\r\n", raw) else 1
    mapping.append(len(text))
    return mapping


def _byte_starts(text: str) -> list[int]:
    """UTF-8 byte offset of each character, and of the end."""
    starts, position = [], 0
    for ch in text:
        starts.append(position)
        position += len(ch.encode("utf-8", "surrogatepass"))
    starts.append(position)
    return starts


def converter(text: str, convention: str) -> Callable[[int], int | None]:
    """offset in `convention` -> character index into `text`, or None if it is not one."""
    if convention == "chars":
        return lambda offset: offset if 0 <= offset <= len(text) else None
    base = text.replace("\r\n", "\n") if convention.endswith("_lf") else text
    to_raw = _lf_to_raw(text) if convention.endswith("_lf") else None
    if convention.startswith("bytes"):
        starts = _byte_starts(base)

        def to_base(offset: int) -> int | None:
            at = bisect.bisect_left(starts, offset)
            return at if at < len(starts) and starts[at] == offset else None
    else:
        def to_base(offset: int) -> int | None:
            return offset if 0 <= offset <= len(base) else None

    def convert(offset: int) -> int | None:
        index = to_base(offset)
        if index is None:
            return None
        return to_raw[index] if to_raw is not None else index

    return convert


def _inside_word(text: str, index: int) -> bool:
    if index <= 0 or index >= len(text):
        return False
    before, after = text[index - 1], text[index]
    return before.isalnum() and after.isalnum() and not (_is_cjk(before) or _is_cjk(after))


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _at_boundary(text: str, index: int) -> bool:
    """Next to a space, a line end or punctuation: where selections start and end, also in
    Chinese, where every character is a letter and `_inside_word` says nothing."""
    if index <= 0 or index >= len(text):
        return True
    return any(ch.isspace() or unicodedata.category(ch).startswith("P") for ch in text[index - 1 : index + 1])


def _splits_crlf(text: str, index: int) -> bool:
    return 0 < index < len(text) and text[index - 1] == "\r" and text[index] == "\n"


def _score(text: str, spans: list[CodedSpan], convert) -> int:
    score = 0
    for span in spans:
        start, end = convert(span.start), convert(span.end)
        if start is None or end is None or end < start:
            continue
        if span.quote:
            score += 2 * (" ".join(text[start:end].split()) == " ".join(span.quote.split()))
        else:
            for index in (start, end):
                score += (not _inside_word(text, index)) + _at_boundary(text, index) - 4 * _splits_crlf(text, index)
    return score


def choose_convention(text: str, spans: list[CodedSpan], unit: str = "auto") -> tuple[str, int]:
    """The convention that fits these spans of one document best (ties: the simplest), and
    its score (how many span ends look right), to compare readings of different texts."""
    candidates = [c for c in CONVENTIONS if unit == "auto" or c.startswith(unit)]
    if "\r\n" not in text:
        candidates = [c for c in candidates if not c.endswith("_lf")]
    if text.isascii():
        candidates = [c for c in candidates if not c.startswith("bytes")] or ["chars"]
    with_offsets = [s for s in spans if s.start is not None and s.end is not None]
    if not with_offsets:
        return candidates[0], 0
    scores = {c: _score(text, with_offsets, converter(text, c)) for c in candidates}
    best = max(candidates, key=lambda c: (scores[c], -candidates.index(c)))
    return best, scores[best]
