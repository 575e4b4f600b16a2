import pytest
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


def test_named_speakers_recurring_and_the_questioner_is_the_interviewer():
    text = (
        "Anna Lee: How do you plan visits?\n"
        "Tom: We plan them on Mondays.\n"
        "Anna Lee: And when it goes wrong?\n"
        "Tom: Then we call the duty team.\n"
    )
    parsed = parse_turns(text, default_participant="P5")
    assert [(t.role, t.speaker_label, t.participant) for t in parsed.turns] == [
        ("interviewer", "Anna Lee", None),
        ("participant", "Tom", "P5"),
        ("interviewer", "Anna Lee", None),
        ("participant", "Tom", "P5"),
    ]
    # The name's own offsets are kept so de-identification can replace it.
    first = parsed.turns[0]
    assert text[first.label_start : first.label_end] == "Anna Lee"


def test_bracketed_and_timestamped_labels_keep_the_time():
    text = "[Interviewer] What happened next?\nMary (00:01:02): We waited for the police.\n"
    parsed = parse_turns(text, default_participant="P1")
    assert [(t.role, text[t.start : t.end]) for t in parsed.turns] == [
        ("interviewer", "What happened next?"),
        ("participant", "We waited for the police."),
    ]
    assert parsed.turns[1].meta["time"] == "00:01:02"


def test_chinese_named_speakers_and_roles():
    text = "研究者：您怎么看培训？\n王芳：培训太少了。\n研究者：还有呢？\n王芳：还有就是材料多。\n"
    parsed = parse_turns(text, default_participant="P2")
    assert [(t.role, t.participant) for t in parsed.turns] == [
        ("interviewer", None), ("participant", "P2"), ("interviewer", None), ("participant", "P2"),
    ]


def test_inline_timestamps_are_metadata():
    text = "P1: [00:12:31] We went twice. [00:12:40] Nobody answered."
    (turn,) = parse_turns(text).turns
    assert [stamp[2] for stamp in turn.meta["timestamps"]] == ["00:12:31", "00:12:40"]
    start, end, _ = turn.meta["timestamps"][0]
    assert text[start:end] == "[00:12:31]"


def test_labels_from_the_config():
    from qualflow.pipeline.config import TurnsConfig

    config = TurnsConfig(label_patterns=[r"^(?P<label>Speaker \d+) - "], interviewer_names=["Speaker 1"])
    text = "Speaker 1 - How long have you worked here?\nSpeaker 2 - Six years."
    parsed = parse_turns(text, default_participant="P8", config=config)
    assert [(t.role, t.participant, text[t.start : t.end]) for t in parsed.turns] == [
        ("interviewer", None, "How long have you worked here?"),
        ("participant", "P8", "Six years."),
    ]


def test_participant_from_file_name():
    from qualflow.pipeline.turns import participant_from_file_name

    assert participant_from_file_name("P2_GMT20211119") == "P2"
    assert participant_from_file_name("interview_p07") == "P7"
    assert participant_from_file_name("SP500_notes") is None


def test_only_the_interviewer_labelled_means_the_rest_is_the_participant():
    text = (
        "1 Read the home tab.\n"
        "\tOkay, I read this and the text is clear.\n"
        "\t(The participant scrolls down)\n"
        "\tMODERATOR: Do you want to try the search box?\n"
        "\tOh, you told me that.\n"
        "\tI am using it now.\n"
    )
    parsed = parse_turns(text, default_participant="P2")
    assert [(t.role, text[t.start : t.end]) for t in parsed.turns] == [
        ("participant", "1 Read the home tab."),
        ("participant", "Okay, I read this and the text is clear."),
        ("other", "(The participant scrolls down)"),
        ("interviewer", "Do you want to try the search box?"),
        ("participant", "Oh, you told me that."),
        ("participant", "I am using it now."),
    ]
    assert {t.participant for t in parsed.turns if t.role == "participant"} == {"P2"}


