"""De-identification: patterns, titles, user lists, pseudonyms, offset mapping, fixture recall."""

from __future__ import annotations

import importlib.util
import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qualflow.pipeline.config import DeidentifyConfig
from qualflow.pipeline.deid.findings import resolve_overlaps
from qualflow.pipeline.deid.patterns import id_checksum_ok, nhs_number_ok
from qualflow.pipeline.deidentify import (
    Deidentifier,
    Finding,
    Pseudonymiser,
    apply_replacements,
    replacements_for,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def texts(findings, kind=None):
    return [f.text for f in findings if kind is None or f.kind == kind]


# --- patterns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, email",
    [
        ("She e-mailed me from abena.osei84@examplemail.co.uk, which I forwarded.", "abena.osei84@examplemail.co.uk"),
        ("Write to duty.team@nhs-example.org.", "duty.team@nhs-example.org"),
        ("她的邮箱是ouyanghm1962@example-mail.cn。", "ouyanghm1962@example-mail.cn"),
    ],
)
def test_email(deid, text, email):
    assert texts(deid.find(text, "mixed"), "EMAIL") == [email]


@pytest.mark.parametrize(
    "text, phone",
    [
        ("有事打他电话13812345678就行。", "13812345678"),
        ("她的手机，+86 139-1024-7788，随时联系。", "+86 139-1024-7788"),
        ("手机号 139 1024 7788。", "139 1024 7788"),
        ("中心电话010-62345678找我。", "010-62345678"),
        ("街道的电话（025）83456789一直占线。", "（025）83456789"),
        ("Call the office on (0113) 496 0815 any time.", "(0113) 496 0815"),
        ("Her number is 07700 900461, she said.", "07700 900461"),
        ("The London line is +44 20 7946 0958 now.", "+44 20 7946 0958"),
        ("My mobile is +44 7700 900123 or the office.", "+44 7700 900123"),
        ("Text me on 020 7946 0958 please.", "020 7946 0958"),
        ("She texts me from (503) 555-0147 sometimes.", "(503) 555-0147"),
        ("Or ring 503-555-0147 after five.", "503-555-0147"),
    ],
)
def test_phone(deid, text, phone):
    assert texts(deid.find(text, "mixed"), "PHONE") == [phone]


@pytest.mark.parametrize(
    "text",
    [
        "I started in 2009 and restructured in 2019 and again in 2023.",
        "The waiting list is over 2,400 and we did 140 visits, 1 in 4 urgent.",
        "Between 2010-2015 things were better; the meeting is at 10:30.",
        "He was admitted on 14/02/2020 and discharged on 2020-03-01.",
        "在册的有一百四十多个，2018年确诊，每年随访4次，12345678是档案编号。",
        "Reference 12345678 and case 20231104 are on file.",
    ],
)
def test_years_counts_and_dates_are_not_phones(deid, text):
    found = deid.find(text, "mixed")
    assert not [f for f in found if f.kind in ("PHONE", "ID")], found


def test_resident_id_with_valid_checksum(deid):
    assert id_checksum_ok("110108197811230023") and id_checksum_ok("11010519491231002X")
    found = deid.find("身份证号是110108197811230023，另一个是11010519491231002x。", "zh")
    assert texts(found, "ID") == ["110108197811230023", "11010519491231002x"]


def test_resident_id_with_wrong_checksum_is_not_an_id(deid):
    assert not id_checksum_ok("110108197811230024")
    found = deid.find("这个号码110108197811230024不对，110108197811230023才对。", "zh")
    assert texts(found, "ID") == ["110108197811230023"]


def test_old_fifteen_digit_id_needs_a_real_date(deid):
    found = deid.find("旧身份证110105491231002，另一个110105491331002。", "zh")
    assert texts(found, "ID") == ["110105491231002"]  # month 13 is not a date


def test_nhs_number_needs_its_checksum(deid):
    assert nhs_number_ok("943 476 5919") and not nhs_number_ok("943 476 5918")
    assert texts(deid.find("His NHS number, 943 476 5919, is on the form.", "en"), "ID") == ["943 476 5919"]
    assert texts(deid.find("His NHS number, 943 476 5918, is on the form.", "en"), "ID") == []


