"""Cities named in English after a word that places someone (pipeline/deid/english_places.py): spaCy's small
model missed "I moved to Cardiff in 2015" (a researcher's audit). The sentences are invented."""

from __future__ import annotations

import pytest
from qualflow.pipeline.deid.english_places import city_findings
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


@pytest.mark.parametrize(("text", "city"), [
    ("I moved to Cardiff in 2015.", "Cardiff"),
    ("She trained in Aberystwyth before the ward job.", "Aberystwyth"),
    ("We came over from Kuala Lumpur when I was nine.", "Kuala Lumpur"),
    ("My sister lives near Peterborough.", "Peterborough"),
    ("He grew up around Middlesbrough.", "Middlesbrough"),
])
def test_a_listed_city_after_a_placing_word_is_a_place(deid, text, city):
    assert [f.text for f in deid.find(text, "en") if f.kind == "PLACE"] == [city]


@pytest.mark.parametrize("text", [
    "I had a long soak in a bath after the shift.",  # not capitalised
    "He is very much in Darwin's camp on that.",  # a name's possessive
    "Bath time was chaos on the ward.",  # no placing word before it
    "The flat is at Singapore 520123.",  # a city state: everyone in the study may live there
    "We read about it in Reading Recovery training.",  # not on the list
    "We were in Wellingtons all winter.",  # a longer word
])
def test_city_words_elsewhere_are_no_city(text):
    assert city_findings(text) == []
