"""Chinese names right after a function character (和, 跟, 同, 问 …) that jieba glued to them.

Privacy audit F7: in 我们科的张主任和小李对我很好 jieba cuts 和小李/nr as one word (和 is a surname too); that
three-character "name" was rejected and the 小X title rule never saw 小李 inside it, so 小李 was kept. The
same glue hides 小/老 + surname cut as 同小/j 李, and full names cut as 和林/nz 浩然 or 问杨洋/n. The name rules
now see such a word cut again without its function character. Everyday words after the same characters
(和小孩, 给小费, 同小房子 …) must still give no person.
"""

from __future__ import annotations

import pytest
from fixtures.zh_deid import found, pseudonymised
from qualflow.pipeline.deid.chinese_tokens import tokenize
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


# (sentence, the word jieba glues there, what is found as PERSON)
GLUED_NAMES = [
    ("我们科的张主任和小李对我很好，老张经常帮我。", "和小李", ["张", "李", "张"]),  # the audit's sentence
    ("我們科的張主任和小李對我很好。", "和小李", ["張", "李"]),  # Traditional, cut as its Simplified form
    ("我们科的张主任和小王关系不错。", "和小王", ["张", "王"]),
    ("我们科的张主任问小刘的事情。", "问小刘", ["张", "刘"]),
    ("我们科的张主任和老赵对我很好。", "和老赵", ["张", "赵"]),
    ("我们科的张主任同小李一起值班。", "同小", ["张", "李"]),  # 同小/j 李/nr
    ("我们科的张主任问小黄一起值班。", "问小", ["张", "黄"]),  # 问小/n 黄/n
    ("我们科的张主任同小周一起值班。", "同小", ["张", "周"]),  # 同小/b 周/n
    ("我们科的张主任和林浩然对我很好。", "和林", ["张", "林浩然"]),  # 和林/nz 浩然/a
    ("我们科的张主任同林浩然聊过。", "同林", ["张", "林浩然"]),  # 同林/j 浩然/a
    ("我们科的张主任问林浩然帮忙。", "问林", ["张", "林浩然"]),  # 问林/n 浩然/a
    ("我们科的张主任问杨洋很熟。", "问杨洋", ["张", "杨洋"]),  # 问杨洋/n
]

# Everyday words jieba glues the same way: cut again, they are still no one.
GLUED_EVERYDAY_WORDS = [
    ("我们科的张主任同小房子的事情。", "同小"),  # 同小/j 房子/n
    ("护士长和小洞都来了。", "和小洞"),  # 和小洞/nr
    ("我们科的张主任说小本的事情。", "说小本"),  # 说小本/l
]


@pytest.mark.parametrize("text, glued, people", GLUED_NAMES)
def test_sentences_are_ones_jieba_glues(text, glued, people):
    # Keeps the cases below meaningful: each is a sentence where jieba makes the glued word.
    assert glued in [t.word for t in tokenize(text, [(0, len(text))])]


@pytest.mark.parametrize("text, glued, people", GLUED_NAMES)
def test_name_glued_to_a_function_character_is_found(deid, text, glued, people):
    assert found(deid, text, "PERSON") == people


def test_audit_sentence_keeps_no_name(deid):
    out = pseudonymised(deid, "我们科的张主任和小李对我很好，老张经常帮我。")
    assert out == "我们科的[PERSON_1]主任和小[PERSON_2]对我很好，老[PERSON_1]经常帮我。"


@pytest.mark.parametrize(
    "text, people",
    [
        ("我和王小明聊过。", ["王小明"]),
        ("我跟王小明说了。", ["王小明"]),
        ("我跟老张说了。", ["张"]),
        ("我和小李聊过。", ["李"]),
        ("我找小林帮忙。", ["林"]),
        ("我被老刘骂了。", ["刘"]),
    ],
)
def test_names_after_function_characters_jieba_cuts_apart_are_still_found(deid, text, people):
    assert found(deid, text, "PERSON") == people


@pytest.mark.parametrize(
    "text",
    [
        "我和小孩一起玩。",
        "我跟小朋友们说过。",
        "我和老师聊过。",
        "我和老人住在一起。",
        "这件事对小组很重要。",
        "我们给小费了。",
        "我工作了三个小时。",
        "他老是迟到。",
        "我和老公一起去的。",
        "我们小区很安静。",
        "我们科的张主任和小孩对我很好。",
        "我们科的张主任和老人对我很好。",
        "我们科的张主任和老公对我很好。",
        "我们科的张主任同老乡一起值班。",
        "我们科的张主任问小时候的事情。",
        "我们科的张主任和同学聊过。",
    ]
    + [text for text, _ in GLUED_EVERYDAY_WORDS],
)
def test_everyday_words_after_function_characters_are_no_person(deid, text):
    # 张 of 张主任, where the sentence has it, is the one person.
    assert [p for p in found(deid, text, "PERSON") if p != "张"] == []
    assert "PERSON" not in pseudonymised(deid, text).replace("[PERSON_1]主任", "")


@pytest.mark.parametrize("text, glued", GLUED_EVERYDAY_WORDS)
def test_everyday_sentences_are_ones_jieba_glues(text, glued):
    assert glued in [t.word for t in tokenize(text, [(0, len(text))])]
