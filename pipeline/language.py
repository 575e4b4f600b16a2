"""Telling Chinese from English text by its characters, and the stop words of each."""

from __future__ import annotations

import re

from qualflow.pipeline.chinese_script import to_simplified
from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP_WORDS
from spacy.lang.zh.stop_words import STOP_WORDS as ZH_STOP_WORDS

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_HAS_WORD_CHAR = re.compile(r"[\w]", re.UNICODE)

# Spoken-language fillers and hedges. spaCy's stop lists are written for edited text, so
# interview talk needs these too, or "yeah · honestly" ends up labelling a theme.
SPOKEN_FILLERS = frozenset(
    ["yeah", "yes", "yep", "okay", "ok", "um", "uh", "hmm", "mm", "honestly", "actually", "really", "basically", "literally", "like", "just", "kind", "sort", "lot", "lots", "thing", "things", "stuff", "know", "think", "mean", "guess", "maybe", "pretty", "bit", "quite", "就是", "然后", "其实", "那个", "这个", "觉得", "感觉", "有时候", "时候", "反正", "可能", "还是", "一些", "一下", "真的", "比较", "现在", "因为", "所以", "我们", "他们", "你们", "自己", "东西", "事情", "一个", "这种", "那种", "什么", "怎么", "这样", "那样", "已经", "没有", "不是", "还有", "知道", "特别", "挺", "说实话", "说真的", "老实说", "怎么说", "有个", "有点", "一下子", "不太"]
)

# A count, an amount or an ordinal ("一年", "三十多个", "七十多岁", "四五家", "第一次", "百分之八十"): spoken
# Chinese counts things all the time, and "一年 · 最难" said nothing of what a theme is about. Numerals,
# then at most two measure words, with the approximations 多/来/余; "一线", "三甲", "一家人" stay.
_NUMERALS = "0-9０-９零〇一二两三四五六七八九十百千万亿几多半数"
_MEASURES = "个年次家岁天月周位遍块点号名些回趟种样项条件只份层届期代倍级"
_QUANTITY = re.compile(rf"^第?[{_NUMERALS}]+[多来余]?[{_MEASURES}]{{0,2}}[多来余]?$|^百分之[{_NUMERALS}]+$")


def detect_language(text: str) -> str:
    """'zh', 'en' or 'mixed', from the share of CJK characters among letters.

    A Latin word costs one CJK character's weight per 4 letters, roughly the ratio of
    letters per word to characters per word, so "我用Excel记录" still reads as Chinese.
    """
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text)) / 4
    if cjk + latin == 0:
        return "en"
    share = cjk / (cjk + latin)
    if share >= 0.8:
        return "zh"
    if share <= 0.2:
        return "en"
    return "mixed"


def is_cjk_word(token: str) -> bool:
    return bool(_CJK.search(token))


def content_tokens(tokens: list[str]) -> list[str]:
    """Lower-cased tokens that carry meaning: no stop words, punctuation or single Chinese characters.

    Single Chinese characters are mostly particles and pronouns once jieba has joined the
    content words, so dropping them removes noise from keywords without a longer stop list.
    """
    kept = []
    for token in tokens:
        word = token.strip().lower()
        if not word or not _HAS_WORD_CHAR.search(word) or word.isdigit():
            continue
        if is_cjk_word(word):
            simplified = to_simplified(word)  # one stop list serves Traditional script too (我們 is 我们)
            if (len(word) < 2 or simplified in ZH_STOP_WORDS or simplified in SPOKEN_FILLERS
                    or _QUANTITY.match(simplified)):
                continue
        elif len(word) < 2 or word in EN_STOP_WORDS or word in SPOKEN_FILLERS or word.strip("'’") in EN_STOP_WORDS:
            continue
        kept.append(word)
    return kept
