import pytest

from qualflow.pipeline.config import SegmentConfig
from qualflow.pipeline.segment import Segmenter
from qualflow.pipeline.turns import parse_turns


@pytest.fixture(scope="module")
def sentences_only(jieba_cache):
    """Sentence splitting alone: no merging of short fragments."""
    return Segmenter(SegmentConfig(min_content_words=0), cache_dir=jieba_cache)


def segment(segmenter: Segmenter, text: str):
    return segmenter.segment(text, parse_turns(text, default_participant="P1").turns)


def test_every_statement_slices_back_to_its_text(sentences_only):
    segmenter = sentences_only
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


def test_statements_stay_inside_their_turn_and_do_not_overlap(sentences_only):
    segmenter = sentences_only
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


def test_chinese_sentence_ends_include_semicolon_and_ellipsis(sentences_only):
    texts = [s.text for s in segment(sentences_only, "受访者：工作很多；材料也多……但是我们坚持下来了。")]
    assert texts == ["工作很多；", "材料也多……", "但是我们坚持下来了。"]


def test_short_fragments_join_a_neighbour_in_the_same_turn(segmenter):
    text = "P1: Well. Home visits take most of my working day. It is hard.\nInterviewer: Sure.\nP1: Yes."
    texts = [s.text for s in segment(segmenter, text)]
    # "Well." has no content words: it joins the next sentence. "It is hard." has one: it
    # joins the one before. "Sure." and "Yes." are alone in their turns and stay alone.
    assert texts == ["Well. Home visits take most of my working day. It is hard.", "Sure.", "Yes."]


def test_run_on_sentences_are_cut_at_clauses(jieba_cache):
    segmenter = Segmenter(SegmentConfig(min_content_words=0, max_chars_en=60, max_chars_zh=20), cache_dir=jieba_cache)
    text = ("P1: We drove to the first house, we waited for the police, we went in together; "
            "then the family told us he had left, so we called the hospital and wrote it all down.")
    statements = segment(segmenter, text)
    assert len(statements) >= 3
    assert all(len(s.text) <= 60 for s in statements)
    assert statements[0].text.endswith(",") or statements[0].text.endswith(";")
    zh = "受访者：我们先去了第一家，等派出所的民警到了才一起进去；家属说他已经走了，我们就给医院打电话，然后把情况都记下来。"
    parts = segment(segmenter, zh)
    assert len(parts) >= 3 and all(len(p.text) <= 20 for p in parts)
    assert "".join(p.text for p in parts) == zh.removeprefix("受访者：")


def test_user_dictionary_keeps_domain_terms_whole(jieba_cache):
    segmenter = Segmenter(SegmentConfig(user_dictionary=["精防专干"]), cache_dir=jieba_cache)
    (statement,) = segment(segmenter, "受访者：我们精防专干每个月都要随访。")
    assert "精防专干" in statement.tokens


def test_timestamps_never_enter_a_statement(segmenter):
    text = "P1: [00:12:31] We went to the house twice last week. [00:12:40] Nobody answered the door at all."
    statements = segment(segmenter, text)
    assert [s.text for s in statements] == ["We went to the house twice last week.", "Nobody answered the door at all."]
