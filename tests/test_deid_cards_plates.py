"""Card and account numbers after the words that announce them, in groups of digits (6222 0212 3456 7890 123),
and number plates: a Chinese plate by its shape (京A12345), a UK one after "number plate" (AB12 CDE)
(pipeline/deid/patterns.py). Before, a card number in groups lost only its tail (as a phone number) and a plate
was left. The numbers are invented."""

from __future__ import annotations

import pytest
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


@pytest.mark.parametrize(("text", "language", "ids"), [
    ("车牌是京A12345。", "zh", ["京A12345"]),
    ("他开一辆粤B·D12345的电车。", "zh", ["粤B·D12345"]),
    ("我的银行卡号是6222 0212 3456 7890 123。", "zh", ["6222 0212 3456 7890 123"]),
    ("他的医保卡号是1100 2233 4455。", "zh", ["1100 2233 4455"]),
    ("My card number is 4111 1111 1111 1111.", "en", ["4111 1111 1111 1111"]),
    ("The sort code is 20-00-00 and the account number 12345678.", "en", ["12345678", "20-00-00"]),
    ("His number plate is AB12 CDE.", "en", ["AB12 CDE"]),
])
def test_cards_accounts_and_plates_are_ids(deid, text, language, ids):
    assert sorted(f.text for f in deid.find(text, language) if f.kind == "ID") == sorted(ids)


# A province's character and a capital without a plate's digits, a grade, a share class: no ID.
@pytest.mark.parametrize("text", ["川A车多。", "我考了苏A的驾照。", "他是北京人，A股涨了。", "京A1234", "第三季度 1234 5678 个"])
def test_plate_like_talk_is_no_id(deid, text):
    assert [f.text for f in deid.find(text, "zh") if f.kind == "ID"] == []