def test_signalled_account_ids(deid):
    assert texts(deid.find("我加了他的微信，微信号是xuym_sh2019，有问题就问他。", "zh"), "ID") == ["xuym_sh2019"]
    assert texts(deid.find("WeChat is how we talk; it's great.", "en"), "ID") == []


@pytest.mark.parametrize(
    "text, language, dob",
    [
        ("He was born on 3 May 1984 in a small town.", "en", "3 May 1984"),
        ("Date of birth: 1984-05-03, it says.", "en", "1984-05-03"),
        ("DOB 03/05/1984 on every page.", "en", "03/05/1984"),
        ("She was born on May 3rd, 1984.", "en", "May 3rd, 1984"),
        ("His date of birth is on every single page, 14/02/1957, and we still get it wrong.", "en", "14/02/1957"),
        ("他出生于1984年5月3日，在农村长大。", "zh", "1984年5月3日"),
        ("出生日期：1984-05-03，还要填身份证号。", "zh", "1984-05-03"),
        ("她生日是1951年3月8日，每年都过。", "zh", "1951年3月8日"),
        ("我女儿的生日是3月12日。", "zh", "3月12日"),
        ("他生于一九四六年十月二日。", "zh", "一九四六年十月二日"),
        # A birth year narrows down who someone is (tests/test_deid_gaps.py has more).
        ("I was born in 1984, so I remember the miners' strike.", "en", "1984"),
        ("我是1978年出生的，做这行八年了。", "zh", "1978年"),
    ],
)
def test_dates_of_birth(deid, text, language, dob):
    assert texts(deid.find(text, language), "DOB") == [dob]


@pytest.mark.parametrize(
    "text, language",
    [
        ("We met on 3 May 2024 and again on 2024-06-01.", "en"),
        ("In 1984 we moved, the year of the miners' strike.", "en"),  # a year no birth is tied to
        ("访谈日期：2026年4月2日，地点在会议室。", "zh"),
        ("1978年我们搬到这里，做这行八年了。", "zh"),
    ],
)
def test_other_dates_are_kept(deid, text, language):
    assert texts(deid.find(text, language), "DOB") == []


# --- English names, titles, labels -----------------------------------------------------------


def test_english_titles_keep_the_title(deid):
    text = "I spoke to Dr. Ruth Bellamy and then Mr Osei, and Mrs. Halloran, who retired."
    people = texts(deid.find(text, "en"), "PERSON")
    assert "Ruth Bellamy" in people and "Osei" in people and "Halloran" in people
    assert not any(p.startswith(("Dr", "Mr", "Mrs")) for p in people)


def test_english_title_rule_alone(deid):
    from qualflow.pipeline.deid.english import title_findings

    text = "We saw Prof Kwame Asante on Monday and a guy called Imran. I miss Tuesday. Dr The"
    assert [f.text for f in title_findings(text)] == ["Kwame Asante", "Imran"]


@pytest.mark.parametrize(
    "text, people",
    [
        ("Mr de Souza rang the ward.", ["de Souza"]),
        ("My GP, Dr Anna van der Berg, was kind.", ["Anna van der Berg"]),
        ("Nurse di Stefano was on shift.", ["di Stefano"]),
        ("Dr Patel said de nada.", ["Patel"]),  # a particle with no capitalised word after it is no name
    ],
)
def test_lowercase_surname_particles_after_a_title_are_part_of_the_name(text, people):
    from qualflow.pipeline.deid.english import title_findings

    assert [f.text for f in title_findings(text)] == people


def test_a_surname_with_particles_is_replaced_whole(deid):
    text = "Mr de Souza came at nine and I rang de Souza again."
    people = [f for f in deid.find(text, "en") if f.kind == "PERSON"]
    mentions = [m.start() for m in re.finditer("de Souza", text)]
    assert len(mentions) == 2
    # Each mention is inside a person finding (the model may take a word before it too).
    assert all(any(f.start <= m and m + len("de Souza") <= f.end for f in people) for m in mentions)


