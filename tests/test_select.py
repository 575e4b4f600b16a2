import pytest
from qualflow.pipeline.select import BACKCHANNEL, INTERVIEWER_TURN, NOT_A_SPEAKER_TURN, StatementSelector

selector = StatementSelector()


@pytest.mark.parametrize("text", ["Yeah.", "Mm-hmm.", "Okay, okay.", "嗯。", "对对对。", "是的，是的。", "嗯嗯，好的。"])
def test_back_channels_are_not_clustered(text):
    assert selector.exclusion_reason(text, list(text), "participant") == BACKCHANNEL


def test_interviewer_and_other_turns_are_context():
    tokens = ["How", "do", "you", "plan", "home", "visits", "?"]
    assert selector.exclusion_reason("How do you plan home visits?", tokens, "interviewer") == INTERVIEWER_TURN
    assert selector.exclusion_reason("Recorded at the clinic.", ["Recorded"], "other") == NOT_A_SPEAKER_TURN


def test_content_free_fragments_are_too_short():
    assert selector.exclusion_reason("It was that.", ["It", "was", "that", "."], "participant").startswith("too short")


def test_a_real_statement_is_significant():
    tokens = ["Home", "visits", "take", "most", "of", "my", "day", "."]
    assert selector.exclusion_reason("Home visits take most of my day.", tokens, "participant") is None
    zh_tokens = ["家访", "占用", "了", "大部分", "时间", "。"]
    assert selector.exclusion_reason("家访占用了大部分时间。", zh_tokens, "participant") is None
