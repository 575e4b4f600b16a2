"""jieba tokens with code-point offsets, and an index of where words start and end.

jieba's dictionary is Simplified: on Traditional text it cuts and tags poorly (臺/北/市 for 臺北市,
市板/橋區 for 板橋區, 請/教). Each line is cut as OpenCC's Simplified form of it (pipeline/
chinese_script.py), and the tokens keep the words as written, so offsets and word lists (which
hold Traditional forms too, deid/lexicon.py) see the text itself.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from qualflow.pipeline.chinese_script import to_simplified

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
    """How common jieba's dictionary says `word` is, in Simplified script (時間 as 时间)."""
    import jieba

    return jieba.dt.FREQ.get(word) or jieba.dt.FREQ.get(_simplified_word(word)) or 0


def name_ending_share(character: str) -> float:
    """Of the dictionary's words that end in `character` (two characters or more, weighted by how
    common they are), the share jieba tags as personal names: 娜 0.96, 杰 0.97; 班 0.06, 全 0.10."""
    return _name_endings().get(_simplified_word(character), 0.0)


@lru_cache(maxsize=1)
def _name_endings() -> dict[str, float]:
    import jieba
    import jieba.posseg

    jieba.dt.check_initialized()  # cached once: an empty dictionary would be cached empty
    tags = jieba.posseg.dt.word_tag_tab
    names: Counter = Counter()
    words: Counter = Counter()
    for word, count in jieba.dt.FREQ.items():
        if len(word) >= 2 and count:
            words[word[-1]] += count
            if tags.get(word) in NR_TAGS:
                names[word[-1]] += count
    return {character: names[character] / total for character, total in words.items()}


@lru_cache(maxsize=65536)
def _simplified_word(word: str) -> str:
    # Cached: the rules ask about the same words again and again; jieba's dictionary can still gain
    # words (user words), so only the conversion is cached, not the frequency.
    return to_simplified(word)


def tokenize(text: str, regions: list[tuple[int, int]]) -> list[Token]:
    import jieba.posseg as pseg

    tokens = []
    for lo, hi in regions:
        for line in re.finditer(r"[^\n]+", text[lo:hi]):
            cursor = lo + line.start()
            simplified = to_simplified(line.group())
            # OpenCC converts character for character, but a phrase may in principle change length.
            as_cut = simplified if len(simplified) == len(line.group()) else line.group()
            for pair in pseg.cut(as_cut):
                end = cursor + len(pair.word)
                if as_cut[cursor - lo - line.start() : end - lo - line.start()] != pair.word:
                    raise RuntimeError("jieba changed the text; offsets would be wrong")
                tokens.append(Token(cursor, end, text[cursor:end], pair.flag))
                cursor = end
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
