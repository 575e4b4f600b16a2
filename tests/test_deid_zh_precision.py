"""Chinese de-identification precision: ordinary words jieba tags nr/ns are not names or places.

A Chinese nursing audit (s11/zh, defect 3) found 白班, 高三, 顾全 and 班加 replaced as people and
太累, 锦旗, 安宁 as places, so the topic word 白班 vanished from search. Each class of cause has a
sentence here, and guards check that real names and places around the same words are still found.
"""

from __future__ import annotations

import pytest
from fixtures.zh_deid import found, pseudonymised
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


# --- people: a dictionary word after a surname character ----------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "我们是三班倒，白班、小夜、大夜轮着来。",  # 白班/nr, a rare dictionary word (day shift)
        "我孩子今年高三，我上夜班的时候没人管他。",  # 高三/nr (final school year)
        "另外一个人就要顾全病区，根本忙不过来。",  # 顾全/nr (to take care of)
        "我們是三班制，白班、小夜、大夜。",  # Traditional, cut as its Simplified form
    ],
)
def test_dictionary_word_after_a_surname_character_is_no_person(deid, text):
    assert found(deid, text, "PERSON") == []
    assert pseudonymised(deid, text) == text


def test_two_characters_jieba_joins_are_no_foreign_name(deid):
    # 班 and 加 are both used to transliterate names; jieba's HMM joins them into a "name" nr.
    assert found(deid, "我们是两头班加夜班，夜班一般两个人。", "PERSON") == []


def test_a_word_of_the_surname_with_a_title_is_still_the_surname(deid):
    text = "白护士说今天白班人手不够，高医生让我孩子高三那年别太累，顾老师说要顾全大局。"
    assert found(deid, text, "PERSON") == ["白", "高", "顾"]
    assert pseudonymised(deid, text).count("白班") == 1


@pytest.mark.parametrize(
    "text, name",
    [
        ("陈静说她很累。", "陈静"),  # not a dictionary word
        ("我叫白雪，在儿科。", "白雪"),  # a dictionary word, found by 叫
        ("李娜说她很累。", "李娜"),  # a dictionary word whose last character mostly ends names
        ("安娜说她很累。", "安娜"),
        ("李强说他很累。", "李强"),  # jieba's full-name tag nrfg
        # Given names that are words jieba tags ns: the list of ordinary ns words leaves them off.
        ("我同事吴嘉宾说夜班太累了。", "吴嘉宾"),
        ("我同事李沧海说夜班太累了。", "李沧海"),
        ("我同事沈立国说夜班太累了。", "沈立国"),
        ("隔壁王大伯说夜班太累了。", "王大伯"),
    ],
)
def test_real_names_are_still_found(deid, text, name):
    assert name in found(deid, text, "PERSON")


def test_dictionary_place_jieba_tags_nr_becomes_a_place(deid):
    # 许昌/nr is no person now, but jieba also lists 许昌市: it stays replaced, as a place.
    assert found(deid, "我老家是许昌的。", "PLACE") == ["许昌"]
    assert found(deid, "我老家是许昌的。", "PERSON") == []


# --- places: ns without evidence -----------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "家里人都说急诊太累，夜班对身体不好。",  # 太累/ns made by jieba's HMM: adverb + adjective
        "她给我们科送了一面锦旗。",  # 锦旗/ns counted by 一面, and no place form of it is listed
        "一个晚上都不得安宁。",  # 安宁/ns after a negation: said of the night
        # Words jieba's dictionary lists as ns: 中度 was replaced in 中度抑郁 (counselling data), 上岗 in a
        # researcher's audit; the others were read off the dictionary's commonest ns words.
        "医生说我是中度抑郁。",
        "刚上岗的时候什么都不懂。",
        "我们单位福利很好，上半场比赛中断了一会儿。",
        "这个日志和关联数据要普及，广义上说也算。",
        "我立马去入口那里等他，买了个汉堡和西瓜。",
    ],
)
def test_ordinary_word_tagged_ns_is_no_place(deid, text):
    assert found(deid, text, "PLACE") == []
    assert pseudonymised(deid, text) == text


@pytest.mark.parametrize(
    "text, place",
    [
        ("我在上海工作。", "上海"),
        ("我在臺北一家醫學中心工作。", "臺北"),
        ("还有一个英国来的研究员。", "英国"),  # counted, but jieba lists 英国人
        ("我们去安宁市开会。", "安宁市"),  # a place suffix
        ("他住在钟山。", "钟山"),  # 钟山/nr, listed as 钟山县
    ],
)
def test_real_places_are_still_found(deid, text, place):
    assert place in found(deid, text, "PLACE")