def test_speaker_labels_and_pronouns_are_not_names(deid):
    text = "Interviewer: What happened then?\n\nP3: She told me. Participant said no.\nI: And you?\nR: Me neither."
    assert deid.find(text, "en") == []


def test_english_ner_places_and_organisations(deid):
    found = deid.find("I work for Leeds City Council and I moved here from Lagos in 2009.", "en")
    assert ("Leeds City Council", "ORG") in [(f.text, f.kind) for f in found]
    assert ("Lagos", "PLACE") in [(f.text, f.kind) for f in found]
    assert "2009" not in texts(found)


def test_a_name_found_once_is_found_everywhere(deid):
    text = "My manager is Deborah Finch. Later Deborah rang me, and Finch agreed."
    found = deid.find(text, "en")
    assert texts(found, "PERSON") == ["Deborah Finch", "Deborah", "Finch"]


@pytest.mark.parametrize(
    "text, people",
    [
        ("My daughter Emily came home late.", ["Emily"]),
        ("I told my mum and my friend Priya about it.", ["Priya"]),
        ("My brother-in-law Dave and our neighbour Doreen Walsh helped.", ["Dave", "Doreen Walsh"]),
        ("her husband Tom said the nurse Bernadette was kind", ["Tom", "Bernadette"]),
        ("His teacher Miss Okonkwo-Bright says so.", ["Okonkwo-Bright"]),  # the title stays
    ],
)
def test_english_name_after_a_relationship_word(text, people):
    from qualflow.pipeline.deid.english import title_findings

    assert [(f.text, f.kind) for f in title_findings(text)] == [(p, "PERSON") for p in people]


@pytest.mark.parametrize(
    "text",
    [
        "my son Then he went out",
        "my mum And I argued about it",
        "my friend I trust, my sister Monday mornings",
        "my dad Yes he was there, my partner Actually no",
        "my doctor NHS letter, my boss Psychiatrist",
    ],
)
def test_common_words_after_a_relationship_word_are_not_names(deid, text):
    from qualflow.pipeline.deid.english import title_findings

    assert title_findings(text) == []
    assert texts(deid.find(text, "en"), "PERSON") == []


@pytest.mark.parametrize(
    "text, people",
    [
        ("I saw Mr McDonald.", ["McDonald"]),
        ("Then Dr MacLeod came in.", ["MacLeod"]),
        ("Mrs O'Brien and Dr D'Souza were there.", ["O'Brien", "D'Souza"]),
        ("Mr DeShawn Hill said so.", ["DeShawn Hill"]),
        ("Dr MacLeod-Smith and Miss Okonkwo-Bright agreed.", ["MacLeod-Smith", "Okonkwo-Bright"]),
        ("a support worker called McKenzie rang", ["McKenzie"]),
        ("a guy known as DeAndre turned up", ["DeAndre"]),
        ("my friend DeShawn came and my nurse McCall stayed", ["DeShawn", "McCall"]),
    ],
)
def test_names_with_inner_capitals_are_taken_whole(text, people):
    from qualflow.pipeline.deid.english import title_findings

    assert [(f.text, f.kind) for f in title_findings(text)] == [(p, "PERSON") for p in people]


@pytest.mark.parametrize(
    "text",
    [
        "I saw Dr NHS staff.",
        "Dr GP letters, Nurse ICU beds, Dr A&E waits.",
        "a man called NHS Direct, my doctor GP surgery",
        "Dr ENT referral, Nurse RMN training, Professor OBE, Dr NO",  # acronyms and common words
        "Dr SAYS NO, Nurse JONES WAS RIGHT",  # a run of capitals is shouting or an acronym: left alone
        "my PC CRASHED again",  # PC and DC are acronyms too: no capitals rule after them
    ],
)
def test_acronym_after_a_title_is_not_a_name(text):
    from qualflow.pipeline.deid.english import title_findings

    assert title_findings(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Dr SMITH said it was fine.", "SMITH"),
        ("Then Dr McDONALD came in.", "McDONALD"),
        ("I asked Professor Anna KOWALSKA.", "Anna KOWALSKA"),
        ("Nurse O'BRIEN's shift, Sister LI and Dr JOHN SMITH too.", "O'BRIEN"),
        ("Dr LI rang.", "LI"),
        ("Dr JOHN SMITH said no.", "JOHN SMITH"),
    ],
)
def test_a_surname_in_capitals_after_any_title_is_a_name(text, name):
    from qualflow.pipeline.deid.english import title_findings

    assert name in [f.text for f in title_findings(text)]


