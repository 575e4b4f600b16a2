"""From the tool's copy of a document to qualflow's stored transcript.

The human coded the original; qualflow stores it NFC-normalised, with `\\n` line ends and
with names replaced by placeholders ([PERSON_1]), so offsets shift wherever the two differ.
`char_alignment` pairs every character of the original with its place in the stored text
(difflib, first line by line, then word by word, then character by character inside the
blocks that differ, which keeps it near-linear on long, nearly identical texts), and
`map_span` carries a span across, stretching over placeholders at its edges.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import numpy as np

_SMALL = 3000  # blocks up to this many characters (both sides) are aligned character by character
_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_WORD = re.compile(r"\S+")


def char_alignment(original: str, stored: str) -> np.ndarray:
    """For each character of `original`, its index in `stored`, or -1 where it has none."""
    mapping = np.full(len(original), -1, dtype=np.int64)
    _align(original, 0, len(original), stored, 0, len(stored), mapping, level=0)
    return mapping


def _units(text: str, start: int, end: int, level: int) -> list[tuple[int, int]]:
    pattern = _LINE if level == 0 else _WORD
    return [(start + m.start(), start + m.end()) for m in pattern.finditer(text[start:end])]


def _align(a: str, a0: int, a1: int, b: str, b0: int, b1: int, mapping: np.ndarray, level: int) -> None:
    if a0 >= a1 or b0 >= b1:
        return
    if a[a0:a1] == b[b0:b1]:
        mapping[a0:a1] = np.arange(b0, b1)
        return
    if level >= 2 or (a1 - a0) + (b1 - b0) <= _SMALL:
        matcher = SequenceMatcher(None, a[a0:a1], b[b0:b1], autojunk=False)
        for i, j, n in matcher.get_matching_blocks():
            mapping[a0 + i : a0 + i + n] = np.arange(b0 + j, b0 + j + n)
        return
    a_units, b_units = _units(a, a0, a1, level), _units(b, b0, b1, level)
    # Lines and words are compared with their whitespace squeezed, so indentation and
    # spacing differences do not hide an otherwise equal unit.
    a_keys = [" ".join(a[s:e].split()) for s, e in a_units]
    b_keys = [" ".join(b[s:e].split()) for s, e in b_units]
    matcher = SequenceMatcher(None, a_keys, b_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for (sa, ea), (sb, eb) in zip(a_units[i1:i2], b_units[j1:j2], strict=True):
                _align(a, sa, ea, b, sb, eb, mapping, level + 1)
        elif tag == "replace":
            _align(a, a_units[i1][0], a_units[i2 - 1][1], b, b_units[j1][0], b_units[j2 - 1][1], mapping,
                   level + 1)


def map_span(mapping: np.ndarray, start: int, end: int, stored: str) -> tuple[int, int, float] | None:
    """(stored start, stored end, share of the span's characters found), or None if none were.

    An edge that falls on changed text (a name that became [PERSON_1]) is carried to the
    neighbouring matched character, so the placeholder is inside the mapped span.
    """
    start, end = max(0, start), min(len(mapping), end)
    if end <= start:
        return None
    inside = mapping[start:end]
    found = np.flatnonzero(inside >= 0)
    if found.size == 0:
        return None
    first, last = int(inside[found[0]]), int(inside[found[-1]]) + 1
    lead, trail = int(found[0]), (end - start) - 1 - int(found[-1])
    new_start, new_end = first, last
    if lead:
        before = np.flatnonzero(mapping[:start] >= 0)
        floor = int(mapping[before[-1]]) + 1 if before.size else 0
        # Take in the changed text before the first match, but never more than twice as much
        # as the original had there (a deleted paragraph before the span stays out).
        new_start = max(floor, first - 2 * lead - 16)
    if trail:
        after = np.flatnonzero(mapping[end:] >= 0)
        ceiling = int(mapping[end + after[0]]) if after.size else len(stored)
        new_end = min(ceiling, last + 2 * trail + 16)
    while new_start < new_end and stored[new_start].isspace():
        new_start += 1
    while new_end > new_start and stored[new_end - 1].isspace():
        new_end -= 1
    if new_end <= new_start:
        return None
    return new_start, new_end, float(found.size) / (end - start)


# Word processors and spreadsheets change quotes and dashes as a coder types or pastes (don’t, “so”, –):
# one character for one, so positions stay.
_TYPOGRAPHY = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"',
                             "‟": '"', "″": '"', "–": "-", "—": "-", "‒": "-", "−": "-"})
# A quote matched with its punctuation left aside must be this long (letters, digits and spaces): a short
# one ("yes") would match somewhere else.
_MIN_LOOSE = 20


def locate_quote(quote: str, text: str, hint: int = 0) -> tuple[int, int] | None:
    """Where a quoted passage sits in `text`: exactly (first occurrence from `hint`, then
    anywhere), then with whitespace squeezed and curly quotes and dashes read as straight ones, then
    also ignoring case (the key map keeps names in lower case, so a rebuilt original may differ from
    the quote in case only), then, for a quote of 20 or more letters, with punctuation left aside
    (a comma added, a full stop for a comma). None if it is not there."""
    quote = quote.strip()
    if not quote:
        return None
    at = text.find(quote, hint)
    if at < 0:
        at = text.find(quote)
    if at >= 0:
        return at, at + len(quote)
    # Whitespace-insensitive: search a squeezed copy, then map back.
    positions, squeezed = [], []
    for i, ch in enumerate(text):
        if ch.isspace():
            if squeezed and squeezed[-1] == " ":
                continue
            ch = " "
        squeezed.append(ch)
        positions.append(i)
    flat, wanted = "".join(squeezed).translate(_TYPOGRAPHY), " ".join(quote.split()).translate(_TYPOGRAPHY)
    found = flat.find(wanted)
    if found < 0 and len(flat.lower()) == len(flat):  # lower() keeps positions for these texts
        found = flat.lower().find(wanted.lower())
    if found < 0:
        return _without_punctuation(flat, positions, wanted)
    return positions[found], positions[found + len(wanted) - 1] + 1


def _skeleton(text: str) -> tuple[str, list[int]]:
    """`text` in lower case without punctuation, spaces squeezed, and where each character came from."""
    chars, at = [], []
    for i, ch in enumerate(text):
        if ch == " " or not ch.isalnum():
            if chars and chars[-1] != " ":
                chars.append(" ")
                at.append(i)
            continue
        lower = ch.lower()
        chars.append(lower if len(lower) == 1 else ch)
        at.append(i)
    return "".join(chars), at


def _without_punctuation(flat: str, positions: list[int], wanted: str) -> tuple[int, int] | None:
    bare_text, at = _skeleton(flat)
    bare_quote = _skeleton(wanted)[0].strip()
    if len(bare_quote) < _MIN_LOOSE:
        return None
    found = bare_text.find(bare_quote)
    if found < 0:
        return None
    return positions[at[found]], positions[at[found + len(bare_quote) - 1]] + 1


# A quote placed where the text differs from it by a letter or two must be this long (letters, digits and
# spaces), and may differ by one character in every `_PER_EDIT` of it: "managment" for "management" in a
# sentence, not another sentence on the same subject.
_MIN_NEARLY = 30
_PER_EDIT = 20
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def locate_quote_nearly(quote: str, text: str, hint: int = 0) -> tuple[int, int] | None:
    """Where a quote that `locate_quote` did not find sits in `text` all the same, differing from it
    by a few characters (a word misspelt in the coder's copy, or corrected in the transcript since):
    compared as `locate_quote`'s last stage compares (case, punctuation and spacing aside), with at
    most one character in 20 inserted, deleted or changed. The closest place wins; of equally close
    ones, the first from `hint`. None when nothing is that close, or the quote is under 30 letters
    (15 Chinese characters)."""
    bare_text, at = _skeleton(text)
    bare_quote = _skeleton(" ".join(quote.split()))[0].strip()
    # A Chinese character says about as much as two letters: it counts twice towards both limits.
    length = len(bare_quote) + len(_CJK.findall(bare_quote))
    if length < _MIN_NEARLY or not bare_text:
        return None
    allowed = length // _PER_EDIT
    found = None  # (edits, before `hint`, end in bare_text) of the best place yet
    for lo, hi in _windows(bare_quote, bare_text, allowed):
        cost = _edit_distance_by_end(bare_quote, bare_text[lo:hi])
        ends = lo + np.flatnonzero(cost == cost.min())
        later = [int(e) for e in ends if e > 0 and at[e - 1] >= hint]
        end = later[0] if later else int(ends[0])
        # Closer wins; then one at or after `hint` over one before it; then the first.
        key = (int(cost.min()), not later, end)
        if found is None or key < found:
            found = key
    if found is None or found[0] > allowed:
        return None
    end = found[2]  # bare_text[:end] ends the passage
    # Its start: the same search backwards, over a window that can hold the quote with its edits.
    window_start = max(0, end - len(bare_quote) - allowed)
    back = _edit_distance_by_end(bare_quote[::-1], bare_text[window_start:end][::-1])
    start = end - int(np.flatnonzero(back == back.min())[0])
    while start < end and bare_text[start] == " ":
        start += 1
    return at[start], at[end - 1] + 1


def _windows(quote: str, text: str, allowed: int) -> list[tuple[int, int]]:
    """The stretches of `text` that can hold `quote` with at most `allowed` edits: cut into `allowed` + 1
    pieces, the quote keeps at least one of them whole there, so only places where a piece occurs are
    searched (the whole text would take a second per quote in a long transcript)."""
    size = len(quote) // (allowed + 1)
    spans = []
    for k in range(allowed + 1):
        offset = k * size
        piece = quote[offset: offset + size] if k < allowed else quote[offset:]
        at = text.find(piece)
        while at >= 0:
            spans.append((max(0, at - offset - allowed), min(len(text), at - offset + len(quote) + allowed)))
            at = text.find(piece, at + 1)
    merged: list[list[int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def _edit_distance_by_end(pattern: str, text: str) -> np.ndarray:
    """For each j, the fewest edits that turn `pattern` into some passage of `text` ending at j
    (Sellers' algorithm, one row of the table per character of the pattern, each row in numpy)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    steps = np.arange(len(text) + 1)
    row = np.zeros(len(text) + 1, dtype=np.int64)  # a passage may start anywhere: no cost before it
    for i, char in enumerate(pattern, 1):
        mismatch = codes != ord(char)
        best = np.empty_like(row)
        best[0] = i
        best[1:] = np.minimum(row[:-1] + mismatch, row[1:] + 1)
        row = np.minimum.accumulate(best - steps) + steps  # a character of the text left out, for 1 each
    return row
