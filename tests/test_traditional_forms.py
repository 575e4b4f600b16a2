"""Traditional Chinese forms of the de-identification word lists come from OpenCC, as the keyword
stop words' Simplified forms do (pipeline/language.py): one converter, no hand-written table.

OpenCC's Simplified -> Traditional standard (s2t), Taiwan (s2tw) and Hong Kong (s2hk) forms are all
in the lists, since transcripts from Taiwan and Hong Kong write 裡/裏, 說/説, 峰/峯 differently.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from opencc import OpenCC
from qualflow.pipeline import language
from qualflow.pipeline.deid.lexicon import (
    COMMON_SURNAMES,
    SURNAMES,
    ZH_MODAL_VERBS,
    ZH_NOT_NAME_CHARS,
    ZH_STOP_WORDS,
    ZH_SUBJECT_PRONOUNS,
    ZH_TITLE_SET,
    ZH_TITLES,
    ZH_TOWARD_VERBS,
    with_traditional,
)
from qualflow.pipeline.deidentify import Deidentifier

# Lists every Simplified entry of which has its Traditional forms beside it.
CONVERTED_LISTS = {
    "ZH_TITLE_SET": ZH_TITLE_SET,
    "ZH_NOT_NAME_CHARS": ZH_NOT_NAME_CHARS,
    "ZH_STOP_WORDS": ZH_STOP_WORDS,
    "ZH_MODAL_VERBS": ZH_MODAL_VERBS,
    "ZH_SUBJECT_PRONOUNS": ZH_SUBJECT_PRONOUNS,
    "ZH_TOWARD_VERBS": frozenset(ZH_TOWARD_VERBS),
}


def _opencc_forms(word: str) -> set[str]:
    return {OpenCC(config).convert(word) for config in ("s2t", "s2tw", "s2hk")}


# --- Traditional forms the hand-written table missed --------------------------------------------


@pytest.mark.parametrize(
    "word",
    ["拜託", "託人", "鬍子", "衚衕", "內地", "國內", "乾女兒", "乾兒子", "小於"],
)
def test_stop_words_have_their_traditional_forms(word):
    assert word in ZH_STOP_WORDS


@pytest.mark.parametrize("word", ["城裡", "城裏", "家裡人", "家裏人", "胡說", "胡説", "高峰", "高峯"])
def test_stop_words_have_taiwan_and_hong_kong_forms(word):
    assert word in ZH_STOP_WORDS


def test_not_name_characters_have_the_hong_kong_form_of_shuo():
    assert {"说", "說", "説"} <= ZH_NOT_NAME_CHARS


@pytest.mark.parametrize("word", ["能夠", "應當", "準備", "該", "願意", "會"])
def test_modal_verbs_have_their_traditional_forms(word):
    assert word in ZH_MODAL_VERBS


@pytest.mark.parametrize("word", ["請教", "學習", "彙報", "說明", "諮詢", "反映"])
def test_toward_verbs_have_their_traditional_forms(word):
    assert word in ZH_TOWARD_VERBS


@pytest.mark.parametrize("name", sorted(CONVERTED_LISTS))
def test_every_entry_has_all_its_opencc_forms(name):
    words = CONVERTED_LISTS[name]
    missing = {word: _opencc_forms(word) - words for word in words if _opencc_forms(word) - words}
    assert not missing


def test_every_common_surname_has_its_opencc_form_but_yu_yu_fan():
    # OpenCC converts a lone character in its commonest sense: 于 'at' -> 於, 余 'surplus' -> 餘, 范
    # 'model' -> 範. As surnames they are written the same in Traditional script.
    for surname in COMMON_SURNAMES:
        if surname in "于余范":
            continue
        assert _opencc_forms(surname) <= COMMON_SURNAMES, surname
    assert {"陳", "張", "劉", "鍾", "葉", "萬", "于", "余", "范"} <= COMMON_SURNAMES
    assert not {"於", "餘", "範"} & SURNAMES


def test_titles_keep_their_shape():
    assert isinstance(ZH_TITLES, tuple)
    assert [len(title) for title in ZH_TITLES] == sorted((len(title) for title in ZH_TITLES), reverse=True)
    assert ZH_TITLE_SET == frozenset(ZH_TITLES)
    assert {"醫師", "護理師", "護士長", "專幹", "幹事", "大爺", "總"} <= ZH_TITLE_SET


def test_with_traditional_gives_a_frozenset_of_the_words_and_their_forms():
    assert with_traditional(["头发", "里面"]) == frozenset({"头发", "頭髮", "里面", "裏面", "裡面"})
    assert with_traditional("说") == frozenset("说說説")
    assert with_traditional([]) == frozenset()


# --- one converter, created lazily --------------------------------------------------------------


def test_one_cached_converter_serves_both_directions():
    from qualflow.pipeline import chinese_script

    assert chinese_script.opencc_converter("t2s") is chinese_script.opencc_converter("t2s")
    assert language.to_simplified is chinese_script.to_simplified
    assert language.to_simplified("我們說東西") == "我们说东西"
    assert chinese_script.traditional_forms("东西") == frozenset({"東西"})
    assert chinese_script.traditional_forms("里") == frozenset({"裏", "裡"})


def test_importing_the_lexicon_loads_neither_spacy_nor_a_hand_table():
    # How long the import takes is measured by benchmarks/response_times.py; here, what it must not load.
    code = (
        "import sys; import qualflow.pipeline.deid.lexicon as lexicon; "
        "assert 'spacy' not in sys.modules, 'lexicon pulled in spaCy'; "
        "assert 'torch' not in sys.modules, 'lexicon pulled in torch'; "
        "assert not hasattr(lexicon, '_TRADITIONAL')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# --- what a Traditional transcript shows ---------------------------------------------------------


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("我们要向老师学习。", "我們要向老師學習。"),
        ("我会向医生说明。", "我會向醫生說明。"),
        ("我们应当向医生反映。", "我們應當向醫生反映。"),
        ("我能够向老师学习。", "我能夠向老師學習。"),
        ("你该向医生说明情况。", "你該向醫生說明情況。"),
    ],
)
def test_xiang_before_a_title_is_a_preposition_in_either_script(deid, simplified, traditional):
    # jieba cuts some Traditional verbs in two (請/教, 彙/報), so 向老師請教 is not helped by the list.
    assert [f.text for f in deid.find(simplified, "zh") if f.kind == "PERSON"] == []
    assert [f.text for f in deid.find(traditional, "zh") if f.kind == "PERSON"] == []


def test_traditional_surnames_before_titles_are_still_found(deid):
    text = "陳醫師說，余醫生也來了，范老師和葉護理師都在。"
    assert [f.text for f in deid.find(text, "zh") if f.kind == "PERSON"] == ["陳", "余", "范", "葉"]