def test_dr_smith_in_capitals_gets_the_placeholder_smith_already_has(deid):
    names = Pseudonymiser({("PERSON", "smith"): "[PERSON_4]", ("PERSON", "anna"): "[PERSON_5]"})
    text = "Dr SMITH said the ward was full."
    new_text, _ = apply_replacements(text, replacements_for(deid.find(text, "en"), names))
    assert new_text == "Dr [PERSON_4] said the ward was full."
    new_text, _ = apply_replacements("Then Dr Smith came.", replacements_for(deid.find("Then Dr Smith came.", "en"), names))
    assert new_text == "Then Dr [PERSON_4] came."


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I spoke to Mr SMITH about it.", "SMITH"),
        ("Then Mrs Jane O'BRIEN came in.", "Jane O'BRIEN"),
        ("Ms ADEYEMI-COLE rang.", "ADEYEMI-COLE"),
        ("Dr Émile Zola wrote back.", "Émile Zola"),
        ("We met Mr Øyvind Berg.", "Øyvind Berg"),
    ],
)
def test_capitalised_surnames_after_an_honorific_and_accented_names_are_names(text, name):
    from qualflow.pipeline.deid.english import title_findings

    assert name in [f.text for f in title_findings(text)]


def test_a_given_name_and_a_capitalised_surname_are_replaced_together(deid):
    text = "Mr John SMITH said he would call."
    new_text, _ = apply_replacements(text, replacements_for(deid.find(text, "en"), Pseudonymiser()))
    assert "SMITH" not in new_text and "John" not in new_text, new_text


_WORD_CHAR = re.compile(r"[\w&]")


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.sampled_from(
            ["Mr", "Dr.", "Sister", "my son", "a man called", "known as", "McDonald", "NHS", "GP", "A&E", "O'Brien",
             "DeShawn", "Okonkwo-Bright", "Mc", "Donald", "ICU", "van", "der", "Berg", "Ann", "Lee2", "said", "Then"]
        ),
        max_size=8,
    ),
    st.lists(st.sampled_from([" ", " ", "", "'", "-", ".", ", ", "\n"]), min_size=8, max_size=8),
)
def test_title_rule_findings_never_end_inside_a_word(words, seps):
    from qualflow.pipeline.deid.english import title_findings

    text = "".join(w + s for w, s in zip(words, seps))
    for f in title_findings(text):
        assert text[f.start : f.end] == f.text
        assert f.end == len(text) or not (_WORD_CHAR.match(text, f.end) or re.match(r"['’\-]\w", text[f.end :])), (text, f)
        assert f.start == 0 or not _WORD_CHAR.match(text, f.start - 1), (text, f)


@pytest.mark.parametrize(
    "text, surname, rest",
    [
        ("Mr McDonald said", "McDonald", "Donald"),
        ("and Mr McCall goes no", "McCall", "Call"),  # spaCy misses these: the title rule alone
        ("Dr McCall rang back", "McCall", "Call"),
        ("Nurse DiMaggio was lovely", "DiMaggio", "Maggio"),
    ],
)
def test_surname_after_a_title_is_replaced_whole(deid, text, surname, rest):
    found = deid.find(text, "en")
    assert surname in texts(found, "PERSON")
    new_text, _ = apply_replacements(text, replacements_for(found, Pseudonymiser()))
    assert rest not in new_text and new_text.split()[text.split().index(surname)] == "[PERSON_1]", new_text


@pytest.mark.parametrize("text", ["I rang Mr Ngata’s office, and later Ngata rang back.",
                                  "My friend Tavita's mum said Tavita was fine."])
