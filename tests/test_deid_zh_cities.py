"""China's prefecture-level cities by name (pipeline/deid/chinese_cities.py): jieba tags many of them as common
words (信阳/n, 合肥/n, 长沙人/n) or cuts them apart (湖/南岳/阳人), and they were missed; a city that is also an
everyday word (日照, 开封, 白银) needs a province, 市 or 是…人 around it. The sentences are invented."""

from __future__ import annotations

import pytest
from fixtures.zh_deid import found
from qualflow.pipeline.deid.chinese_cities import city_findings
from qualflow.pipeline.deid.chinese_tokens import Index, cjk_regions, tokenize
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def _places(deid: Deidentifier, text: str) -> list[str]:
    return sorted(found(deid, text, "PLACE"))


CITIES = [
    ("我是长沙人。", ["长沙"]),
    ("我是河南信阳人。", ["信阳", "河南"]),
    ("我是湖南岳阳人。", ["岳阳", "湖南"]),  # jieba: 湖/南岳/阳人
    ("我在合肥工作了十年。", ["合肥"]),
    ("我们是从大连搬来的。", ["大连"]),
    ("我老家是拉萨的。", ["拉萨"]),
    ("她是烟台人，嫁到了银川。", ["烟台", "银川"]),
    ("我是日照人。", ["日照"]),  # an everyday word (sunshine) as a demonym after 是
    ("山东日照的海很美。", ["山东", "日照"]),  # after a province
    ("他們是從桂林來的。", ["桂林"]),
]


@pytest.mark.parametrize(("text", "places"), CITIES)
def test_a_city_jieba_reads_as_a_common_word_is_found(deid, text, places):
    assert _places(deid, text) == sorted(places)


# Everyday words that are also cities, and cities inside longer words: the city rule finds nothing (other rules
# may: 大庆 and 白银 are found by jieba's tags, as before this rule).
EVERYDAY = [
    "今天日照充足。", "开封后请冷藏。", "欢迎各位来宾。", "白银价格涨了。", "祝您身体安康。", "长治久安。", "我在阿里巴巴上班。",
    "他夸下海口。", "世界大同。", "举国大庆。", "他踢中卫。", "我爱喝普洱。", "他抽玉溪。", "吃了个三明治。", "哈密瓜很甜。",
    "这是和田玉。", "做事四平八稳。", "大理石地板。", "天水一色。", "玉树临风。", "穿中山装。", "朝阳升起。", "要保定心态。",
]


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_words_that_name_cities_are_no_city(deid, text):
    deid.find(text, "zh")  # jieba set up as the detector sets it up
    index = Index(tokenize(text, cjk_regions(text)))
    assert [f.text for f in city_findings(text, index)] == []
