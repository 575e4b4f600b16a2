"""Role labels 调查员 (a survey's fieldworker) and 受访人 / 被访人 (and their Traditional forms) are read as the
interviewer and the participant, as 访谈者 and 受访者 are; 訪問者 and 受訪者 already were."""

import pytest
from qualflow.pipeline.turns import parse_turns, participant_from_file_name, read_header

SURVEY = """# 受访人：P7

调查员：您平时工作忙吗？
受访人：很忙，每天都加班，晚上十点才回家。
调查员：那家里人怎么看？
受访人：他们也没办法，只能理解。
"""

HONG_KONG = """調查員：你做咗幾耐？
受訪人：差唔多十年。
訪問者：點解會留咁耐？
被訪人：因為同事好好。
"""


def test_a_survey_transcript_labelled_with_these_words_has_interviewer_and_participant_turns():
    parsed = parse_turns(SURVEY)
    assert [(turn.role, turn.participant) for turn in parsed.turns] == [
        ("interviewer", None), ("participant", "P7"), ("interviewer", None), ("participant", "P7")]
    assert SURVEY[parsed.turns[1].start:parsed.turns[1].end] == "很忙，每天都加班，晚上十点才回家。"
    assert parsed.notes == []
    assert read_header(SURVEY) == {"participant": "P7"}


def test_traditional_labels_too():
    parsed = parse_turns(HONG_KONG, "P3")
    assert [(turn.role, turn.participant) for turn in parsed.turns] == [
        ("interviewer", None), ("participant", "P3"), ("interviewer", None), ("participant", "P3")]
    assert HONG_KONG[parsed.turns[0].start:parsed.turns[0].end] == "你做咗幾耐？"


@pytest.mark.parametrize(("stem", "code"), [("受访人07_社工", "P7"), ("受訪人3", "P3"), ("被访人12", "P12")])
def test_a_file_named_by_the_respondent_word_and_number(stem, code):
    assert participant_from_file_name(stem) == code


def test_the_fieldworker_named_in_the_header_is_found_as_a_person():
    from qualflow.pipeline.redact import header_person_findings

    text = "# 调查员：钱多多\n# 受访人：P7\n\n调查员：忙吗？\n受访人：很忙。\n"
    found = header_person_findings(text)
    assert [text[f.start:f.end] for f in found] == ["钱多多"]  # the code P7 is no name