def test_a_possessive_name_and_the_bare_name_get_one_placeholder(deid, text):
    found = deid.find(text, "en")
    new_text, _ = apply_replacements(text, replacements_for(found, Pseudonymiser()))
    assert "Ngata" not in new_text and "Tavita" not in new_text, new_text
    assert new_text.count("[PERSON_1]") == 2 and "[PERSON_2]" not in new_text, new_text


def test_name_after_a_relationship_word_is_replaced_everywhere(deid):
    found = deid.find("My daughter Emily came home. Emily was tired.", "en")
    assert texts(found, "PERSON") == ["Emily", "Emily"]


# --- Chinese names, titles -------------------------------------------------------------------


def test_chinese_title_rules_replace_the_surname_only(deid):
    text = "王医生说让李主任来，周阿姨也在，小林和老张都同意了。"
    found = deid.find(text, "zh")
    assert [(f.text, f.source) for f in found] == [(s, "title-rule") for s in ["王", "李", "周", "林", "张"]]
    new_text, _ = apply_replacements(text, replacements_for(found, Pseudonymiser()))
    assert new_text == "[PERSON_1]医生说让[PERSON_2]主任来，[PERSON_3]阿姨也在，小[PERSON_4]和老[PERSON_5]都同意了。"


def test_chinese_surname_after_xing_and_compound_surnames(deid):
    found = deid.find("片区民警姓贺，患者姓欧阳，大家叫他老欧阳。", "zh")
    assert texts(found, "PERSON") == ["贺", "欧阳", "欧阳"]


def test_chinese_full_names(deid):
    found = deid.find("我们中心主任叫郑丽萍。马建军的妈妈很配合，徐一鸣教授讲课，司马晓峰调走了。", "zh")
    assert texts(found, "PERSON") == ["郑丽萍", "马建军", "徐一鸣", "司马晓峰"]


def test_foreign_name_in_chinese(deid):
    assert texts(deid.find("英国来的研究员叫艾米丽·沃森。", "zh"), "PERSON") == ["艾米丽·沃森"]


@pytest.mark.parametrize(
    "text, name",
    [
        ("我女儿小红昨天回来了。", "小红"),
        ("我闺女婷婷很懂事。", "婷婷"),
        ("我妈妈秀英身体不好。", "秀英"),
        ("我老婆春梅说了算。", "春梅"),
    ],
)
def test_chinese_given_name_after_a_relationship_word(deid, text, name):
    assert texts(deid.find(text, "zh"), "PERSON") == [name]


@pytest.mark.parametrize(
    "text, people",
    [
        ("我儿子明明知道还去。", []),
        ("我女儿小时候很乖，我老公小气得很。", []),
        ("我爱人小王和我老公王强都来了。", ["王", "王强"]),  # 小王 stays 小[PERSON], as the title rule gives
    ],
)
def test_words_after_a_chinese_relationship_word_are_not_always_names(deid, text, people):
    assert texts(deid.find(text, "zh"), "PERSON") == people


@pytest.mark.parametrize(
    "text",
    [
        "说实话，看到病人好转了，我也挺高兴的，她也明白了。",
        "他老是不吃药，年龄小于十八岁的要转诊。",
        "我们跟老师请教过，也向医生反映过，手机上的小程序不好用。",
        "家里人不理解，老公和孙子都说我太累，病人康复了我就放心。",
        "我们这行的老毛病就是人手不够，老方法也不管用了，钱不多。",
    ],
)
def test_common_chinese_words_are_not_names(deid, text):
    assert deid.find(text, "zh") == []


def test_chinese_places_and_organisations(deid):
    found = deid.find("他住在海淀区，后来考到朝阳区疾控中心，女儿在北京大学读书。", "zh")
    pairs = [(f.text, f.kind) for f in found]
    assert ("海淀区", "PLACE") in pairs and ("朝阳区疾控中心", "ORG") in pairs and ("北京大学", "ORG") in pairs


def test_generic_institutions_are_not_organisations(deid):
    assert deid.find("有事先找派出所和居委会，严重的送人民医院或者精神专科医院。", "zh") == []


