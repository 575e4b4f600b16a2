"""Keywords are shown as a theme's statements write them: ICU, COVID and GP stay acronyms, while a word
capitalised only because it opens a sentence is shown in lower case. Real statements, cut by the
study's own segmenter (spaCy), described as a run describes them."""

import numpy as np
from qualflow.pipeline.describe import describe_themes
from qualflow.pipeline.language import content_token_forms, content_tokens

ICU = ["The ICU was full every night during COVID.",
       "In the ICU we had no spare beds, and COVID made it worse.",
       "COVID patients filled the ICU for months.",
       "My GP said the ICU nurses were exhausted. GP appointments were hard to get too."]
NIGHTS = ["Nights on the ward are long.",
          "Nights never seem to end. Nights are the worst.",
          "I dread the nights, honestly, and the family calls at 3 am.",
          "The Family Liaison team calls them back; moving to London for this job was hard. London rents are high."]


def tokens_of(segmenter, texts: list[str]) -> list[list[str]]:
    return [[t.text for t in segmenter.english(text) if not t.is_space] for text in texts]


def keywords_of(segmenter, *themes: list[str]) -> list[list[str]]:
    tokens = [t for texts in themes for t in tokens_of(segmenter, texts)]
    assigned = np.array([k for k, texts in enumerate(themes) for _ in texts])
    # One participant per theme: a word only one participant of a theme used would be no keyword otherwise
    # (describe._shared_by_sources), and this test is about how keywords are written.
    descriptions = describe_themes(assigned, np.zeros(len(tokens), dtype=bool), np.ones(len(tokens)), tokens,
                                   [f"P{k + 1}" for k in assigned], n_keywords=12)
    return [d.keywords for d in descriptions]


def test_acronyms_keep_their_capitals_in_keywords_and_labels(segmenter):
    icu, nights = keywords_of(segmenter, ICU, NIGHTS)
    assert {"ICU", "COVID", "GP"} <= set(icu)
    assert not {"icu", "covid", "gp"} & set(icu)
    assert "nights" in nights and "Nights" not in nights  # written "Nights" 3 times, each opening a sentence
    assert "London" in nights  # a capital mid-sentence is the word's own; one opening a sentence is no vote
    assert "family" in nights and "Family" not in nights  # "family" and "Family Liaison" once each: a tie


def test_the_forms_keep_one_lower_case_key_per_word(segmenter):
    said = "COVID came back. Covid wards reopened, and covid tests ran out."
    forms = content_token_forms(tokens_of(segmenter, [said])[0])
    assert [key for key, _ in forms if key == "covid"] == ["covid"] * 3  # counted as one word
    # "Covid" opens a sentence: its capital may be the sentence's, so it says nothing of the word.
    assert [written for key, written in forms if key == "covid"] == ["COVID", None, "covid"]
    # What a statement's content is judged by (select.py) does not change with the display form.
    assert content_tokens(tokens_of(segmenter, ["The ICU staff."])[0]) == ["icu", "staff"]
