"""Villages named after a family (李家庄, 王家屯, 赵家堡: pipeline/deid/chinese_villages.py), which jieba took for
people or missed, and cities jieba tags as names (张家口/nr): places. The sentences are invented."""

from __future__ import annotations

import pytest
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def _found(deid: Deidentifier, text: str) -> list[tuple[str, str]]:
    return sorted((f.text, f.kind) for f in deid.find(text, "zh"))


@pytest.mark.parametrize(("text", "places"), [
    ("老家在李家庄。", ["李家庄"]),
    ("我们是王家屯的。", ["王家屯"]),
    ("他住在石家营。", ["石家营"]),
    ("我在赵家堡长大。", ["赵家堡"]),
    ("她是从刘家湾嫁过来的。", ["刘家湾"]),
    ("我在张家口工作。", ["张家口"]),
])
def test_a_village_or_city_jieba_reads_as_a_person_is_a_place(deid, text, places):
    assert _found(deid, text) == [(p, "PLACE") for p in sorted(places)]


# 国家, 大家, 专家, 我们家: the character before makes a word, or there is no surname.
@pytest.mark.parametrize("text", ["大家坡上见。", "专家台上讲话。", "我们家店小。", "他家沟通不好。", "我们回老家集合。"])
def test_a_family_word_that_is_no_village_is_left(deid, text):
    assert _found(deid, text) == []
