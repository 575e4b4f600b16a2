"""ID numbers and phone numbers the audit found left (privacy audit F2, F11), through the real Deidentifier.

- A US Social Security number after its cue (social security, SSN): "123-45-6789" alone could be anything.
- A UK National Insurance number, spaced or not (QQ 12 34 56 C, AB123456C): its shape is its own. The
  cue word ("NI", "SSN") is no organisation: spaCy's ORG for it pre-empted the cue and put "NI" in the key map.
- A phone number in Chinese numerals after a phone cue (我手机号一三八一二三四五六七八): 11 digits of a mobile.
- WeChat written wx, vx, VX, V信, and 微信是 before an id with fewer than three digits.
"""

from __future__ import annotations

import pytest
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def found(deid, text, language, kind):
    return [f.text for f in deid.find(text, language) if f.kind == kind]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("My social security number is 123-45-6789.", "123-45-6789"),
        ("My SSN is 078-05-1120.", "078-05-1120"),
        ("SSN 078-05-1120", "078-05-1120"),
        ("Social security no. 123 45 6789, if they ask.", "123 45 6789"),
        ("My NI number is QQ 12 34 56 C", "QQ 12 34 56 C"),
        ("My national insurance number is QQ123456C.", "QQ123456C"),
        ("They wrote AB 12 34 56 D on the form.", "AB 12 34 56 D"),
        ("Her NI number is AB 123456 C.", "AB 123456 C"),
    ],
)
def test_social_security_and_national_insurance_numbers_are_ids(deid, text, number):
    assert found(deid, text, "en", "ID") == [number]


@pytest.mark.parametrize("text", ["My SSN is 078-05-1120.", "My NI number is QQ 12 34 56 C",
                                  "Your NHS number is 943 476 5919."])
def test_the_word_announcing_an_id_is_no_organisation(deid, text):
    assert [f.text for f in deid.find(text, "en") if f.kind in ("ORG", "PERSON", "PLACE")] == []


@pytest.mark.parametrize(
    "text",
    [
        "The order number was 123-45-6789 and it came late.",  # an SSN's shape, no cue
        "Room 12 34 56 is on the left.",
        "We ran 12 34 56 C drills.",  # no two capitals before it
        "The NI number is on the form somewhere.",
    ],
)
def test_numbers_without_a_cue_or_the_shape_stay(deid, text):
    assert found(deid, text, "en", "ID") == []


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("我手机号一三八一二三四五六七八。", "一三八一二三四五六七八"),
        ("我的电话是一五九八七六五四三二一", "一五九八七六五四三二一"),
        ("手机号码是一三八 一二三四 五六七八，晚上别打。", "一三八 一二三四 五六七八"),
        ("你打我手机幺八六零零零零幺二三四。", "幺八六零零零零幺二三四"),
        ("座机是零一零六二三四五六七八。", "零一零六二三四五六七八"),
    ],
)
def test_phone_numbers_in_chinese_numerals_after_a_phone_cue(deid, text, phone):
    assert found(deid, text, "zh", "PHONE") == [phone]


@pytest.mark.parametrize(
    "text",
    [
        "他说一三八一二三四五六七八。",  # no phone cue
        "手机用了三四年，电话打了一两次。",  # a cue, but counts
        "我们科一年收了一三八个病人，电话很多。",  # a cue, three numerals
        "电话号码是一二三四五六七八九零一。",  # 11 numerals, no mobile's 13-19 start
    ],
)
def test_chinese_numerals_that_are_no_phone_number_stay(deid, text):
    assert found(deid, text, "zh", "PHONE") == []


@pytest.mark.parametrize(
    ("text", "language", "wechat_id"),
    [
        ("我的微信是wangxiaoming88，有事找我。", "zh", "wangxiaoming88"),
        ("微信是wangxiaoming", "zh", "wangxiaoming"),
        ("联系我：wx: zhangwei_1985", "zh", "zhangwei_1985"),
        ("加我VX：lihua2020", "zh", "lihua2020"),
        ("加我vx lihua88", "zh", "lihua88"),
        ("V信：lihua2020", "zh", "lihua2020"),
        ("Add me on wx: zhangwei, it's easier.", "en", "zhangwei"),
        ("My WeChat is janedoe88.", "en", "janedoe88"),
    ],
)
def test_wechat_ids_after_wechat_and_its_abbreviations(deid, text, language, wechat_id):
    assert found(deid, text, language, "ID") == [wechat_id]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("WeChat really helps with the families.", "en"),
        ("wx is great for that, honestly.", "en"),
        ("我们用微信是因为方便。", "zh"),
    ],
)
def test_words_after_wechat_are_no_ids(deid, text, language):
    assert found(deid, text, language, "ID") == []


@pytest.mark.parametrize(
    ("text", "language", "number"),
    [
        ("My employee number is 4471 if you need it.", "en", "4471"),
        ("Her staff ID was A123 on the badge.", "en", "A123"),
        ("Payroll no. 5521, they kept asking for it.", "en", "5521"),
        ("My student number is 20193456.", "en", "20193456"),
        ("我的工号是4471。", "zh", "4471"),
        ("员工编号：A0912", "zh", "A0912"),
        ("他的学生证号是20193456。", "zh", "20193456"),
    ],
)
def test_numbers_that_name_someone_at_work_or_school_are_ids(deid, text, language, number):
    """Four digits after 工号 or "employee number" name one person in a workplace; before, a value needed
    five characters and English had no such cue."""
    assert found(deid, text, language, "ID") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "Staff numbers have doubled since 2019.",
        "The student numbers went up by 300.",
        "Our staff number is low this year.",
        "Employee numbers: we have about 40 on the ward.",
        "The hospital number is on the wristband.",
        "My case number was 12, I think.",
    ],
)
def test_counts_of_staff_and_students_are_no_ids(deid, text):
    assert found(deid, text, "en", "ID") == []
