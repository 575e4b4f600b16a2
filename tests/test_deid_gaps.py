"""De-identification recall gaps closed after audit 10.

1. A year alone tied to a birth is a date of birth ("born in 1962", 出生于1962年, 1962年出生), as a
   quasi-identifier; other years stay ("in 2019 we changed the rota").
2. Taiwan's ROC years tied to a birth (民國85年出生) and the birth cohort 85年次.
3. Traditional script: jieba cuts each line as its Simplified form, so 臺北市大安區 is two places.
4. One name, one placeholder in a long file: a model span that runs a name into the words around
   it ("Mary Smith day") no longer becomes a second name.
5. Every Chinese word list of de-identification has its Traditional forms, from OpenCC.
"""

from __future__ import annotations

import random
import re

import pytest
from opencc import OpenCC
from qualflow.pipeline.deid import english, lexicon
from qualflow.pipeline.deidentify import Deidentifier, Pseudonymiser
from qualflow.pipeline.redact import header_person_findings, redact
from qualflow.pipeline.turns import parse_turns


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def found(deid, text, language, kind=None):
    return [f.text for f in deid.find(text, language) if kind is None or f.kind == kind]


def stored_text(deid, text, language):
    """The text as `qualflow run` stores it: the detector's findings replaced by `redact`."""
    parsed = parse_turns(text, default_participant="P1")
    return redact(text, parsed, deid.find(text, language), Pseudonymiser()).text


# --- 1 and 2: years of birth -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "year"),
    [
        ("I was born in 1962 and grew up near the coast.", "en", "1962"),
        ("I was born in '62, the year of the floods.", "en", "'62"),
        ("I was born in 62.", "en", "62"),
        ("She was born in Leeds in 1979.", "en", "1979"),
        ("My birth year is 1958.", "en", "1958"),
        ("Year of birth: 1958", "en", "1958"),
        ("我出生于1962年，在农村长大。", "zh", "1962年"),
        ("我出生於1962年，在鄉下長大。", "zh", "1962年"),
        ("我1962年出生，家里很穷。", "zh", "1962年"),
        ("我是1962年生的。", "zh", "1962年"),
        ("他生于1962年。", "zh", "1962年"),
        ("我85年出生。", "zh", "85年"),
        ("我是一九六二年出生的。", "zh", "一九六二年"),
        ("我是民國85年出生的。", "zh", "民國85年"),
        ("我是民国七十五年生的。", "zh", "民国七十五年"),
        ("我是85年次的，在台北長大。", "zh", "85年次"),
    ],
)
def test_a_year_tied_to_a_birth_is_a_date_of_birth(deid, text, language, year):
    assert found(deid, text, language, "DOB") == [year]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("In 2019 we changed the rota and it was hard.", "en"),
        ("I was born in Leeds, and in 2019 we moved.", "en"),  # another clause
        ("My birthday in 2019 was a sad one.", "en"),  # a birthday, not a birth
        ("The baby was born in 12 hours.", "en"),
        ("Most of them were born in the 1960s.", "en"),  # a decade
        ("2019年我们换了排班。", "zh"),
        ("这件事发生于2019年。", "zh"),  # 发生于 'happened in'
        ("医生于2019年离职了。", "zh"),  # 医生 + 于 'in'
        ("2019年出生率下降了。", "zh"),  # 出生率 'birth rate'
        ("我出生在农村，2019年我们搬家了。", "zh"),  # another clause
        ("民國85年我們搬家了。", "zh"),
        ("我们结婚10年了。", "zh"),
    ],
)
def test_other_years_stay(deid, text, language):
    assert found(deid, text, language, "DOB") == []


def test_a_birth_year_is_replaced_where_run_stores_the_text(deid):
    text = "P1: I was born in 1962. In 2019 we changed the rota.\nP1: 我是85年次的，2019年换了工作。\n"
    stored = stored_text(deid, text, "mixed")
    assert "1962" not in stored and "85年次" not in stored
    assert "In 2019 we changed" in stored and "2019年换了工作" in stored


# --- 3 and 5: Traditional script ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("我住在臺北市大安區，離醫院很近。", ["臺北市", "大安區"]),
        ("我住在大安區，每天騎車上班。", ["大安區"]),
        ("我老家在屏東縣潮州鎮。", ["屏東縣", "潮州鎮"]),
    ],
)
def test_taiwan_places_with_traditional_suffixes_are_places(deid, text, places):
    assert found(deid, text, "zh", "PLACE") == places


@pytest.mark.parametrize(
    "simplified",
    [
        "我住在台北市大安区，离医院很近。",
        "我女儿小红今年上小学了。",
        "我的同事欧阳晓峰帮了很多。",
        "我在台北荣民总医院工作。",
        "我们住在幸福花园3栋2单元501室。",
        "张医生说，刘主任也来了，叶护理师都在。",
    ],
)
def test_a_traditional_sentence_is_found_as_its_simplified_form_is(deid, simplified):
    traditional = OpenCC("s2tw").convert(simplified)
    assert traditional != simplified
    spans = {(f.start, f.end, f.kind) for f in deid.find(simplified, "zh")}
    assert spans
    assert {(f.start, f.end, f.kind) for f in deid.find(traditional, "zh")} == spans


