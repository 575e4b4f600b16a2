"""Property tests: for arbitrary text, statements slice back exactly, never overlap and stay
inside their turn. Hypothesis writes the transcripts: CJK, emoji, combining marks, \\r\\n."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualflow.pipeline.ingest import normalise_text
from qualflow.pipeline.turns import parse_turns

_ALPHABET = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs",)),  # anything, including controls
    st.sampled_from(list("。！？；…，、“”「」 \n\r\t.?!;,\"'()[]嗯对我们家访病人医生")),
    st.sampled_from(["\u0301", "\u0308", "👩‍⚕️", "🙂", "\r\n", "[00:12:31]", "P1: ", "Interviewer: ", "受访者："]),
)
_TEXT = st.lists(_ALPHABET, max_size=120).map("".join)


def check(text, segmenter):
    text = normalise_text(text)
    parsed = parse_turns(text, default_participant="P1")
    statements = segmenter.segment(text, parsed.turns)
    for statement in statements:
        assert text[statement.start : statement.end] == statement.text
        assert statement.text.strip() == statement.text and statement.text
        turn = parsed.turns[statement.turn_index]
        assert turn.start <= statement.start < statement.end <= turn.end
    for before, after in zip(statements, statements[1:]):
        assert before.end <= after.start
    for turn in parsed.turns:
        assert text[turn.start : turn.end].strip() == text[turn.start : turn.end]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT)
def test_statements_slice_back_and_stay_in_their_turn(text, segmenter):
    check(text, segmenter)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(turns=st.lists(st.tuples(st.sampled_from(["Interviewer: ", "P2: ", "访谈者：", "受访者：", ""]), _TEXT), max_size=6))
def test_labelled_transcripts(turns, segmenter):
    check("\n".join(label + words for label, words in turns), segmenter)
