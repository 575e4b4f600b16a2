"""Replacing spans of text, and mapping offsets in the old text to offsets in the new one."""

from __future__ import annotations

from bisect import bisect_right


class OffsetMap:
    """Maps a code-point offset in the old text to one in the new text.

    Outside replaced spans, an offset moves with the text around it. Inside a replaced span
    (start < i < end), `start(i)` gives the start of its replacement and `end(i)` the end, so a
    span (a, b) of the old text maps to (m.start(a), m.end(b)) and still covers everything it
    covered: a span that ends where a replaced span ends maps to the end of the replacement.
    At a replaced span's own start, both give the replacement's start; at its end, its end.
    Calling the map is `start`.
    """

    def __init__(self, old_length: int, spans: list[tuple[int, int, int]]):
        # spans: (old start, old end, new length), sorted and non-overlapping
        self._old_length = old_length
        self._starts = [s for s, _, _ in spans]
        self._spans = spans
        self._shift_after: list[int] = []  # total shift after each span
        shift = 0
        for start, end, new_length in spans:
            shift += new_length - (end - start)
            self._shift_after.append(shift)

    def _locate(self, i: int) -> tuple[int, int]:
        if not 0 <= i <= self._old_length:
            raise ValueError(f"offset {i} outside the text (0..{self._old_length})")
        k = bisect_right(self._starts, i) - 1  # last span starting at or before i
        return k, (self._shift_after[k - 1] if k >= 1 else 0)

    def start(self, i: int) -> int:
        k, shift_before = self._locate(i)
        if k < 0:
            return i
        start, end, _ = self._spans[k]
        if i < end:  # at or inside span k
            return start + shift_before
        return i + self._shift_after[k]

    def end(self, i: int) -> int:
        k, shift_before = self._locate(i)
        if k < 0:
            return i
        start, end, new_length = self._spans[k]
        if i == start:
            return start + shift_before
        if i < end:
            return start + shift_before + new_length
        return i + self._shift_after[k]

    __call__ = start


def apply_replacements(text: str, replacements: list[tuple[int, int, str]]) -> tuple[str, OffsetMap]:
    """Replace non-overlapping (start, end, new) spans of `text`.

    Returns the new text and an `OffsetMap` (callable: old offset -> new offset for a start;
    `.start(i)` and `.end(i)` for the two ends of a span). Spans may come in any order but must
    satisfy 0 <= start < end <= len(text) and must not overlap; otherwise ValueError.
    """
    ordered = sorted(replacements, key=lambda r: (r[0], r[1]))
    pieces: list[str] = []
    spans: list[tuple[int, int, int]] = []
    cursor = 0
    for start, end, new in ordered:
        if not 0 <= start < end <= len(text):
            raise ValueError(f"replacement span {start}:{end} is empty or outside the text")
        if start < cursor:
            raise ValueError(f"replacement span {start}:{end} overlaps the one before it")
        pieces.append(text[cursor:start])
        pieces.append(new)
        spans.append((start, end, len(new)))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces), OffsetMap(len(text), spans)