def test_mixed_language_runs_both(deid):
    found = deid.find("我跟 Dr Patel 说了，王医生也同意，email是 a.patel@example.org。", "mixed")
    assert texts(found) == ["Patel", "王", "a.patel@example.org"]


# --- user lists, keep list, config -----------------------------------------------------------


def test_user_lists_match_whole_english_words_case_insensitively(jieba_cache):
    config = DeidentifyConfig(names=["Kerry"], places=["Riverside"], organisations=["云帆科技"])
    found = Deidentifier(config, cache_dir=jieba_cache).find(
        "kerry and the riverside team, not the Riversides or Kerrygold. 他在云帆科技上班。", "mixed"
    )
    assert [(f.text, f.kind, f.source) for f in found if f.source == "user-list"] == [
        ("kerry", "PERSON", "user-list"),
        ("riverside", "PLACE", "user-list"),
        ("云帆科技", "ORG", "user-list"),
    ]


def test_keep_words_are_never_replaced(jieba_cache):
    text = "I moved from Lagos to Leeds. 王医生说Excel不好用。"
    plain = Deidentifier(cache_dir=jieba_cache).find(text, "mixed")
    assert {"Lagos", "Leeds"} <= set(texts(plain))
    config = DeidentifyConfig(keep=["leeds", "王"], names=["Leeds"])
    kept = Deidentifier(config, cache_dir=jieba_cache).find(text, "mixed")
    assert "Lagos" in texts(kept) and "Leeds" not in texts(kept) and "王" not in texts(kept)


def test_disabled_finds_nothing_and_language_is_checked(jieba_cache):
    off = Deidentifier(DeidentifyConfig(enabled=False), cache_dir=jieba_cache)
    assert off.find("Call Deborah on 07700 900461.", "en") == []
    with pytest.raises(ValueError):
        off.find("text", "fr")


def test_spacy_loads_lazily_and_once(jieba_cache):
    deid = Deidentifier(cache_dir=jieba_cache)
    deid.find("王医生说了。", "zh")
    assert deid._nlp is None
    deid.find("Deborah rang.", "en")
    first = deid._nlp
    deid.find("Tomasz rang.", "en")
    assert first is not None and deid._nlp is first


def test_findings_are_sorted_non_overlapping_and_slice_the_text(deid):
    for name in ("en_names", "zh_names"):
        text = (ROOT / "tests" / "fixtures" / "deid" / f"{name}.txt").read_text("utf-8")
        found = deid.find(text, name[:2])
        assert found
        for f in found:
            assert text[f.start : f.end] == f.text
        for a, b in itertools.pairwise(found):
            assert a.end <= b.start


_FUZZ_ALPHABET = "王李小老姓叫医生主任阿姨欧阳·中心医院路号楼 Dr Mr.AnnLeeds@x.org0123456789-+()：:\n，。"


@settings(max_examples=60, deadline=None, database=None)
@given(st.text(alphabet=_FUZZ_ALPHABET, max_size=80), st.sampled_from(["en", "zh", "mixed"]))
def test_find_never_breaks_its_promises(deid, text, language):
    found = deid.find(text, language)
    for f in found:
        assert text[f.start : f.end] == f.text and f.text.strip()
    for a, b in itertools.pairwise(found):
        assert a.end <= b.start


def test_overlaps_longest_wins():
    text = "Riverside Team in Leeds"
    short = Finding(18, 23, "PLACE", "Leeds", "ner")
    long = Finding(0, 23, "ORG", text, "ner")
    other = Finding(0, 9, "PLACE", "Riverside", "user-list")
    assert resolve_overlaps([short, other, long]) == [long]
    with pytest.raises(ValueError):
        Finding(0, 3, "NAME", "abc", "ner")


# --- pseudonyms ------------------------------------------------------------------------------