# Every Chinese word list used by de-identification, with the entries OpenCC converts in another
# sense than a surname's (岳 'peak' 嶽, 涂 'smear' 塗; see lexicon.py) left as written.
CONVERTED_LISTS = {
    "COMPOUND_SURNAMES": lexicon.COMPOUND_SURNAMES,
    "MORE_SURNAMES": lexicon.MORE_SURNAMES - set("岳涂"),
    "TRANSLITERATION_CHARS": lexicon.TRANSLITERATION_CHARS,
    "ZH_RELATION_WORDS": lexicon.ZH_RELATION_WORDS,
    "ZH_GENERIC_ORGS": lexicon.ZH_GENERIC_ORGS,
    "ZH_ORG_DESCRIPTORS": lexicon.ZH_ORG_DESCRIPTORS,
    "ZH_ORG_SUFFIXES": frozenset(lexicon.ZH_ORG_SUFFIXES),
    "ZH_PLACE_SUFFIXES": frozenset(lexicon.ZH_PLACE_SUFFIXES),
    "ZH_ADMIN_SUFFIXES": frozenset(lexicon.ZH_ADMIN_SUFFIXES),
    "ZH_ESTATE_SUFFIXES": frozenset(lexicon.ZH_ESTATE_SUFFIXES),
    "ZH_STREET_SUFFIXES": frozenset(lexicon.ZH_STREET_SUFFIXES),
}


@pytest.mark.parametrize("name", sorted(CONVERTED_LISTS))
def test_every_word_list_has_its_opencc_forms(name):
    words = CONVERTED_LISTS[name]
    forms = {word: {OpenCC(c).convert(word) for c in ("s2t", "s2tw", "s2hk")} for word in words}
    assert {word: missing for word, f in forms.items() if (missing := f - words)} == {}


def test_suffixes_are_tried_longest_first_and_surnames_kept_as_written():
    for suffixes in (lexicon.ZH_ORG_SUFFIXES, lexicon.ZH_PLACE_SUFFIXES, lexicon.ZH_ADMIN_SUFFIXES,
                     lexicon.ZH_ESTATE_SUFFIXES, lexicon.ZH_STREET_SUFFIXES):
        assert [len(s) for s in suffixes] == sorted((len(s) for s in suffixes), reverse=True)
    assert {"區", "縣", "鄉", "鎮", "開發區"} <= set(lexicon.ZH_PLACE_SUFFIXES)
    assert {"岳", "涂", "莊", "歐陽", "司馬"} <= lexicon.SURNAMES | lexicon.COMPOUND_SURNAMES
    assert not {"嶽", "塗"} & lexicon.SURNAMES


# --- 4: one name, one placeholder in a long file -----------------------------------------------

FILLER = "the community nurse said that the work is hard and tiring every day because it is".split()
# Contexts in which the small English model runs a name into the words around it.
SLIPS = ["to nurse {} day said day is", "every week the the {} and because", "after visits the she {} the and week"]
BY_LENGTH = {1: "a", 2: "so", 3: "the", 4: "work", 5: "hard", 6: "tiring", 7: "because", 8: "visiting", 9: "community"}


def pad_to(words: list[str], position: int, rng: random.Random) -> None:
    """Filler words, so that the next word (after a space) starts at `position`."""
    while (gap := position - len(" ".join(words)) - 1) > 0:
        if gap > 10:
            words.append(rng.choice(FILLER))
        elif gap >= 2:
            words.append(BY_LENGTH[gap - 1])
        else:
            words[-1] += "s"


def long_line(name: str, seed: int = 7) -> str:
    """About 60,000 characters of unpunctuated talk on one line, `name` in it every ~90 words, in
    contexts where the model slips, and placed so that NER chunk cuts (after the last space before
    each NER_CHUNK_CHARS) fall inside the name and right before it, in turn."""
    rng = random.Random(seed)
    first = name.split()[0]
    words, cuts = ["P1:"], 0
    while cuts < 6:
        next_cut = (cuts + 1) * english.NER_CHUNK_CHARS
        if len(" ".join(words)) + 600 < next_cut:
            words += rng.choices(FILLER, k=88)
            words.append(rng.choice(SLIPS).format(name) if rng.random() < 0.3 else name)
            continue
        pad_to(words, next_cut - (len(first) + 1 if cuts % 2 == 0 else 0), rng)
        words.append(name)
        cuts += 1
    return " ".join(words + rng.choices(FILLER, k=300))


@pytest.mark.parametrize("name", ["Mary Smith", "Aisha Khan", "Rebecca Hargreaves"])
def test_a_name_in_a_long_line_gets_one_placeholder(deid, name):
    line = long_line(name)
    own_starts = [own_start for _, _, own_start, _ in english.ner_chunks(line)][1:]
    first = name.split()[0]
    assert any(line[at - len(first) - 1 : at] == first + " " for at in own_starts)  # a cut inside the name
    assert any(line.startswith(name, at) for at in own_starts)  # a cut right before it
    stored = stored_text(deid, line + "\n", "en")
    assert name.split()[-1] not in stored
    assert set(re.findall(r"\[[A-Z]+_\d+\]", stored)) == {"[PERSON_1]"}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("e hard to it to that to nurse Mary Smith day said day is nurse the the aga", "Mary Smith"),
        ("hard day we so every week the the Mary Smith and because so see me hard wo", "Mary Smith"),
        ("about visits after visits the she Rebecca Hargreaves the and week again tiring", "Rebecca Hargreaves"),
    ],
)
def test_a_model_span_is_cut_to_the_name_it_holds(deid, text, name):
    # Once alone, once where the model runs it into the words around it: the same span both times.
    findings = [f.text for f in deid.find(f"{name} called.\n{text}", "en")]
    assert findings == [name, name]


def test_name_particles_and_organisations_keep_their_words(deid):
    text = "I met Anna van der Berg and Mr de Souza at the University of Leeds."
    assert found(deid, text, "en") == ["Anna van der Berg", "de Souza", "University of Leeds"]


def test_traditional_header_keys_that_name_a_person():
    text = "# 記錄員：林美玲\n# 轉錄人：王小明\n受訪者：我們開始吧。\n"
    assert [f.text for f in header_person_findings(text)] == ["林美玲", "王小明"]
