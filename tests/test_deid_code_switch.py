"""Code-switched English and Chinese (Singapore, Hong Kong, Malaysia): names written across the two scripts,
and everyday terms that are no identifiers (audit `mixed`, findings 2 and 3).

Finding 2: 我表妹 Rachel kept Rachel; "Dr 黄 is the only one…" kept 黄; "陈 Mei Ling" became "陈 [PERSON_1]";
"Ah Huat uncle" kept Huat; 喺深水埗 became [PLACE_1]埗. Finding 3: "Salary is too low" gave a person, "The
MRT" a place, WFH and KPI organisations, COVID mid-sentence a person, 上個禮拜 ("last week") a place, and
the file name sg_p5_admin_simplified.txt went out as sg_p5_[PERSON_10].txt.
Each sentence is read in the language the pipeline gives it (flows/tasks.py: detect_language).
"""

from __future__ import annotations

import pytest
from qualflow.pipeline.deidentify import Deidentifier, Pseudonymiser, apply_replacements, replacements_for
from qualflow.pipeline.language import detect_language
from qualflow.pipeline.redact import people_in_file_name


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def find(deid, text):
    return deid.find(text, detect_language(text))


def pseudonymised(deid, text):
    return apply_replacements(text, replacements_for(find(deid, text), Pseudonymiser()))[0]


# (sentence, what it must read after de-identification)
NAMES_ACROSS_SCRIPTS = [
    # a Latin given name after a Chinese kinship or role word
    ("我表妹 Rachel 在 bank 做，她叫我过去。", "我表妹 [PERSON_1] 在 bank 做，她叫我过去。"),
    ("有時都會搵我中學同學 Janice 食飯吹下水。", "有時都會搵我中學同學 [PERSON_1] 食飯吹下水。"),
    ("我同事Mei Ling今日放假。", "我同事[PERSON_1]今日放假。"),
    # an English title before a Chinese surname or full name; the title stays
    ("Dr 黄 is the only one who asks how we are coping.", "Dr [PERSON_1] is the only one who asks how we are coping."),
    ("Mdm 陈 always brings food for the nurses.", "Mdm [PERSON_1] always brings food for the nurses."),
    ("Dr 黄志明说今日好忙。", "Dr [PERSON_1]说今日好忙。"),
    ("Uncle 李 always says hi to me.", "Uncle [PERSON_1] always says hi to me."),
    # Singapore's and Malaysia's titles are titles: kept, after a role word too
    ("我们的校长 Puan Siti 人很好，她知道我们很辛苦。", "我们的校长 Puan [PERSON_1] 人很好，她知道我们很辛苦。"),
    ("我的 supervisor Mdm Tan 会安慰我们，但是她也很忙。", "我的 supervisor Mdm [PERSON_1] 会安慰我们，但是她也很忙。"),
    ("I asked Mdm Lee and Encik Rahman about the roster.", "I asked Mdm [PERSON_1] and Encik [PERSON_2] about the roster."),
    # a Chinese surname beside a Latin given name: replaced with it
    ("My colleague 陈 Mei Ling always helps me when the ward is too busy.",
     "My colleague [PERSON_1] always helps me when the ward is too busy."),
    ("我同事陈 Mei Ling 好好人。", "我同事[PERSON_1] 好好人。"),
    ("我好喜欢 Mei Ling 呢个人。", "我好喜欢 [PERSON_1] 呢个人。"),  # 欢 is no surname: not taken in
    # "Ah" before a name, as 阿 before a Chinese one: the name goes, "Ah" stays (as 小 of 小林)
    ("Like got one Ah Huat uncle, every time he see me he say thank you 姑娘.",
     "Like got one Ah [PERSON_1] uncle, every time he see me he say thank you 姑娘."),
    # a place jieba cuts short (深水/ns 埗): the placeholder covers the whole name
    ("好呀。我係一個 social worker，喺深水埗嘅長者中心做咗五年。",
     "好呀。我係一個 social worker，喺[PLACE_1]嘅長者中心做咗五年。"),
]


@pytest.mark.parametrize("text, expected", NAMES_ACROSS_SCRIPTS)
def test_names_written_across_scripts_are_replaced(deid, text, expected):
    assert pseudonymised(deid, text) == expected


# Words next to the same cues that are no names: they must stay.
NOT_NAMES = [
    "Nurse 白天 work 好辛苦。",  # 白 is a surname, 白天 "daytime" a word
    "Ah Ma 煮饭好好食。",  # Ah Ma: grandmother
    "Ah I see，佢话得。",
    "我同事 WhatsApp 我话今日唔使返工。",  # an app used as a verb after a role word
    "我同事 Covid 咗，要 MC 一个礼拜。",
    "我同事 Team 嘅人都好忙。",  # a word of work after a role word
    "Madam Chair, may I add one point?",  # a role after the title, as "Nurse Practitioner"
]


@pytest.mark.parametrize("text", NOT_NAMES)
def test_words_beside_the_same_cues_stay(deid, text):
    assert [f.text for f in find(deid, text) if f.kind == "PERSON"] == []


EVERYDAY_TERMS = [
    "Salary is too low, rent in the city is so high.",
    "The MRT is always crowded in the morning.",
    "WFH saves me a lot of time every week.",
    "Management only looks at KPI and never visits the ward.",
    "上個禮拜好忙，每日都要 OT。",
    "I feel exhausted, especially after COVID.",
    "We moved to a HDB flat and my CPF is all in it.",
]


@pytest.mark.parametrize("text", EVERYDAY_TERMS)
def test_everyday_terms_are_no_identifiers(deid, text):
    assert find(deid, text) == []


def test_names_beside_everyday_terms_are_still_found(deid):
    text = "My manager Mr Tan only looks at KPI, and Priya Raman says the MRT at Bishan is always full."
    found = {f.text for f in find(deid, text)}
    assert {"Tan", "Priya Raman"} <= found
    assert not found & {"KPI", "MRT"}


@pytest.mark.parametrize("name", ["sg_p5_admin_simplified.txt", "tw_p4_nurse_trad.txt", "P3_caseload_traditional.txt"])
def test_script_and_work_words_in_file_names_are_no_people(deid, name):
    assert people_in_file_name(name, lambda words: find(deid, words)) == []


def test_a_name_in_a_file_name_beside_a_script_word_is_still_found(deid):
    found = people_in_file_name("P3_mary_smith_simplified.txt", lambda words: find(deid, words))
    assert found == ["mary smith"]
