"""Chinese names whose last character jieba glues to the verb after them, and 小/老 + surname that jieba
tags as a time word or pronoun.

jieba cuts 小陈说了 as 小/陈说 (陈说 "to state") and 李明说了 as 李/明说 (明说 "to say openly"): the name
ends inside a word, so neither the 小X title rule nor the surname + given-name rule saw it, and the name
was kept. It cuts 跟小周很熟 as 跟/小周/t and lists 老宋, 老何 as a time word and a pronoun, tags the 小X
rule did not take. The names are found now where what comes before shows a name (小, 老, a surname tagged
as a person's); 明说, 陈说, 小说 and 明白 said without one stay words.
"""

from __future__ import annotations

import pytest
from fixtures.zh_deid import found, pseudonymised
from qualflow.pipeline.deid.chinese_tokens import tokenize
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


# (sentence, the word jieba glues the name's end into, what is found as PERSON)
GLUED_NAME_ENDS = [
    ("小陈说了很多。", "陈说", ["陈"]),
    ("李明说了很多。", "明说", ["李明"]),
    ("护士长跟小陈说过这件事。", "陈说", ["陈"]),
    ("张明说过这件事。", "明说", ["张明"]),  # 张/q: no numeral before it, so no classifier
    ("老陈说得对。", "陈说", ["陈"]),
    ("我跟老胡说了。", "胡说", ["胡"]),
    ("小陳說了很多。", "陳說", ["陳"]),  # Traditional, cut as its Simplified form
]

XIAO_LAO_TAGGED_AS_OTHER_WORDS = [
    ("我跟小周很熟。", "小周", ["周"]),  # 小周/t
    ("老宋来了以后就好了。", "老宋", ["宋"]),  # 老宋/t
    ("老何说他年轻时当过兵。", "老何", ["何"]),  # 老何/r
]

# The glued words and look-alikes with no name before them: nothing is found, nothing changes.
EVERYDAY = [
    "他明说了不想去。", "我明说了吧，这个方案不行。", "他在看小说。", "这本小说写得很好。", "我明白了。",
    "老李明说了，他不同意。",  # 老李 is the name (found as 李), 明说 the verb: not 李明
    "你就直说吧。", "他老是说自己没事。", "小时候我们家很穷。", "这个说明书看不懂。", "他老胡说八道。",
    "他老胡说。",  # 老 "always" after the one it is said of: he keeps talking nonsense
    "桌上有一张明说的单子。",  # 一张: 张 a classifier
]


@pytest.mark.parametrize(("text", "glued", "people"), GLUED_NAME_ENDS + XIAO_LAO_TAGGED_AS_OTHER_WORDS)
def test_sentences_are_ones_jieba_cuts_so(text, glued, people):
    # Keeps the cases meaningful: jieba still makes the word that hid the name.
    assert glued in [t.word for t in tokenize(text, [(0, len(text))])]


@pytest.mark.parametrize(("text", "glued", "people"), GLUED_NAME_ENDS)
def test_name_whose_end_jieba_glued_to_a_verb_is_found(deid, text, glued, people):
    assert found(deid, text, "PERSON") == people


@pytest.mark.parametrize(("text", "glued", "people"), XIAO_LAO_TAGGED_AS_OTHER_WORDS)
def test_xiao_lao_surname_tagged_time_word_or_pronoun_is_found(deid, text, glued, people):
    assert found(deid, text, "PERSON") == people


def test_glued_name_is_replaced_and_the_verb_kept(deid):
    assert pseudonymised(deid, "小陈说了很多，李明说了一点。") == "小[PERSON_1]说了很多，[PERSON_2]说了一点。"


@pytest.mark.parametrize("text", EVERYDAY)
def test_words_a_name_is_glued_into_are_no_one_alone(deid, text):
    people = found(deid, text, "PERSON")
    assert people == (["李"] if text.startswith("老李") else [])
