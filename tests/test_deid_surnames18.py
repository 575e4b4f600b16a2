"""Surnames before a Chinese title in code-switched talk (README's known gap, session 18): `Kong 医生` and
`Fernandez 医生` kept the surname. Kong (江, 鄺) was listed but stopped as half of "Hong Kong"; Fernandez,
like the other Filipino, Portuguese, Eurasian, English, Indian and Malay names of Singapore, Malaysia and
Hong Kong, was on no list (lexicon.NON_CHINESE_SURNAMES now). Words that say which kind of teacher or doctor
must stay, and so must Hong Kong. Each sentence is read in the language the pipeline gives it, as in
test_deid_code_switch.
"""

from __future__ import annotations

import pytest
from qualflow.pipeline.deid.chinese_tokens import Index
from qualflow.pipeline.deid.code_switch import code_switch_findings
from test_deid_code_switch import deid, find, pseudonymised  # noqa: F401 (deid is a fixture)

# Cantonese, Hokkien, Teochew, Hakka and Pinyin forms that were missing or stopped (Kong, Hong), then
# Filipino, Portuguese, English, Indian and Malay names.
SURNAMES = [
    "Kong", "Hong", "Poon", "Hung", "Koo", "Ip", "Chau", "Yim", "Szeto", "Kuah", "Cheah", "Chang", "Feng",
    "Fernandez", "Santos", "Reyes", "Cruz", "Mendoza", "Bautista", "Pereira", "Rodrigues", "Smith",
    "Sharma", "Patel", "Ahmad", "Siti", "Ismail",
]


@pytest.mark.parametrize("surname", SURNAMES)
@pytest.mark.parametrize("title", ["医生", "醫生", "老师", "姑娘", "太太"])
def test_a_surname_before_a_chinese_title_is_replaced_and_the_title_stays(deid, surname, title):
    assert pseudonymised(deid, f"我每个礼拜都见 {surname} {title}。") == f"我每个礼拜都见 [PERSON_1] {title}。"


# The two sentences of the brief, word for word.
@pytest.mark.parametrize("text, expected", [
    ("我去看 Kong 医生。", "我去看 [PERSON_1] 医生。"),
    ("Fernandez 医生说要复诊。", "[PERSON_1] 医生说要复诊。"),
])
def test_kong_and_fernandez_before_a_title_are_persons(deid, text, expected):
    assert pseudonymised(deid, text) == expected


# Names with a particle, an apostrophe or a hyphen: replaced whole, so no part of them is left.
@pytest.mark.parametrize("text, name", [
    ("我个 Ana dela Cruz 姑娘好好人。", "Ana dela Cruz"),
    ("Siti binti Ahmad 老师教我们马来文。", "Siti binti Ahmad"),
    ("Kumar a/l Muthu 医生说要开刀。", "Kumar a/l Muthu"),
    ("D'Souza 医生说要复诊。", "D'Souza"),
    ("D’Souza 醫生話要覆診。", "D’Souza"),
    ("我见咗 Sze-To 姑娘。", "Sze-To"),
])
def test_a_name_with_a_particle_apostrophe_or_hyphen_is_replaced_whole(deid, text, name):
    assert [f.text for f in find(deid, text) if f.kind == "PERSON"] == [name]


# A word that says which kind of teacher, doctor or nurse, or slang, beside a surname before the same title:
# the kind stays, the surname goes. (Gong is Singlish for stupid; Young a young teacher; GP and Locum kinds.)
KIND_AND_SURNAME = [
    ("English", "老师", "Fernandez"), ("Kindy", "老师", "Santos"), ("Chemo", "护士", "Reyes"),
    ("Uni", "老师", "Bautista"), ("Paiseh", "医生", "Kong"), ("Chinese", "老师", "Pereira"),
    ("Math", "老师", "Sharma"), ("Piano", "老师", "Chau"), ("Yoga", "老师", "Ahmad"), ("Band", "老师", "Smith"),
    ("Form", "老师", "Hung"), ("Art", "老师", "Mendoza"), ("Ward", "护士", "Poon"), ("Ortho", "醫生", "Ip"),
    ("GP", "医生", "Patel"), ("Locum", "医生", "Koo"), ("Gong", "医生", "Szeto"), ("Young", "老师", "Siti"),
]


@pytest.mark.parametrize("kind, title, surname", KIND_AND_SURNAME)
def test_a_kind_before_a_title_stays_beside_a_surname_that_goes(deid, kind, title, surname):
    text = f"我个 {kind} {title}同 {surname} {title}都好好人。"
    assert pseudonymised(deid, text) == f"我个 {kind} {title}同 [PERSON_1] {title}都好好人。"


# Hong (洪) and Kong alone are surnames; Hong Kong before a title is the city (a Hong Kong doctor), found as
# a place, and stays a place when Kong is a person elsewhere in the text.
@pytest.mark.parametrize("text, expected", [
    ("Hong Kong 医生同 Kong 医生唔同嘅。", "[PLACE_1] 医生同 [PERSON_1] 医生唔同嘅。"),
    ("我去看 Kong 医生，佢喺 Hong Kong 读书。", "我去看 [PERSON_1] 医生，佢喺 [PLACE_1] 读书。"),
    ("Hong 老师以前喺 Hong Kong 教书。", "[PERSON_1] 老师以前喺 [PLACE_1] 教书。"),
])
def test_hong_kong_before_a_title_is_the_city_and_kong_alone_a_surname(deid, text, expected):
    assert pseudonymised(deid, text) == expected


# A capitalised particle opens the surname (De Souza, Del Rosario, Dela Cruz): replaced with it, by the
# code-switch rule alone too; an English word before it is no part of the name (Ask De Souza), as it is before
# a lower-case particle (Joy dela Cruz). Chinese given names ending in Da, De or Bin stay as they were.
@pytest.mark.parametrize("text, name", [
    ("Del Rosario 姑娘 speaks Tagalog.", "Del Rosario"),
    ("我去看 De Souza 医生。", "De Souza"),
    ("我屋企个 Dela Cruz 姑娘好勤力。", "Dela Cruz"),
    ("Dos Santos 医生话我冇事。", "Dos Santos"),
    ("我去看 Ming Da 老师。", "Ming Da"), ("Jian De 医生说要复诊。", "Jian De"), ("Ah Bin 医生说要复诊。", "Ah Bin"),
])
def test_a_capitalised_particle_is_replaced_with_the_surname(deid, text, name):
    assert [f.text for f in find(deid, text) if f.kind == "PERSON"] == [name]


@pytest.mark.parametrize("text, names", [
    ("De Souza 医生", ["De Souza"]),
    ("Dela Cruz 姑娘", ["Dela Cruz"]),
    ("Del Rosario 姑娘", ["Del Rosario"]),
    ("Ask De Souza 医生", ["De Souza"]),
    ("Ask de Souza 医生", ["Ask de Souza"]),
    ("Ahmad Bin Ismail 医生", ["Ahmad Bin Ismail"]),
    ("Ming Da 经理", []),
    ("Jian De 医生", []),
    ("Ah Bin 医生", ["Bin"]),
])
def test_the_code_switch_rule_alone_takes_a_capitalised_particle_before_a_name_word(text, names):
    assert [f.text for f in code_switch_findings(text, Index([]))] == names
