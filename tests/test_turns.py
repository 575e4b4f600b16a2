from qualflow.pipeline.turns import parse_turns


def spans(text, parsed):
    return [(t.role, t.participant, text[t.start : t.end]) for t in parsed.turns]


def test_english_labels_header_and_continuation_lines():
    text = (
        "# participant: P7\n# date: 2026-03-02\n\n"
        "Interviewer: How was training?\n\n"
        "P7: Short. Too short.\nIt was two days.\n"
        "Q: Anything else?\n"
        "A:   Not really.  \n"
    )
    parsed = parse_turns(text)
    assert parsed.header == {"participant": "P7", "date": "2026-03-02"}
    assert spans(text, parsed) == [
        ("interviewer", None, "How was training?"),
        ("participant", "P7", "Short. Too short.\nIt was two days."),
        ("interviewer", None, "Anything else?"),
        ("participant", "P7", "Not really."),
    ]


def test_chinese_labels_with_full_width_and_ascii_colons():
    text = "访谈者：您平时怎么随访？\n受访者：一般每个月去一次。\n问: 安全吗？\n答:还行吧。"
    parsed = parse_turns(text, default_participant="P3")
    assert spans(text, parsed) == [
        ("interviewer", None, "您平时怎么随访？"),
        ("participant", "P3", "一般每个月去一次。"),
        ("interviewer", None, "安全吗？"),
        ("participant", "P3", "还行吧。"),
    ]


def test_a_word_with_a_colon_is_not_a_speaker():
    text = "P2: We had a rule:\nNote: never go alone."
    parsed = parse_turns(text)
    assert len(parsed.turns) == 1
    assert text[parsed.turns[0].start : parsed.turns[0].end] == "We had a rule:\nNote: never go alone."


def test_unlabelled_text_is_a_monologue_per_paragraph():
    text = "I started in 2019.\n\nThe visits were hard at first."
    parsed = parse_turns(text, default_participant="P4")
    assert spans(text, parsed) == [
        ("participant", "P4", "I started in 2019."),
        ("participant", "P4", "The visits were hard at first."),
    ]


def test_text_before_the_first_label_is_kept_as_other():
    text = "Recorded at the clinic.\nInterviewer: Hello.\nP1: Hi."
    assert [t.role for t in parse_turns(text).turns] == ["other", "interviewer", "participant"]


def test_label_with_words_on_the_next_line():
    text = "P1:\n  The words come here."
    parsed = parse_turns(text)
    assert spans(text, parsed) == [("participant", "P1", "The words come here.")]