def test_same_person_in_two_transcripts_gets_the_same_placeholder():
    names = Pseudonymiser()
    first = names.placeholder("PERSON", "Deborah  Finch")
    names.placeholder("PLACE", "Leeds")
    second = names.placeholder("PERSON", "deborah finch")
    assert first == second == "[PERSON_1]"
    assert names.placeholder("PERSON", "郑丽萍") == "[PERSON_2]"
    assert names.placeholder("PLACE", "Leeds") == "[PLACE_1]"
    assert names.placeholder("ORG", "Leeds") == "[ORG_1]"  # same words, other kind: its own key


def test_numbering_continues_from_an_existing_map():
    existing = {("PERSON", "deborah finch"): "[PERSON_1]", ("PERSON", "郑丽萍"): "[PERSON_7]", ("PHONE", "07700 900461"): "[PHONE_2]"}
    names = Pseudonymiser(existing)
    assert names.placeholder("PERSON", "Deborah Finch") == "[PERSON_1]"
    assert names.placeholder("PERSON", "Tomasz") == "[PERSON_8]"
    assert names.placeholder("PHONE", "0113 496 0731") == "[PHONE_3]"
    assert names.placeholder("EMAIL", "a@b.org") == "[EMAIL_1]"
    assert names.new_entries == {
        ("PERSON", "tomasz"): "[PERSON_8]",
        ("PHONE", "0113 496 0731"): "[PHONE_3]",
        ("EMAIL", "a@b.org"): "[EMAIL_1]",
    }
    # A later run that stored those entries carries on from them.
    later = Pseudonymiser({**existing, **names.new_entries})
    assert later.placeholder("PERSON", "tomasz") == "[PERSON_8]" and later.placeholder("PERSON", "Imran") == "[PERSON_9]"


# --- replacements and offsets ----------------------------------------------------------------


def test_apply_replacements_and_offsets():
    text = "Call Deborah on 07700 900461 today."
    new, offsets = apply_replacements(text, [(16, 28, "[PHONE_1]"), (5, 12, "[PERSON_1]")])
    assert new == "Call [PERSON_1] on [PHONE_1] today."
    assert offsets(0) == 0 and offsets.start(5) == 5 and offsets.end(12) == 15
    assert offsets.start(8) == 5 and offsets.end(8) == 15  # inside "Deborah"
    assert new[offsets.start(29) : offsets.end(35)] == "today."
    assert new[offsets.start(5) : offsets.end(28)] == "[PERSON_1] on [PHONE_1]"
    assert offsets.end(len(text)) == len(new)
    with pytest.raises(ValueError):
        apply_replacements(text, [(0, 10, "x"), (5, 12, "y")])
    with pytest.raises(ValueError):
        offsets.start(len(text) + 1)


@st.composite
def _text_and_replacements(draw):
    text = draw(st.text(alphabet="ab 王医生\n.", min_size=0, max_size=40))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=12)))
    spans = []
    for a, b in zip(cuts[::2], cuts[1::2]):
        if a < b and draw(st.booleans()):
            spans.append((a, b, draw(st.text(alphabet="[]XY_1", max_size=8))))
    order = draw(st.permutations(spans))
    return text, list(order)


@settings(max_examples=300, deadline=None, database=None)
@given(_text_and_replacements())
def test_apply_replacements_preserves_the_text_between_replacements(case):
    text, replacements = case
    new, offsets = apply_replacements(text, replacements)
    spans = sorted(replacements)
    kept, cursor = [], 0
    for start, end, _ in spans:
        kept.append((cursor, start))
        cursor = end
    kept.append((cursor, len(text)))
    for start, end in kept:
        assert new[offsets.start(start) : offsets.end(end)] == text[start:end]
    for start, end, replacement in spans:
        assert new[offsets.start(start) : offsets.end(end)] == replacement
        for inside in range(start + 1, end):
            assert offsets.start(inside) == offsets.start(start) and offsets.end(inside) == offsets.end(end)
    positions = [offsets.start(i) for i in range(len(text) + 1)]
    assert positions == sorted(positions) and positions[-1] == len(new)
    assert len(new) == len(text) + sum(len(r) - (e - s) for s, e, r in spans)


# --- recall on the fixtures ------------------------------------------------------------------


