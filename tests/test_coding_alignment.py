"""Offset conventions, character alignment and document matching, on small invented texts."""

import unicodedata

import pytest
from qualflow.pipeline.coding.align import char_alignment, locate_quote, locate_quote_nearly, map_span
from qualflow.pipeline.coding.match import StoredTranscript, match_documents
from qualflow.pipeline.coding.offsets import choose_convention, converter
from qualflow.pipeline.coding.records import CodedSpan

LINES = ["Interviewer: How was the week?", "P1: Busy. Margaret Thompson called twice about the café rota.",
         "Interviewer: And the families?", "P1: The families “carry” most of it, honestly.",
         "P1: Supervision with Dr Okafor helps every fortnight."]
PHRASES = ["Margaret Thompson called twice", "the café rota", "“carry” most of it", "Supervision with Dr Okafor"]


def spans_in(text: str, count, phrases=PHRASES) -> list[CodedSpan]:
    """Spans over `phrases`, with offsets counted by `count(prefix)`."""
    spans = []
    for phrase in phrases:
        at = text.index(phrase)
        spans.append(CodedSpan("doc", "code", "c", count(text[:at]), count(text[:at + len(phrase)])))
    return spans


@pytest.mark.parametrize("convention,count,newline", [
    ("chars", len, "\r\n"),
    ("chars_lf", lambda prefix: len(prefix.replace("\r\n", "\n")), "\r\n"),
    ("bytes", lambda prefix: len(prefix.encode("utf-8")), "\n"),
    ("bytes_lf", lambda prefix: len(prefix.replace("\r\n", "\n").encode("utf-8")), "\r\n"),
])
def test_the_offset_convention_is_recognised_and_undone(convention, count, newline):
    text = newline.join(LINES) + newline
    spans = spans_in(text, count)
    chosen, _ = choose_convention(text, spans)
    assert chosen == convention
    convert = converter(text, chosen)
    assert [text[convert(s.start):convert(s.end)] for s in spans] == PHRASES


def test_a_tool_that_says_bytes_is_read_as_bytes():
    text = "\n".join(LINES)
    spans = spans_in(text, lambda prefix: len(prefix.encode("utf-8")))
    assert choose_convention(text, spans, unit="bytes")[0] == "bytes"
    assert choose_convention(text, spans, unit="chars")[0] == "chars"  # what the caller asked for


def test_quotes_decide_when_they_are_given():
    text = "\r\n".join(LINES)
    spans = spans_in(text, lambda prefix: len(prefix.replace("\r\n", "\n")))
    for span, phrase in zip(spans, PHRASES, strict=True):
        span.quote = phrase
    assert choose_convention(text, spans)[0] == "chars_lf"


