"""Speech-to-text Chinese: an unpunctuated line is cut before discourse connectives (然后, 但是, 所以…).

Automatic transcripts of Chinese speech often carry no punctuation, so one "statement" ran on across
several ideas joined by 然后 and 但是 until the length limit cut it, wherever a word ended. Now a
new statement starts at the connective, where both sides are long enough to stand alone; a line a
person punctuated is left exactly as it was.
"""

from __future__ import annotations

import pytest
from qualflow.pipeline.config import SegmentConfig
from qualflow.pipeline.segment import MIN_CHARS_AT_CONNECTIVE, Segmenter
from qualflow.pipeline.turns import parse_turns


@pytest.fixture(scope="module")
def segmenter(jieba_cache) -> Segmenter:
    return Segmenter(SegmentConfig(), cache_dir=jieba_cache)


def statements(segmenter, line: str) -> list[str]:
    text = f"受访者：{line}\n"
    found = segmenter.segment(text, parse_turns(text, default_participant="P1").turns)
    for s in found:
        assert text[s.start : s.end] == s.text
    return [s.text for s in found]


def test_an_unpunctuated_line_is_cut_before_its_connectives(segmenter):
    line = (
        "我们科室的护士人手一直都不够用"
        "然后每个人晚上都要看十几个病人"
        "但是护士长说今年医院不会再招新人了"
        "所以大家下班以后都觉得压力特别大"
    )
    assert statements(segmenter, line) == [
        "我们科室的护士人手一直都不够用",
        "然后每个人晚上都要看十几个病人",
        "但是护士长说今年医院不会再招新人了",
        "所以大家下班以后都觉得压力特别大",
    ]


def test_speech_to_text_with_spaces_between_phrases(segmenter):
    line = "嗯 我刚来的时候对病房的流程一点都不懂 然后带教老师每天带着我查房 可是她后来调到别的科室去了 我就只能自己摸索"
    assert statements(segmenter, line) == [
        "嗯 我刚来的时候对病房的流程一点都不懂",
        "然后带教老师每天带着我查房",
        "可是她后来调到别的科室去了 我就只能自己摸索",
    ]


def test_traditional_script_is_cut_the_same_way(segmenter):
    line = "我們病房的夜班護理師只有兩個人然後每個人要照顧二十幾床的病人但是主管一直說沒有預算"
    assert statements(segmenter, line) == [
        "我們病房的夜班護理師只有兩個人",
        "然後每個人要照顧二十幾床的病人",
        "但是主管一直說沒有預算",
    ]


def test_a_cut_inside_a_token_leaves_each_statement_its_own_tokens(segmenter):
    # spaCy's jieba cuts the Traditional line as written (人然/後); the cut falls before 然後 all the same.
    text = "受訪者：我們病房的夜班護理師只有兩個人然後每個人要照顧二十幾床的病人\n"
    for statement in segmenter.segment(text, parse_turns(text, default_participant="P1").turns):
        assert "".join(statement.tokens) == statement.text


def test_no_cut_leaves_a_piece_too_short_to_stand_alone(segmenter):
    # 但是没有用 (5 characters) would be a statement of its own: it stays with what came before.
    line = "我跟家属解释了很多次出院以后要怎么照顾病人但是没有用"
    assert len("但是没有用") < MIN_CHARS_AT_CONNECTIVE
    assert statements(segmenter, line) == [line]


@pytest.mark.parametrize(
    "line",
    [
        "虽然后来我们科室搬到了新的住院大楼里面",  # 然后 only across 虽然/后来: no 然后 token
        "那段时间每天下班回家都累得喘不过气来了还要照顾孩子",  # 喘不过气: 不过 after a verb is no "but"
        "我们病房还有三个病人今天晚上要做手术的准备",  # 还有 "still have", after a noun
    ],
)
def test_no_cut_inside_words_or_where_the_word_is_no_connective(segmenter, line):
    assert statements(segmenter, line) == [line]


def test_still_have_is_cut_only_after_a_sentence_final_particle(segmenter):
    line = "我觉得现在这个排班制度还算挺合理的还有就是我们科室的同事关系也很好"
    assert statements(segmenter, line) == ["我觉得现在这个排班制度还算挺合理的", "还有就是我们科室的同事关系也很好"]


@pytest.mark.parametrize(
    "line",
    [
        # The same words as the first test, punctuated by a person: one statement per sentence, as before.
        "我们科室的护士人手一直都不够用，然后每个人晚上都要看十几个病人。但是护士长说今年医院不会再招新人了，所以大家的压力都非常大。",
        # A comma alone marks the line as punctuated: 然后 after it does not start a statement.
        "我们科室的护士人手一直都不够用，然后每个人晚上都要看十几个病人",
    ],
)
def test_punctuated_text_is_not_cut_at_connectives(segmenter, line):
    texts = statements(segmenter, line)
    assert not any(text.startswith(("然后", "所以")) for text in texts)
    assert "".join(texts) == line
