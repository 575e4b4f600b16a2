"""jieba tokens with code-point offsets, and an index of where words start and end."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

CJK_WORD = re.compile(r"^[\u3400-\u9fff]+$")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\u3007·]+")
NR_TAGS = frozenset({"nr", "nrfg", "nrt"})


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    word: str
    tag: str


def freq(word: str) -> int:
    import jieba

    return jieba.dt.FREQ.get(word) or 0


def tokenize(text: str, regions: list[tuple[int, int]]) -> list[Token]:
    import jieba.posseg as pseg

    tokens = []
    for lo, hi in regions:
        for line in re.finditer(r"[^\n]+", text[lo:hi]):
            cursor = lo + line.start()
            for pair in pseg.cut(line.group()):
                word, tag = pair.word, pair.flag
                if text[cursor : cursor + len(word)] != word:
                    raise RuntimeError("jieba changed the text; offsets would be wrong")
                tokens.append(Token(cursor, cursor + len(word), word, tag))
                cursor += len(word)
    return tokens


def cjk_regions(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _CJK_RUN.finditer(text)]


class Index:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.starts = {t.start: i for i, t in enumerate(tokens)}
        self.ends = {t.end: i for i, t in enumerate(tokens)}
        self._start_list = [t.start for t in tokens]

    def token_at(self, start: int) -> Token | None:
        i = self.starts.get(start)
        return None if i is None else self.tokens[i]

    def token_covering(self, position: int) -> Token | None:
        """The token that holds the character at `position`."""
        i = bisect_right(self._start_list, position) - 1
        return self.tokens[i] if i >= 0 and self.tokens[i].start <= position < self.tokens[i].end else None