def deidentified(text: str) -> str:
    """What qualflow stores: NFC, \\n line ends, names replaced by placeholders."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    return text.replace("Margaret Thompson", "[PERSON_1]").replace("Okafor", "[PERSON_2]")


def test_spans_are_carried_onto_the_deidentified_text():
    original = "\r\n".join(LINES * 40)  # long enough to take the line-by-line path
    stored = deidentified(original)
    mapping = char_alignment(original, stored)
    at = original.index("Margaret Thompson called twice")
    start, end, quality = map_span(mapping, at, at + len("Margaret Thompson called twice"), stored)
    assert stored[start:end] == "[PERSON_1] called twice"
    assert 0.3 < quality < 1.0  # the name itself was not found again
    at = original.rindex("the café rota")
    start, end, quality = map_span(mapping, at, at + len("the café rota"), stored)
    assert stored[start:end] == "the café rota" and quality == 1.0
    assert start == stored.rindex("the café rota")  # the last occurrence stays the last


def test_combining_accents_and_reordered_lines_still_align():
    original = "P1: The cafe\u0301 was closed.\nP1: Then we walked home.\n"
    stored = unicodedata.normalize("NFC", original)
    mapping = char_alignment(original, stored)
    at = original.index("Then")
    start, end, _ = map_span(mapping, at, len(original) - 1, stored)
    assert stored[start:end] == "Then we walked home."


def test_a_span_over_text_that_is_gone_does_not_align():
    original, stored = "Alpha beta gamma.\nDelta epsilon.\n", "Alpha beta gamma.\n"
    mapping = char_alignment(original, stored)
    assert map_span(mapping, original.index("Delta"), len(original) - 1, stored) is None


def test_quotes_are_found_exactly_or_with_other_whitespace():
    text = "First line.\nThe families carry\n  most of it.\nThe families carry on."
    assert locate_quote("The families carry on.", text) == (text.index("The families carry on."), len(text))
    start, end = locate_quote("families carry most of it.", text)
    assert text[start:end] == "families carry\n  most of it."
    assert locate_quote("not in the text", text) is None


@pytest.mark.parametrize(
    ("quote", "found"),
    [
        ("I don’t think we have time", "I don't think we have time"),  # a curly apostrophe (Word, Excel)
        ("the “big” ward – the one upstairs", 'the "big" ward - the one upstairs'),
        ("Honestly, I don't think we have time", "Honestly I don't think we have time"),  # a comma added
        ("we have time. The rota is full", "we have time, the rota is full"),  # a full stop for a comma
    ],
)
def test_quotes_differing_in_typography_or_punctuation_are_found(quote, found):
    """A coder's copy typed or pasted in a word processor (found in a researcher's audit: a whole file with
    curly apostrophes was refused as "coded on another version of the file")."""
    text = ("Interviewer: Why?\nP3: Honestly I don't think we have time, the rota is full.\n"
            'P3: It was the "big" ward - the one upstairs.\n')
    start, end = locate_quote(quote, text)
    assert text[start:end] == found


def test_a_short_quote_is_not_matched_without_its_punctuation():
    """Left without its punctuation a short quote ("yes, no") could match anywhere: it must be found as written."""
    assert locate_quote("yes, no", "P1: Yes no maybe.\nP2: well, yes. No.") is None



NEARLY_TEXT = ("Interviewer: And the managers?\nP3: The ward management never listened when we raised staffing, "
               "honestly.\nP3: 护士长一直不太愿意听我们提出的关于排班问题的建议，后来我们就不说了。\n"
               "P4: The ward management never listened when we raised staffing, to be fair.\n")


@pytest.mark.parametrize(
    ("quote", "hint", "found"),
    [
        # a word misspelt in the coder's copy
        ("The ward managment never listened when we raised staffing", 0,
         "The ward management never listened when we raised staffing"),
        # a letter dropped and one doubled, in a longer quote
        ("ward managment never listenned when we raised staffing, honestly", 0,
         "ward management never listened when we raised staffing, honestly"),
        # a homophone typed for the character meant (排版 for 排班), and a character left out
        ("护士长一直不愿意听我们提出的关于排版问题的建议", 0, "护士长一直不太愿意听我们提出的关于排班问题的建议"),
        # equally close in two places: the first from the hint, as for exact quotes
        ("The ward managment never listened when we raised staffing", 100,
         "The ward management never listened when we raised staffing"),
    ],
)
def test_a_quote_a_letter_or_two_off_is_placed_where_the_text_nearly_says_it(quote, hint, found):
    """A misspelt word left the whole quote unplaced (a researcher's audit)."""
    assert locate_quote(quote, NEARLY_TEXT) is None  # the earlier stages do not find these
    start, end = locate_quote_nearly(quote, NEARLY_TEXT, hint)
    assert NEARLY_TEXT[start:end] == found
    assert (start > NEARLY_TEXT.index("P4:")) == (hint > 0)


@pytest.mark.parametrize("quote", [
    "The ward leadership never listened when we raised pay",  # another sentence on the same subject
    "ward managment never listened",  # too short to be sure of a place (under 30 letters)
    "护士长一直不太愿意听我们关于工资问题的意见",  # four characters in 21 differ
])
def test_a_quote_that_differs_by_more_than_a_typo_stays_unplaced(quote):
    assert locate_quote_nearly(quote, NEARLY_TEXT) is None



def test_one_file_named_two_ways_in_a_coding_file_is_one_document():
    """A team's CSV wrote "en_p1_nurse.txt" on one row and "en_p1_nurse" on another (a researcher's audit):
    the second spelling found P1's transcript taken and was matched by its quote to P9's, who says nearly
    the same; or, with no such quote, was reported as matching nothing, "closest: 'en_p1_nurse.txt'"."""
    keys = "I keep my car keys in my pocket when I visit"
    transcripts = [StoredTranscript(1, "en_p1_nurse.txt", f"P1: {keys}. Then the rota."),
                   StoredTranscript(9, "Margaret interview P9.txt", f"P9: {keys}, always."),
                   StoredTranscript(3, "P3.txt", "P3: other words entirely"), StoredTranscript(4, "P3.docx", "P3: more")]
    found = match_documents({"en_p1_nurse.txt": "", "en_p1_nurse": keys, "EN_P1_NURSE.TXT": "",
                             "P3.txt": "", "sources/P3.txt": ""}, transcripts)
    assert found["en_p1_nurse"] == (1, "file name") and found["EN_P1_NURSE.TXT"] == (1, "name")
    # A folder before the name of a matched document is that document, not the other P3 left over.
    assert found["sources/P3.txt"] == (3, "file name")


def test_documents_match_by_name_then_file_name_then_text():
    transcripts = [StoredTranscript(1, "P1_interview.odt", "alpha beta gamma delta epsilon zeta eta theta"),
                   StoredTranscript(2, "P2.txt", "one two three four five six seven eight nine ten"),
                   StoredTranscript(3, "P3.txt", "red orange yellow green blue indigo violet black white")]
    found = match_documents({"P1_interview.odt": "", "sources/P2.docx": "",
                             "renamed.txt": "orange yellow green blue indigo violet", "unknown.txt": "nothing alike"},
                            transcripts)
    assert found["P1_interview.odt"] == (1, "name")
    assert found["sources/P2.docx"] == (2, "file name")
    assert found["renamed.txt"][0] == 3 and found["renamed.txt"][1].startswith("text")
    assert "unknown.txt" not in found
