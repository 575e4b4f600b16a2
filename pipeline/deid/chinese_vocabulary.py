"""What the Chinese place and organisation rules ask of jieba's dictionary (a word's tags, its common
nouns), and the tags and character classes both sets of rules share."""

from __future__ import annotations

import re
from functools import lru_cache

from qualflow.pipeline.chinese_script import to_simplified
from qualflow.pipeline.deid.lexicon import longest_first, with_traditional


SPECIFIC_TAGS = frozenset({"ns", "nr", "nrt", "nrfg", "nz", "nt", "j"})


def any_of(words: str) -> str:
    """A regex alternation of the words and their Traditional forms (栋 棟, 单元 單元, 医院 醫院)."""
    return "(?:" + "|".join(map(re.escape, longest_first(words.split()))) + ")"


def chars_of(characters: str) -> str:
    return "".join(sorted(with_traditional(characters)))


NUMERALS = "0-9" + chars_of("一二三四五六七八九十〇零两百")
# A unit jieba may glue to one character of the name before it (瓜/沥镇) or to the next word (區北/新路).
UNIT_CHARACTERS = frozenset(chars_of("区县市镇乡村省州"))


def dictionary_tags(word: str) -> list[str]:
    import jieba.posseg as pseg

    return [pair.flag for pair in pseg.cut(to_simplified(word), HMM=False)]


def word_tag(word: str) -> str | None:
    """The tag jieba's dictionary gives `word` (Simplified) as a whole."""
    import jieba.posseg as pseg

    pseg.dt.makesure_userdict_loaded()
    return pseg.dt.word_tag_tab.get(word)


@lru_cache(maxsize=1)
def _common_nouns_by_start() -> dict[str, list[str]]:
    """jieba's dictionary's common nouns (n) of three characters or more, by their first two."""
    import jieba
    import jieba.posseg as pseg

    jieba.dt.check_initialized()
    tags = pseg.dt.word_tag_tab
    nouns: dict[str, list[str]] = {}
    for word, count in jieba.dt.FREQ.items():
        if count and len(word) >= 3 and tags.get(word) == "n":
            nouns.setdefault(word[:2], []).append(word)
    return nouns


def common_nouns_starting(stem: str) -> list[str]:
    return _common_nouns_by_start().get(stem, []) if len(stem) == 2 else []


def dictionary_words(word: str) -> list[str]:
    import jieba.posseg as pseg

    return [pair.word for pair in pseg.cut(to_simplified(word), HMM=False)]
