"""Street addresses and postcodes in Latin script, found by their shape (pipeline/deid/addresses.py): spaCy's
small model finds some roads by their context and misses others (22 Kings Road, Queen Street), and it never
finds a postcode. The sentences are invented; the everyday ones look like addresses and are none."""

from __future__ import annotations

import pytest
from qualflow.pipeline.deid.addresses import address_findings
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def _places(deid: Deidentifier, text: str, language: str = "en") -> list[str]:
    return sorted(f.text for f in deid.find(text, language) if f.kind == "PLACE")


ADDRESSES = [
    ("I live in flat 3, 22 Kings Road.", ["22 Kings Road"]),
    ("Our office is at 221B Baker Street.", ["221B Baker Street"]),
    ("We met at the cafe on Queen Street.", ["Queen Street"]),
    ("the bus stops on High Street", ["High Street"]),
    ("She moved to 4/12 Larkspur Close last spring.", ["4/12 Larkspur Close"]),
    ("The address is 1600 Amsterdam Ave, New York, NY 10023.", ["10023", "1600 Amsterdam Ave", "New York"]),
    ("He lives at 9 Orchard Rd. near the school.", ["9 Orchard Rd."]),
    ("I stay at Blk 123 Tampines Ave 5, near the market.", ["Blk 123 Tampines Ave 5"]),
    ("My clinic is on Jalan Ampang, opposite the mall.", ["Jalan Ampang"]),
    ("We moved to Lorong 3 Geylang last year.", ["Lorong 3 Geylang"]),
    ("Her family is in Taman Melawati now.", ["Taman Melawati"]),
    ("My postcode is M8 8AB.", ["M8 8AB"]),
    ("We live near SW1A 1AA, believe it or not.", ["SW1A 1AA"]),
    ("Send it to Ottawa, K1A 0B1.", ["K1A 0B1", "Ottawa"]),
    ("The flat is at Singapore 520123.", ["520123"]),  # a country alone is kept
    ("My zip code is 94110.", ["94110"]),
    ("我家邮编是100871。", ["100871"]),
    # A postcode district alone, after a word that places someone.
    ("She lives out in LS9 somewhere.", ["LS9"]),
    ("We moved to NE6 after the wedding.", ["NE6"]),
    ("He's from BD3, like me.", ["BD3"]),
    ("It's the LS9 area, mostly council flats.", ["LS9"]),
]


@pytest.mark.parametrize(("text", "places"), ADDRESSES)
def test_an_address_or_postcode_is_found_whole(deid, text, places):
    language = "zh" if "邮编" in text else "en"
    assert _places(deid, text, language) == sorted(places)


# Street words in everyday talk, sayings and titles, grades, vitamins, roads by number, bands, wards, versions:
# no address (what the model finds in them is not this rule's).
EVERYDAY = [
    "We went down the road to the shop.", "It was a long road to recovery.", "I live on the same street as my sister.",
    "Walk down Memory Lane with me.", "He is on Easy Street now.", "On The Road is my favourite book.",
    "Can you zip 20 files for me?",
    "I got an A1 and a B2 in my exams.", "Take vitamin B12 every day.", "We drove up the M6 and then the A34.",
    "We ran out of N95 masks in 2020.", "I was a Band 5 nurse for 3 years.", "She works on Ward 7B.",
    "Call 111 if it gets worse.", "It was 12 Close calls a day, honestly.", "I worked 5 Days a week.",
    "The Way Forward plan came out in 2019.", "By 3 Court orders he had lost the flat.", "We watched the Pride Parade.",
    "The score was 2 1 at half time.", "Windows 10 kept crashing.", "My iPhone 12 died.", "Page 4 Lane said so.",
    "The Road Safety team came.", "A Street Child charity helped us.", "He read it in Section 2B of the form.",
    # Shaped like a postcode district: a doctor's grade, a gas, a vitamin, a road, a grade after "in".
    "I'm in ST3 now, the rota is awful.", "When I was an FY1 it was hard.", "There was a rise in CO2 in the ward.",
    "He needs B12 injections.", "We drove up the M6 to get there.", "She was in Y6 at the time.", "I'm in CT1 now.",
]


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_talk_with_street_words_is_no_address(text):
    assert [f.text for f in address_findings(text)] == []
