"""Roads and districts named by common words (人民路, 民族路, 光復路, 建设路口, 鼓楼区), which jieba reads as
those words (人民/n 路/n, 光复路/l, 建设/vn 路口/s, 鼓楼区/n): pipeline/deid/chinese_road_names.py.

The held-out sentences were written before the list of road names, with common road names left off it,
to show how far the rule reaches beyond its list: it does not (the list is the rule); those found are found
by the rules that were there before (jieba lists 向阳路, 育才路 whole as names).
"""

from __future__ import annotations

import pytest
from fixtures.zh_deid import found
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def _places(deid: Deidentifier, text: str) -> list[str]:
    return sorted(found(deid, text, "PLACE"))


# (sentence, places found whole), as jieba cuts them: name/unit, name and unit in one word, name/unit with
# a locative glued on (路口, 路上, 街口), name/direction road, name/ordinal road, Traditional script.
ROADS = [
    ("他住在民族路附近。", ["民族路"]),
    ("診所在光復路上。", ["光復路"]),
    ("我住在人民路。", ["人民路"]),
    ("她住在建设路口。", ["建设路"]),
    ("我家在鼓楼区。", ["鼓楼区"]),
    ("我住在人民东路。", ["人民东路"]),
    ("他家在解放一路。", ["解放一路"]),
    ("她在建设二路上班。", ["建设二路"]),
    ("我住在胜利街。", ["胜利街"]),
    ("店在人民路边。", ["人民路"]),
    ("我住在人民南路上。", ["人民南路"]),
    ("公司在復興南路。", ["復興南路"]),
    ("他在光復北路。", ["光復北路"]),
    ("我家在幸福街。", ["幸福街"]),
    ("他们在青年路。", ["青年路"]),
    ("她住在紅旗街上。", ["紅旗街"]),
    ("我在勝利街口等你。", ["勝利街"]),
    ("她住在團結路。", ["團結路"]),
    ("我住在人民中路三号。", ["人民中路三号"]),
    ("我住在民族東路三段。", ["民族東路三段"]),
    ("鼓楼区人民路上有家药店。", ["人民路", "鼓楼区"]),
    ("我每天路过人民路上的药店。", ["人民路"]),  # passing it: a verb before the name, not a way in life
    ("他家住在建设路上。", ["建设路"]),
    ("他们家在天心区。", ["天心区"]),
    ("我老家在硚口区。", ["硚口区"]),
    ("我們以前住在鼓樓區。", ["鼓樓區"]),
    ("她在市南区上班。", ["市南区"]),
    # Abstract names (幸福, 胜利, 花园) with an address around them: an address word or a place before the
    # name, a house number, 口 or 那边 after it, a road's own unit. 走在幸福路上 (在 before) is the road.
    ("他走在幸福路上。", ["幸福路"]),
    ("我们搬到了胜利路那边。", ["胜利路"]),
    ("幸福路88号有家药店。", ["幸福路88号"]),
    ("胜利路口有家药店。", ["胜利路"]),
    ("我家在幸福東路。", ["幸福東路"]),
    ("他在郑州市金水区花园路开了个小店。", ["郑州市", "金水区", "花园路"]),
]


@pytest.mark.parametrize(("text", "places"), ROADS)
def test_roads_and_districts_named_by_common_words_are_found_whole(deid, text, places):
    assert _places(deid, text) == sorted(places)


# Everyday talk with the same words, and roads that are a way in life. 新华书店 and 中山大学 may be
# organisations; none of these is a place.
EVERYDAY = [
    "小心点，别在马路上玩。", "走这条路就能到。", "他在回家路上给我打电话。", "在人生路上总会遇到困难。",
    "我在網路上看到的。", "他的思路很清楚。", "年轻人要找出路。", "车开到半路坏了。", "在路口等我。",
    "要相信人民群众。", "我们要保护民族文化。", "建设工作很辛苦。", "和平年代也要居安思危。",
    "我去新华书店买书。", "这条文化路线走不通。", "他考上了中山大学。", "我们小区很安静。", "社区医生来过了。",
    "他们搬到郊区了。", "市区的房价很高。", "山区的孩子上学很远。", "这里是工业区。", "开发区的工厂很多。",
    "他为人民一路奔波。", "人民一路走来不容易。", "红旗街头飘扬。", "文化街有很多书店。", "成功路上没有捷径。",
    "复兴之路还很长。", "人民路线不能丢。", "交通路况不好。", "花园路面有点滑。", "文明路上行车，安全第一。",
    "平安路上，一路有你。", "交通路口要小心。", "在公园路口等我。",
    "我们迈向胜利路上。",
]


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_talk_with_road_words_names_no_place(deid, text):
    assert _places(deid, text) == []


# A road the older rules found before is kept whatever comes before it: jieba's own 复兴路 and 建设路
# (listed whole) were found here before the list, and a passing verb (路过/中山路上) looks the same.
@pytest.mark.parametrize(("text", "places"), [
    ("我每天路过中山路上的那家药店。", ["中山路"]),
    ("在民族复兴路上，我们都是追梦人。", ["复兴路"]),  # a false alarm, kept as before: privacy first
])
def test_roads_the_older_rules_found_are_kept_before_any_word(deid, text, places):
    assert _places(deid, text) == places