def _benchmark():
    spec = importlib.util.spec_from_file_location("deid_recall", ROOT / "benchmarks" / "deid_recall.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Measured on the fixtures (benchmarks/deid_recall.py), less a small margin so a regression fails.
# "names" was read while the rules were built; "heldout" was written after and never tuned on.
FLOORS = {
    ("en", "names"): {"any": 0.88, "PERSON": 0.90, "PHONE": 1.0, "EMAIL": 1.0, "ID": 1.0, "DOB": 1.0},
    ("zh", "names"): {"any": 0.90, "PERSON": 0.92, "PHONE": 1.0, "EMAIL": 1.0, "ID": 1.0, "DOB": 1.0},
    ("en", "heldout"): {"any": 0.89, "PERSON": 0.87, "PHONE": 1.0, "EMAIL": 1.0, "ID": 1.0, "DOB": 1.0},
    ("zh", "heldout"): {"any": 0.78, "PERSON": 0.84, "PHONE": 1.0, "ID": 1.0, "DOB": 1.0},
}
MIN_PRECISION_ANY = {"names": 0.95, "heldout": 0.90}
MAX_FALSE_POSITIVES = {"en": 6, "zh": 1}  # on the identifier-free negatives


@pytest.mark.parametrize("language, fixture", sorted(FLOORS))
def test_recall_on_fixture_stays_above_measured_floor(deid, language, fixture):
    bench = _benchmark()
    rows, negatives, _, _ = bench.evaluate(deid, language, fixture)
    for kind, floor in FLOORS[(language, fixture)].items():
        assert rows[kind]["recall"] >= floor, (kind, rows[kind])
    assert rows["any"]["precision"] >= MIN_PRECISION_ANY[fixture], rows["any"]
    assert sum(negatives.values()) <= MAX_FALSE_POSITIVES[language], negatives


def test_gold_annotations_are_exact():
    bench = _benchmark()
    for language, fixture in FLOORS:
        text, gold = bench.load_gold(language, fixture)
        assert len(gold) >= 30
        assert all(item["kind"] in ("PERSON", "PLACE", "ORG", "PHONE", "EMAIL", "ID", "DOB") for item in gold)
        assert re.search(r"INVENTED|虚构", text.splitlines()[0])


def test_tagging_only_lines_with_entities_gives_the_full_pipeline_s_entities_and_tags(deid):
    """NER first, the tagger only where NER found something: the same entities and the same tags
    inside them as spaCy's full pipeline, on every line of the English example interviews."""
    from qualflow.pipeline.deid.english import _entities_then_tags

    examples = Path(__file__).resolve().parent.parent / "examples"
    lines = [line for path in sorted(examples.glob("en_*")) for line in path.read_text("utf-8").splitlines()
             if any(ch.isalpha() for ch in line)]
    nlp = deid.english_nlp
    full = list(nlp.pipe(lines))
    fast = _entities_then_tags(nlp, lines)
    assert sum(1 for doc in fast if doc.ents) >= 10  # the examples name people, places and services
    for a, b in zip(full, fast):
        assert [(e.start_char, e.end_char, e.label_) for e in a.ents] == [(e.start_char, e.end_char, e.label_) for e in b.ents]
        for ent_a, ent_b in zip(a.ents, b.ents):
            assert [(t.tag_, t.pos_) for t in ent_a] == [(t.tag_, t.pos_) for t in ent_b]


def test_a_bad_finding_is_refused_without_quoting_its_text():
    from qualflow.pipeline.deid.findings import Finding

    with pytest.raises(ValueError) as refused:
        Finding(0, 9, "PERSON", "Mary", "ner")  # the span does not fit the text
    assert "Mary" not in str(refused.value)


@pytest.mark.parametrize(
    "text, place",
    [
        ("我住在北京市朝阳区建国路88号，离医院很近。", "建国路88号"),
        ("我们在长安街10号见面。", "长安街10号"),
        ("住在南京东路100号的那位老人", "南京东路100号"),
    ],
)
def test_a_street_goes_with_its_house_number(deid, text, place):
    assert place in texts(deid.find(text, "zh"), "PLACE")
