"""Telling Chinese from English text by its characters, and the stop words of each."""

from __future__ import annotations

import re
from functools import lru_cache

from qualflow.pipeline.chinese_script import to_simplified
from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP_WORDS
from spacy.lang.zh.stop_words import STOP_WORDS as ZH_STOP_WORDS

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_HAS_WORD_CHAR = re.compile(r"[\w]", re.UNICODE)
# A token ending so ends a sentence ("." "?!" "U.S." "。"): the next word's capital is the sentence's.
_SENTENCE_ENDS = (".", "!", "?", "…", "。", "！", "？")

# Spoken-language fillers and hedges. spaCy's stop lists are written for edited text, so
# interview talk needs these too, or "yeah · honestly" ends up labelling a theme.
SPOKEN_FILLERS = frozenset(
    ["yeah", "yes", "yep", "okay", "ok", "um", "uh", "hmm", "mm", "honestly", "actually", "really", "basically", "literally", "like", "just", "kind", "sort", "lot", "lots", "thing", "things", "stuff", "know", "think", "mean", "guess", "maybe", "pretty", "bit", "quite", "就是", "然后", "其实", "那个", "这个", "觉得", "感觉", "有时候", "时候", "反正", "可能", "还是", "一些", "一下", "真的", "比较", "现在", "因为", "所以", "我们", "他们", "你们", "自己", "东西", "事情", "一个", "这种", "那种", "什么", "怎么", "这样", "那样", "已经", "没有", "不是", "还有", "知道", "特别", "挺", "说实话", "说真的", "老实说", "怎么说", "有个", "有点", "一下子", "不太"]
)

# A count, an amount or an ordinal ("一年", "三十多个", "七十多岁", "四五家", "第一次", "百分之八十"): spoken
# Chinese counts things all the time, and "一年 · 最难" said nothing of what a theme is about. Numerals,
# then at most two measure words, with the approximations 多/来/余; "一线", "三甲", "一家人" stay.
_NUMERALS = "0-9０-９零〇一二两三四五六七八九十百千万亿几多半数"
# The measure words: the classifiers of a Chinese grammar's list (个 张 条 床 台 针 …), counting
# containers (杯 瓶 包 …) and units of time and amount (时 分 秒 斤 …).
_MEASURES = ("个年次家岁天月周位遍块点号名些回趟种样项条件只份层届期代倍级"
             "张把本台辆支根片颗粒枚床间座栋所首双对套副批群堆排行列头口匹株棵封句声场阵顿番轮段节篇门"
             "杯瓶包盒袋箱桶碗盘针剂管滴时分秒刻斤两克米里升")
_QUANTITY = re.compile(rf"^第?[{_NUMERALS}]+[多来余]?[{_MEASURES}]{{0,2}}[多来余]?$|^百分之[{_NUMERALS}]+$"
                       rf"|^[{_NUMERALS}]+比[{_NUMERALS}]*$")  # and a ratio, 一比二 (a nurse to two patients)


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
    """The tokens that carry meaning, as `content_token_forms` counts them."""
    return [key for key, _ in content_token_forms(tokens)]


def content_token_forms(tokens: list[str]) -> list[tuple[str, str | None]]:
    """(key, as written) for each word that carries meaning: no stop words, punctuation, counts or
    single Chinese characters (mostly particles and pronouns once jieba has joined the content words).

    The key is lower-cased, and Chinese is keyed in Simplified script, so 家屬 and 家属 count as one
    word; the written form is the transcript's, to show ("ICU" stays an acronym), or None for an English
    word whose capital may be only the sentence's (`_english_form`).
    Chinese is cut again from its Simplified form (`_keyword_words`): jieba's dictionary is
    Simplified, so Traditional text cut as written gave 換來換 and 寫個案."""
    kept = []
    sentence_start = True
    for run, chinese in _runs(tokens):
        if not chinese:
            written = run[0].strip()
            word = written.lower()
            opens_sentence = sentence_start
            if _HAS_WORD_CHAR.search(word):
                sentence_start = False
            if written.endswith(_SENTENCE_ENDS):
                sentence_start = True
            if (len(word) >= 2 and _HAS_WORD_CHAR.search(word) and not word.isdigit() and word not in EN_STOP_WORDS
                    and word not in SPOKEN_FILLERS and word.strip("'’") not in EN_STOP_WORDS):
                kept.append((word, _english_form(written, opens_sentence)))
            continue
        sentence_start = False
        for key, written in _keyword_words("".join(run)):
            if (len(key) >= 2 and _HAS_WORD_CHAR.search(key) and not key.isdigit() and key not in ZH_STOP_WORDS
                    and key not in SPOKEN_FILLERS and not _QUANTITY.match(key)
                    and not pronoun_and_function_words(key)):
                kept.append((key, written))
    return kept