# Abstract names walked figuratively (the Long March, the road to happiness or victory), with nothing, a
# comma or 的 before the name, and no house number or 口 after the unit: no place. 长征 is off the list.
FIGURATIVE = [
    "在长征路上，红军吃了很多苦。", "爷爷讲了很多长征路上的故事。", "长征路上红军吃了很多苦。",
    "胜利路上充满了艰辛。", "胜利路上不能松懈。", "幸福路上的每一步都不容易。", "走在人生的幸福路上，要懂得感恩。",
    "每个人的幸福路不一样。", "她对幸福路的理解跟我不一样。", "劳动路上辛苦，但是值得。", "青年路上的困惑很多",
    "他追求民主路上遇到很多挫折。", "中华一路向前，势不可挡。", "他的人生就像一条体育路",
    "我们要建设一路一带的经济。",
]


@pytest.mark.parametrize("text", FIGURATIVE)
def test_an_abstract_name_walked_figuratively_names_no_place(deid, text):
    assert _places(deid, text) == []


# 一路 after an address word (在) is the road's first section, whatever verb follows; without one it stays
# "all the way" (为人民一路奔波 and 人民一路走来不容易 above).
@pytest.mark.parametrize(("text", "places"), [
    ("她在人民一路上班。", ["人民一路"]),
    ("我在建设一路开了一家店。", ["建设一路"]),
    ("他在解放一路住了十年。", ["解放一路"]),
    ("我们在胜利一路吃饭。", ["胜利一路"]),
])
def test_one_road_after_an_address_word_is_the_road_even_before_a_verb(deid, text, places):
    assert _places(deid, text) == places


# 区域 is "area": a listed district jieba cuts before 域 is no district; 老边区 is any old border area.
@pytest.mark.parametrize("text", ["绿园区域的树很多。", "这个老边区的孩子上学很难。"])
def test_a_district_name_inside_a_word_for_area_is_no_place(deid, text):
    assert _places(deid, text) == []


@pytest.mark.xfail(strict=True, reason="jieba tags 建设路 nt, which the organisation rules take (chinese_orgs)")
def test_a_way_in_life_named_after_a_listed_road_is_no_organisation_either(deid):
    assert [f.text for f in deid.find("在社会主义建设路上不断前进。", "zh")] == []


def _held_out_gap(text: str, places: list[str], reason: str):
    return pytest.param(text, places, marks=pytest.mark.xfail(strict=True, reason=reason))


_NOT_LISTED = "not on the list of common road names, and jieba reads the name as a common word"
_DISTRICT_NOT_LISTED = "a district jieba lists whole as a common noun (n), not on the list of districts"
# Written before the list, none of its names on it. 6 of 16 found by rules older than the list; 5 more by the
# address around them (chinese_framed_roads.py, added later). 在光明路上 stays: 在 before a common word is said of
# ways in life too (在创业路上). 在工業路見面 is found since meeting somewhere (见面, 集合, 下车) became a frame;
# that frame was written after this miss was seen, so this case is no longer held out.
HELD_OUT = [
    ("她家住在向阳路。", ["向阳路"]),  # 向阳路/nr: jieba lists it whole
    ("我们搬到了前进路那边。", ["前进路"]),  # the address around it (chinese_framed_roads): 搬到了
    _held_out_gap("诊所就在光明路上。", ["光明路"], _NOT_LISTED + " (光明/n)"),
    ("他每天骑车经过跃进路。", ["跃进路"]),  # 经过
    ("我老家在繁荣街。", ["繁荣街"]),  # 在, the sentence ends at the unit
    ("店开在振兴路口。", ["振兴路"]),  # 在, 口
    ("我住在博愛路。", ["博愛路"]),  # 博爱路/nr
    ("医院在育才路。", ["育才路"]),  # 育才路/ns
    ("她在新建路附近上班。", ["新建路"]),  # 新建/ns
    ("我们约在工業路見面。", ["工業路"]),  # 在, 見面 (not held out: see above)
    ("學校在自由路。", ["自由路"]),  # 在, the sentence ends at the unit
    ("我住在东升路。", ["东升路"]),  # 东升/nr
    ("他家在兴华街。", ["兴华街"]),  # 兴华/nz
    _held_out_gap("他家在平房区。", ["平房区"], _DISTRICT_NOT_LISTED),
    _held_out_gap("我们单位在港口区。", ["港口区"], _DISTRICT_NOT_LISTED),
    _held_out_gap("她在前进区上班。", ["前进区"], _DISTRICT_NOT_LISTED),
]


@pytest.mark.parametrize(("text", "places"), HELD_OUT)
def test_held_out_common_road_names_off_the_list(deid, text, places):
    assert _places(deid, text) == sorted(places)
