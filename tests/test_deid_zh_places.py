"""Chinese district, town and road names jieba does not tag as places, and the ordinary words that
end in the same characters.

板橋區 (a district of New Taipei) stayed in clear: jieba's dictionary, built on mainland text, cuts it
as 板桥/n + 区 ("plank bridge"), reads 信義 as "good faith" and 文山區 as 文/山区. Words that end in
区/市/路/街 are everyday talk in care work (病区, 社区, 小区, 候诊区, 超市, 街道) and must stay.
"""

from __future__ import annotations

import pytest
from fixtures.zh_deid import pseudonymised
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def places(deid, text):
    return [f.text for f in deid.find(text, "zh") if f.kind == "PLACE"]


# --- recall: the names are replaced -------------------------------------------------------------

@pytest.mark.parametrize(
    "text, place",
    [
        ("我住在板橋區，每天搭捷運去醫院上班。", "板橋區"),  # 板桥/n + 区: a noun the dictionary lists as 板桥市/镇
        ("我家在板桥区，离医院不远。", "板桥区"),  # the same in Simplified
        ("我們醫院在信義區，病人大多住附近。", "信義區"),  # 信义/n "good faith"
        ("我小時候住文山區，後來搬走了。", "文山區"),  # cut 文/山区
        ("她是從苓雅區轉過來的病人。", "苓雅區"),  # cut 苓/雅/区
        ("我先生在三重區開計程車。", "三重區"),  # 三重/m, a numeral to jieba
        ("我娘家在汐止區，週末回去。", "汐止區"),
    ],
)
def test_district_names_jieba_reads_as_words_are_places(deid, text, place):
    assert place in places(deid, text)
    assert place not in pseudonymised(deid, text)


@pytest.mark.parametrize(
    "text, place",
    [
        ("我住在忠孝東路三段，走路就到了。", "忠孝東路三段"),  # 忠孝东路/nrt: no place tag
        ("診所在信義路五段那邊。", "信義路五段"),  # 信义路/n
        ("我們在南京東路三段租房子。", "南京東路三段"),  # the section goes with the road
    ],
)
def test_a_numbered_road_section_is_an_address(deid, text, place):
    assert places(deid, text) == [place]
    assert place not in pseudonymised(deid, text)


@pytest.mark.parametrize(
    "text, place",
    [
        ("我家在浦东新区，上班要一个小时。", "浦东新区"),
        ("医院在天河区，我住番禺区。", "天河区"),
        ("她住中山路，离医院很近。", "中山路"),
        ("我住新北市板橋區。", "新北市"),
        ("他們搬到林口縣去了。", "林口縣"),  # 林口县, a county in the dictionary
    ],
)
def test_places_jieba_knows_are_still_found(deid, text, place):
    assert place in places(deid, text)


# --- precision: ordinary words ending in 区/市/路/街 stay ---------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "我在病区上了十年班，现在调到社区了。",
        "我们小区的老人很多，地区差别也大。",
        "园区里有一个养老机构，郊区的床位便宜一点。",
        "下班以后去市场买菜，城市里生活压力大。",
        "我先去超市，再沿着道路走到街道办事处。",
        "病人先在候诊区等，然后到门诊区、护理区和重症区。",  # X/n + 区 where X has no town form
        "隔离区、污染区和清洁区要分开，等候区不能坐太多人。",
        "疫情的时候我们是重点区，机场区那边也封了。",  # common nouns the dictionary lists as 重点县 etc.
        "他们搬到新社區以後，大社區的活動就少了。",  # 新社, 大社 are districts too, but here a new/big community
        "這條路一段一段的都在修。",  # 路 + 一段 without a road name
        "我們病區在十樓，社區護理師每週來一次。",  # Traditional
    ],
)
def test_ordinary_words_ending_in_place_characters_are_kept(deid, text):
    assert places(deid, text) == []
    assert pseudonymised(deid, text) == text


def test_a_district_name_inside_a_longer_word_is_left_alone(deid):
    # 大安 is a district of Taipei, but 大安區域 is cut 大安/区域: no 區 stands after the name.
    assert "大安區" not in " ".join(places(deid, "她說大安區域的房價很高。"))
