"""A reviewer's memo that quotes a withdrawn participant: the quoted words go, the reviewer's stay.

Memos on a withdrawn participant's own statements are deleted with them (pipeline/withdraw.py). A memo on
a theme, or on someone else's statement, is the reviewer's writing, but it may copy a quote into it
("P4: 'the pay is too low, I work two jobs'"), and memos leave the study in the REFI-QDA export's notes.
Consent withdrawn covers those words too, so each quoted passage is replaced with `QUOTE_REMOVED`.

A passage counts as quoted when it holds `WORDS_IN_A_ROW` of a withdrawn statement's words in a row
(Chinese: `CHARACTERS_IN_A_ROW` characters), or the whole statement when it is shorter than that and
still long enough to be theirs rather than anyone's phrase (`FEWEST_WORDS`, `FEWEST_CHARACTERS`).
Letter case, punctuation and spacing are ignored, as a reviewer copying a quote changes them.
"""

from __future__ import annotations

import re

QUOTE_REMOVED = "[words of a withdrawn participant]"
WORDS_IN_A_ROW = 6
CHARACTERS_IN_A_ROW = 8
FEWEST_WORDS = 4
FEWEST_CHARACTERS = 5

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A Chinese character is a token of its own (Chinese has no spaces); any other run of letters or digits is a word.
_TOKEN = re.compile(rf"[{_HAN}]|[^\W_{_HAN}]+")


def _tokens(text: str) -> list[re.Match]:
    return list(_TOKEN.finditer(text))


def _is_han(token: str) -> bool:
    return bool(re.fullmatch(f"[{_HAN}]", token))


def _window(tokens: list[str]) -> int | None:
    """How many of a statement's tokens in a row make a quote of it; None when it is too short to tell."""
    han = sum(map(_is_han, tokens))
    longest, fewest = (CHARACTERS_IN_A_ROW, FEWEST_CHARACTERS) if han * 2 > len(tokens) else (WORDS_IN_A_ROW, FEWEST_WORDS)
    if len(tokens) < fewest:
        return None
    return min(longest, len(tokens))


def quoted_spans(memo: str, statements: list[str]) -> list[tuple[int, int]]:
    """Character spans of `memo` that quote any of `statements`, merged where they touch."""
    found = _tokens(memo)
    words = [match.group().casefold() for match in found]
    marked = [False] * len(found)
    for statement in statements:
        theirs = [match.group().casefold() for match in _tokens(statement)]
        size = _window(theirs)
        if size is None:
            continue
        runs = {tuple(theirs[i:i + size]) for i in range(len(theirs) - size + 1)}
        for i in range(len(words) - size + 1):
            if tuple(words[i:i + size]) in runs:
                marked[i:i + size] = [True] * size
    spans: list[tuple[int, int]] = []
    for i, match in enumerate(found):
        if not marked[i]:
            continue
        if spans and i > 0 and marked[i - 1]:
            spans[-1] = (spans[-1][0], match.end())
        else:
            spans.append((match.start(), match.end()))
    return spans


def without_quotes(memo: str, statements: list[str]) -> str:
    """`memo` with every passage quoting `statements` replaced by `QUOTE_REMOVED`."""
    for start, end in reversed(quoted_spans(memo, statements)):
        memo = memo[:start] + QUOTE_REMOVED + memo[end:]
    return memo