def _english_form(written: str, opens_sentence: bool) -> str | None:
    """How an English word is written, for showing: "ICU", "COVID", "iPhone", "London" as written; None
    for a capital that may only open a sentence ("Nights are long.", "London rents are high."): it says
    nothing of how the word is written, so it casts no vote (describe._most_written)."""
    if opens_sentence and written[:1].isupper() and written[1:].islower():
        return None
    return written


def _runs(tokens: list[str]):
    """Consecutive Chinese tokens joined (each with True), every other token alone (with False)."""
    run: list[str] = []
    for token in tokens:
        if is_cjk_word(token):
            run.append(token.strip())
            continue
        if run:
            yield run, True
            run = []
        yield [token], False
    if run:
        yield run, True


def _keyword_words(text: str) -> list[tuple[str, str]]:
    """`text` cut by jieba in Simplified script: (Simplified word lower-cased, the same characters as
    written). jieba's HMM guesses words its dictionary lacks: real ones (大夜, 食材, 吐槽) and fragments
    that glue a function character to a neighbour (我想考, 有过, 这是, 很难). A guessed word holding a
    function character is cut again by the dictionary alone; a study's own words (segment.configure_jieba)
    are in the dictionary and stay whole."""
    import jieba

    simplified = to_simplified(text)
    words = [piece for word in jieba.lcut(simplified) for piece in
             (jieba.lcut(word, HMM=False) if _guessed_with_function_character(word) else [word])]
    if len(simplified) != len(text):  # OpenCC changed a phrase's length: show the Simplified form
        return [(word.strip().lower(), word.strip()) for word in words]
    pairs, start = [], 0
    for word in words:
        pairs.append((word.strip().lower(), text[start:start + len(word)].strip()))
        start += len(word)
    return pairs


def _guessed_with_function_character(word: str) -> bool:
    import jieba

    return len(word) > 1 and not jieba.dt.FREQ.get(word) and any(c in _function_characters() for c in word)


# What opens a function-word combination: personal pronouns and demonstratives (`pronoun_and_function_words`).
_LEADING_PRONOUNS = frozenset("我 你 他 她 它 咱 您 俺 这 那 我们 你们 他们 她们 它们 咱们 人家 大家 "
                              "这个 那个 这些 那些 这样 那样".split())


@lru_cache(maxsize=4096)
def pronoun_and_function_words(word: str) -> bool:
    """Whether a Chinese word is a pronoun or demonstrative followed only by function words: 我会, 我们会,
    他们会, 我觉得, 你就, 这就是. jieba's dictionary holds some whole (我会), so they were not cut into their
    stop words and 我会 labelled a theme of people saying what they would do. The rest must cut entirely into
    function characters (`_function_characters`) and stop words or fillers of two characters or more.
    Only a pronoun opening counts: words made of function characters alone include 自由, 可怕 and 绝望."""
    for size in (2, 1):
        if len(word) > size and word[:size] in _LEADING_PRONOUNS and _function_words_only(word[size:]):
            return True
    return False


def _function_words_only(text: str) -> bool:
    if not text:
        return True
    if text[0] in _function_characters() and _function_words_only(text[1:]):
        return True
    return any((text[:end] in ZH_STOP_WORDS or text[:end] in SPOKEN_FILLERS) and _function_words_only(text[end:])
               for end in range(len(text), 1, -1))


@lru_cache(maxsize=1)
def _function_characters() -> frozenset[str]:
    """Single-character stop words that jieba's dictionary tags as no noun, adjective, numeral or
    measure word: pronouns, adverbs, auxiliaries, prepositions, particles (我, 很, 还, 这, 过, 要, 会).
    大 (大夜), 人 and 二 (二宝) are stop words too, but content characters."""
    import jieba.posseg

    tags = jieba.posseg.dt.word_tag_tab
    return frozenset(c for c in ZH_STOP_WORDS if len(c) == 1 and is_cjk_word(c) and tags.get(c, "x")[0] not in "namq")