def test_the_header_participant_speaking_once_is_a_speaker():
    text = ("# participant: Zara\n\nInterviewer: How do you share the caring?\n\n"
            "Zara: I do the mornings and the medication.\n\nTom: I take the nights.\n\n"
            "Interviewer: What helps?\n\nTom: The day centre on Tuesdays.\n")
    turns = parse_turns(text).turns
    assert [(t.role, t.speaker_label, t.participant) for t in turns] == [
        ("interviewer", "Interviewer", None), ("participant", "Zara", "Zara"), ("participant", "Tom", "Zara-2"),
        ("interviewer", "Interviewer", None), ("participant", "Tom", "Zara-2")]
    # Without the header a name opening one paragraph once is a speaker too (its name is replaced),
    # but a word is not ("Note: ..." inside a turn, tests/test_speaker_labels_named.py).
    assert [t.speaker_label for t in parse_turns(text.replace("# participant: Zara\n\n", "")).turns].count("Zara") == 1


def test_chinese_header_keys_and_the_header_interviewer_among_named_speakers():
    # 钱多多 asks nothing here (the questioner rule alone would make 王芳, who asks, the interviewer).
    text = ("# 受访者：P12\n# 访谈者：钱多多\n# 日期：2026-05-03\n\n"
            "钱多多：我们从您的工作开始聊。\n王芳：好的，可是要聊多久呢？我下午还要出门。\n"
            "钱多多：大概半个小时。\n王芳：那行，我做社工五年了，压力一直很大吧？\n")
    parsed = parse_turns(text)
    assert parsed.header == {"participant": "P12", "interviewer": "钱多多", "date": "2026-05-03"}
    assert [(t.speaker_label, t.role, t.participant) for t in parsed.turns] == [
        ("钱多多", "interviewer", None), ("王芳", "participant", "P12"),
        ("钱多多", "interviewer", None), ("王芳", "participant", "P12")]


def test_traditional_chinese_labels_and_a_b_labels_are_roles():
    text = "訪談者：您做這個工作多久了？\n受訪者：差不多五年了。\n訪談者：累嗎？\n受訪者：很累，家屬不理解。\n"
    assert [t.role for t in parse_turns(text, "P3").turns] == ["interviewer", "participant"] * 2
    text = "B：您好，能聊聊您的工作吗？\nA：可以。\nB：最难的是什么？\nA：家属不配合。\n"
    turns = parse_turns(text, "P3").turns
    assert [(t.speaker_label, t.role) for t in turns[:2]] == [("B", "interviewer"), ("A", "participant")]
    assert all(t.label_start is None for t in turns)


@pytest.mark.parametrize(
    "layout",
    [
        "**{label}:** {words}",  # Markdown bold, the colon inside
        "**{label}**: {words}",  # the colon outside
        "*{label}:* {words}",
        "{label} - {words}",  # a dash for a colon
        "{label} – {words}",
        "{label}\t{words}",  # a Word table pasted as text
    ],
)
def test_labels_written_in_other_common_layouts(layout):
    """Found in a researcher's audit: these files gave every line, labels and all, to one participant."""
    lines = [("Interviewer", "How long have you been teaching?"), ("P21", "About nine years now."),
             ("Interviewer", "And the hardest part?"), ("P21", "The marking never ends.")]
    text = "\n\n".join(layout.format(label=label, words=words) for label, words in lines)
    parsed = parse_turns(text)
    assert spans(text, parsed) == [
        ("interviewer", None, "How long have you been teaching?"),
        ("participant", "P21", "About nine years now."),
        ("interviewer", None, "And the hardest part?"),
        ("participant", "P21", "The marking never ends."),
    ]
    assert all(t.speaker_label in ("Interviewer", "P21") for t in parsed.turns)


@pytest.mark.parametrize("text", ["I - I don't know, really.\nIt was hard.", "Q - what was the question?\nYes."])
def test_a_one_letter_role_before_a_dash_is_no_label(text):
    """"I - I mean…" opens a participant's words: only longer role words and P-codes take a dash."""
    parsed = parse_turns(text)
    assert all(t.speaker_label is None for t in parsed.turns)
    assert text[parsed.turns[0].start : parsed.turns[0].end].startswith(text[0])
