"""A first or last name alone in what people type (code names, theme names, memos) is replaced as in the
transcripts. A researcher's audit imported the code "Dr Kapoor's team history" where the transcripts had
"Dr. Rajesh Kapoor" as [PERSON_3]: the surname went out in the compare report and the REFI-QDA export."""

import pytest
from qualflow.pipeline.deid.typed import TypedRedactor, redact_typed

KEY_MAP = {("PERSON", "margaret olsen"): "[PERSON_1]", ("PERSON", "rajesh kapoor"): "[PERSON_3]",
           ("PERSON", "kevin doyle"): "[PERSON_4]", ("PERSON", "mary doyle"): "[PERSON_7]",
           ("PERSON", "will jones"): "[PERSON_8]", ("PERSON", "张伟"): "[PERSON_9]", ("PLACE", "harrow lane"): "[PLACE_1]"}


@pytest.mark.parametrize(("typed", "stored"), [
    ("Dr Kapoor's team history", "Dr [PERSON_3]'s team history"),
    ("Margaret on lone working", "[PERSON_1] on lone working"),
    ("KAPOOR", "[PERSON_3]"),
    ("Rajesh Kapoor came twice", "[PERSON_3] came twice"),  # the whole name first, once
    ("Doyle's sister", "[PERSON]'s sister"),  # two people are Doyles: which one is not said
    ("Jones said so", "[PERSON_8] said so"),
])
def test_a_name_part_alone_is_replaced(typed, stored):
    assert redact_typed(typed, KEY_MAP) == stored


@pytest.mark.parametrize("typed", [
    "kapoor",  # not written as a name
    "Kapoorian methods",  # part of another word
    "Will it last?",  # an ordinary word (a stop word) that is also a first name
    "Harrow",  # a part of a place: places are replaced whole only
])
def test_ordinary_words_and_place_parts_stay(typed):
    assert redact_typed(typed, KEY_MAP) == typed


def test_a_redactor_made_once_serves_many_texts():
    redact = TypedRedactor(KEY_MAP)
    assert [redact(t) for t in ("Kapoor", "Olsen", "Kevin")] == ["[PERSON_3]", "[PERSON_1]", "[PERSON_4]"]
