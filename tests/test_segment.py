from qualflow.pipeline.segment import Segmenter
from qualflow.pipeline.turns import parse_turns


def segment(segmenter: Segmenter, text: str):
    return segmenter.segment(text, parse_turns(text, default_participant="P1").turns)


def test_every_statement_slices_back_to_its_text(segmenter):
    text = (
        "Interviewer: Tell me about visits.\n"
        "P1: Mostly fine. Mr. Smith refused twice!  Then he said \"come back\".\n"
        "受访者：嗯，家访的时候我会有点害怕。“你一个人去吗？”他问我。然后……我们还要写材料！\n"
    )
    statements = segment(segmenter, text)
    assert statements, "no statements"
    for statement in statements:
        assert text[statement.start : statement.end] == statement.text
        assert statement.text == statement.text.strip()
    texts = [s.text for s in statements]
    assert "Mr. Smith refused twice!" in texts  # "Mr." is not a sentence end
    assert "“你一个人去吗？”" in texts  # the opening quote moves forward, the closing one stays


def test_statements_stay_inside_their_turn_and_do_not_overlap(segmenter):
    text = "P1: One. Two! Three?\nInterviewer: Four.\nP1: 五。六！"
    parsed = parse_turns(text)
    statements = segmenter.segment(text, parsed.turns)
    for statement in statements:
        turn = parsed.turns[statement.turn_index]
        assert turn.start <= statement.start < statement.end <= turn.end
    for before, after in zip(statements, statements[1:]):
        assert before.end <= after.start
    assert [s.text for s in statements] == ["One.", "Two!", "Three?", "Four.", "五。", "六！"]


def test_chinese_is_tokenised_into_words_by_jieba(segmenter):
    text = "受访者：社区精神卫生工作者每个月都要去病人家里随访。"
    (statement,) = segment(segmenter, text)
    assert statement.language == "zh"
    # jieba joins characters into words; a character-level split would give 1-char tokens only.
    assert "社区" in statement.tokens and "病人" in statement.tokens
    assert any(len(token) >= 2 for token in statement.tokens)
    assert "".join(statement.tokens) == statement.text


def test_english_statement_language_and_tokens(segmenter):
    (statement,) = segment(segmenter, "P1: Home visits take most of my day.")
    assert statement.language == "en"
    assert statement.tokens[:3] == ["Home", "visits", "take"]


def test_chinese_sentence_ends_include_semicolon_and_ellipsis(segmenter):
    texts = [s.text for s in segment(segmenter, "受访者：工作很多；材料也多……但是我们坚持下来了。")]
    assert texts == ["工作很多；", "材料也多……", "但是我们坚持下来了。"]
