"""Speaker turns of three more layouts transcription tools export (pipeline/turn_formats.py).

- the speaker, a time and the words on one line: `Sarah Jones 0:10 So tell me about your shifts.`,
  `Speaker 1 00:03 Thanks for joining.`, `说话人1 00:00:03 你好，我们开始吧。`;
- Otter.ai's plain text without timestamps: the speaker's name alone on a line, the words below, a blank
  line between turns (and Otter's "Transcribed by https://otter.ai" at the end);
- a Chinese name once in the speaker-and-time form (`王芳 00:01:02`) beside other such labels.

Before 2026-11-27 each was read as one participant's paragraphs: the interviewer's questions were clustered,
the names and times sat in the statements (`王芳 00:01:02` was even joined to the interviewer's turn
before it). The ambiguous look-alikes (diary lines with times, headed paragraphs, a poem) stay text.
"""

import pytest
from qualflow.pipeline.turns import parse_turns


def turns_of(text, participant="P9"):
    """(role, participant, label, the label's name as it sits in the text, words, time) per turn."""
    parsed = parse_turns(text, participant)
    return [(t.role, t.participant, t.speaker_label,
             text[t.label_start:t.label_end] if t.label_start is not None else None,
             text[t.start:t.end], t.meta.get("time")) for t in parsed.turns]


def test_speaker_time_and_words_on_one_line():
    text = ("Sarah Jones 0:10 So tell me about your shifts. What are nights like?\n"
            "Priya Patel 0:16 Long. We are two nurses for twenty-eight beds.\n"
            "Sarah Jones 0:31 What helps?\n"
            "Priya Patel 0:35 The charge nurse. She stays late.\n"
            "Tomasz Nowak 1:02:03 Sorry, I think I have the wrong room.\n")
    assert turns_of(text) == [
        ("interviewer", None, "Sarah Jones", "Sarah Jones", "So tell me about your shifts. What are nights like?",
         "0:10"),
        ("participant", "P9", "Priya Patel", "Priya Patel", "Long. We are two nurses for twenty-eight beds.", "0:16"),
        ("interviewer", None, "Sarah Jones", "Sarah Jones", "What helps?", "0:31"),
        ("participant", "P9", "Priya Patel", "Priya Patel", "The charge nurse. She stays late.", "0:35"),
        # Once only, but shaped like a person's name beside other speakers: a label, its name replaced.
        ("participant", "P9-2", "Tomasz Nowak", "Tomasz Nowak", "Sorry, I think I have the wrong room.", "1:02:03"),
    ]


def test_numbered_speakers_with_the_words_on_the_same_line():
    text = ("Speaker 1 00:03 Thanks for joining. How long have you worked on the ward?\n"
            "Speaker 2 00:09 Six years, mostly nights.\n"
            "and the last two were the hardest.\n"  # a wrapped line: still Speaker 2's
            "Speaker 1 00:20 Why were they hardest?\n"
            "Speaker 2 00:25 We lost half the team.\n")
    assert turns_of(text) == [
        ("interviewer", None, "Speaker 1", None, "Thanks for joining. How long have you worked on the ward?", "00:03"),
        ("participant", "P9", "Speaker 2", None, "Six years, mostly nights.\nand the last two were the hardest.",
         "00:09"),
        ("interviewer", None, "Speaker 1", None, "Why were they hardest?", "00:20"),
        ("participant", "P9", "Speaker 2", None, "We lost half the team.", "00:25"),
    ]


def test_chinese_speakers_with_the_words_on_the_same_line():
    text = ("说话人1 00:00:03 你好，我们开始吧。您在社区做了多久？\n"
            "说话人2 00:00:10 五年了，主要做精神康复。\n"
            "说话人1 00:01:02 最难的是什么？\n"
            "说话人2 00:01:10 家属不配合。\n")
    assert [(role, label, words, time) for role, _, label, _, words, time in turns_of(text)] == [
        ("interviewer", "说话人1", "你好，我们开始吧。您在社区做了多久？", "00:00:03"),
        ("participant", "说话人2", "五年了，主要做精神康复。", "00:00:10"),
        ("interviewer", "说话人1", "最难的是什么？", "00:01:02"),
        ("participant", "说话人2", "家属不配合。", "00:01:10"),
    ]
    roles = "访谈者 00:00:03 您好，能聊聊您的工作吗？\n受访者 00:00:10 可以，我在社区做了五年。\n"
    parsed = parse_turns(roles, "P9")
    assert [(t.role, roles[t.start:t.end]) for t in parsed.turns] == [
        ("interviewer", "您好，能聊聊您的工作吗？"), ("participant", "可以，我在社区做了五年。")]
    assert not parsed.notes  # labels, so no "访谈者 and a space but no colon" warning


@pytest.mark.parametrize("text", [
    "Lunch 12:30 we ate quickly and went back to the ward.\n",
    "Break 10:30 we sat down.\n\nBreak 15:00 again, only ten minutes.\n",  # recurring, but common words
    "At 10:30 we went out.\nAt 12:00 we came back.\n",
    # A clinical note: one person with times is no conversation.
    "Dr Patel 10:30 reviewed the chart.\nDr Patel 14:00 discharged him home.\n",
    # A fieldworker's diary: 上午/下午 are times of day, not speakers.
    "上午 9:00 到达社区，见了居委会。\n下午 2:30 访谈结束。\n上午 10:00 第二天再去。\n下午 3:00 回到单位。\n",
    "週一 9:00 到達社區。\n週三 14:00 回到單位。\n週一 10:00 再去一次。\n週三 15:00 寫記錄。\n",  # Traditional
])
def test_times_at_the_start_of_ordinary_lines_make_no_speaker(text):
    parsed = parse_turns(text, "P9")
    assert {(t.role, t.speaker_label, t.label_start) for t in parsed.turns} == {("participant", None, None)}
    assert "".join("".join(text[t.start:t.end].split()) for t in parsed.turns) == "".join(text.split())
    assert not parsed.notes


OTTER = ("Sarah Jones\nSo tell me about your shifts. What are nights like on the ward?\n\n"
         "Priya Patel\nWell, they are long. We are two nurses for twenty-eight beds,\n"
         "and the agency staff do not know the ward.\n\n"
         "Sarah Jones\nWhat helps on a bad night?\n\n"
         "Priya Patel\nThe charge nurse. She stays late every night.\n\n"
         "Sarah Jones\nAnd when she is off?\n\n"
         "Priya Patel\nThen we just cope.\n\n"
         "Transcribed by https://otter.ai\n")


def test_otter_plain_text_without_timestamps():
    turns = turns_of(OTTER)
    assert turns[:3] == [
        ("interviewer", None, "Sarah Jones", "Sarah Jones",
         "So tell me about your shifts. What are nights like on the ward?", None),
        ("participant", "P9", "Priya Patel", "Priya Patel",
         "Well, they are long. We are two nurses for twenty-eight beds,\nand the agency staff do not know the ward.",
         None),
        ("interviewer", None, "Sarah Jones", "Sarah Jones", "What helps on a bad night?", None),
    ]
    assert [role for role, *_ in turns] == ["interviewer", "participant"] * 3 + ["other"]
    assert turns[-1][4] == "Transcribed by https://otter.ai"  # Otter's note, no one's words
    # Numbered stand-ins and role words alone on a line read the same way.
    numbered = OTTER.replace("Sarah Jones", "Speaker 1").replace("Priya Patel", "Speaker 2")
    assert [(role, label) for role, _, label, *_ in turns_of(numbered)][:2] == [
        ("interviewer", "Speaker 1"), ("participant", "Speaker 2")]
    zh = "访谈者\n您好，能聊聊您的工作吗？\n\n受访者\n可以，我在社区做了五年。\n\n访谈者\n最难的是什么？\n\n受访者\n家属不配合。\n"
    assert [(role, words) for role, _, _, _, words, _ in turns_of(zh)][:2] == [
        ("interviewer", "您好，能聊聊您的工作吗？"), ("participant", "可以，我在社区做了五年。")]


HEADED_ESSAY = ("Early Career\nI trained in Leeds and started on a surgical ward in 2009.\n\n"
                "Night Shifts\nNights were where I learnt the most, and where I nearly left.\n\n"
                "Leaving Home\nMoving south meant leaving my family behind.\n\n"
                "Night Shifts\nI still do two a month, by choice now.\n")
POEM = ("Morning Comes\nand the ward is quiet,\nthe kettle on.\n\n"
        "Morning Comes\nand I count the beds\nthat emptied in the night.\n\n"
        "Evening Falls\nand I count them again.\n\n"
        "Evening Falls\nand nobody asks.\n")


@pytest.mark.parametrize("text", [
    HEADED_ESSAY, POEM,
    # A short list of people with their jobs: each name once, no conversation.
    "Sarah Jones\nCharge nurse, ward 7.\n\nPriya Patel\nStaff nurse, nights.\n\nTomasz Nowak\nPorter.\n",
])
def test_paragraphs_opening_with_a_short_line_stay_a_monologue(text):
    parsed = parse_turns(text, "P9")
    assert {(t.role, t.speaker_label) for t in parsed.turns} == {("participant", None)}
    assert len(parsed.turns) == len([line for line in text.split("\n") if line.strip()])  # a turn per line


def test_a_poem_inside_a_labelled_answer_stays_the_participants_words():
    text = "Interviewer: Did you write anything about it?\n\nP3: I did, a sort of poem.\n\n" + POEM
    parsed = parse_turns(text)
    assert [(t.role, t.speaker_label) for t in parsed.turns] == [("interviewer", "Interviewer"), ("participant", "P3")]
    assert text[parsed.turns[1].start:parsed.turns[1].end].endswith("and nobody asks.")


def test_a_chinese_name_once_in_the_speaker_and_time_form_is_a_label():
    text = "访谈者 00:00:01\n您好，能聊聊您的工作吗？\n王芳 00:01:02\n可以，我在社区做了五年。\n"
    assert turns_of(text) == [
        ("interviewer", None, "访谈者", None, "您好，能聊聊您的工作吗？", "00:00:01"),
        ("participant", "P9", "王芳", "王芳", "可以，我在社区做了五年。", "00:01:02"),
    ]
    # A family member speaking once among a tool's numbered speakers: their own turn, not the
    # interviewer's, and their name replaced as a label's.
    family = ("说话人1 00:00:01\n您好，能聊聊您的工作吗？\n\n说话人2 00:00:10\n可以，我在社区做了五年。\n\n"
              "说话人1 00:00:30\n最难的是什么？\n\n王芳 00:01:02\n他以前不吃药，现在好多了。\n\n"
              "说话人2 00:01:20\n家属不配合是最难的。\n")
    assert [(role, label, name, words) for role, _, label, name, words, _ in turns_of(family)][3:] == [
        ("participant", "王芳", "王芳", "他以前不吃药，现在好多了。"),
        ("participant", "说话人2", None, "家属不配合是最难的。"),
    ]


def test_a_chinese_time_of_day_once_beside_labels_stays_text():
    text = "访谈者 00:00:01\n您平时几点下班？\n受访者 00:00:05\n一般是这样：\n下午 5:30\n就走了，除非有急事。\n"
    parsed = parse_turns(text, "P9")
    assert [(t.speaker_label, text[t.start:t.end]) for t in parsed.turns] == [
        ("访谈者", "您平时几点下班？"), ("受访者", "一般是这样：\n下午 5:30\n就走了，除非有急事。")]


@pytest.mark.parametrize("label_line", ["Interviewer  0:03", "访谈者 00:00:03", "Interviewer: (00:01)", "MODERATOR:"])
def test_a_label_alone_on_its_line_keeps_the_words_below_where_only_the_interviewer_is_labelled(label_line):
    # Think-aloud and field notes label only the interviewer, so unlabelled paragraphs are the
    # participant's; but the lines right below a label with nothing on its line, up to its question, are
    # the label's words. Before, "How was the shift?" was read as the participant's and clustered.
    # (Until 2026-11-28 this asserted "How was the shift?\nAnd the handover?" as the interviewer's: every
    # line down to the blank one. A line after a question is as likely the participant's answer, and an
    # answer read as a question is lost, so the words below now end at the first question; a question
    # wrapped over two lines is still one.)
    text = f"{label_line}\nHow was the shift last\nnight?\n\nIt was long, and the handover was rushed.\n"
    parsed = parse_turns(text, "P9")
    assert [(t.role, text[t.start:t.end]) for t in parsed.turns] == [
        ("interviewer", "How was the shift last\nnight?"),
        ("participant", "It was long, and the handover was rushed."),
    ]


def test_a_run_of_these_layouts_keeps_questions_names_and_times_out_of_the_statements(tmp_path):
    import json

    from test_transcript_exports import run_and_read

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "P61_otter.txt").write_text(
        "Kate Morris\nHow has the night shift been for you lately?\n\n"
        "Sarah Jones\nExhausting. We are short staffed every night and the caseload keeps rising.\n\n"
        "Kate Morris\nWhat would make the biggest difference to you?\n\n"
        "Sarah Jones\nTwo more nurses on nights, and a manager who listens to the ward.\n\n"
        "Transcribed by https://otter.ai\n", "utf-8")
    (inbox / "P62_one_line.txt").write_text(
        "Kate Morris 0:03 What is the hardest part of home visits?\n"
        "Tomasz Nowak 0:09 Driving between villages eats half of every working day.\n"
        "Kate Morris 0:31 Which part of the paperwork takes longest?\n"
        "Tomasz Nowak 0:38 The medication charts, because every change needs a second signature.\n", "utf-8")
    (inbox / "P63_讯飞.txt").write_text(
        "说话人1 00:00:01 您好，社区随访里最难的是什么？\n"
        "说话人2 00:00:08 家属不配合，很多人不愿意让我们进门。\n"
        "说话人1 00:00:40 那您一般怎么办？\n"
        "王芳 00:01:02\n我是他女儿，其实我们是怕邻居知道。\n", "utf-8")
    rows, stored, statements, asked = run_and_read(tmp_path, inbox)
    for said in ("short staffed", "medication charts", "家属不配合", "怕邻居知道"):
        assert said in statements, said
    for question in ("night shift been", "biggest difference", "hardest part", "paperwork takes longest",
                     "最难的是什么", "怎么办"):
        assert question not in statements and question in asked, question
        assert not any(question in row["text"] for row in rows), question
    exported = json.dumps(rows, ensure_ascii=False) + json.dumps(stored, ensure_ascii=False)
    for name in ("Kate", "Morris", "Sarah", "Jones", "Tomasz", "Nowak", "王芳"):
        assert name not in exported, name
    for stamp in ("0:09", "0:38", "00:00:08", "00:01:02", "otter.ai"):
        assert stamp not in statements, stamp


# Review of 2026-11-28 (turnsfix): three layouts the rules above misread.

@pytest.mark.parametrize("text", [
    # A medication diary: 吃药/散步 recur with times, but are activities, not people. They were read as two
    # participants (P9, P9-2) and replaced as persons' names.
    "吃药 8:00 血压140，有点头晕。\n散步 18:00 走了半小时，忘了吃药。\n吃药 20:00 血压130。\n散步 19:00 下雨没去散步。\n",
    "早餐 7:30 吃了面。\n午饭 12:00 在食堂。\n早餐 7:00 没吃。\n午饭 12:30 外卖。\n",
    # The same with the words below each line.
    "吃药 8:00\n血压140，有点头晕。\n散步 18:00\n走了半小时。\n吃药 20:00\n血压130。\n散步 21:00\n没去。\n",
])
def test_a_chinese_diarys_recurring_words_with_times_are_no_speakers(text):
    from qualflow.pipeline.deidentify import Pseudonymiser
    from qualflow.pipeline.redact import redact

    parsed = parse_turns(text, "P9")
    assert {(t.role, t.participant, t.speaker_label, t.label_start) for t in parsed.turns} == {
        ("participant", "P9", None, None)}
    assert "".join("".join(text[t.start:t.end].split()) for t in parsed.turns) == "".join(text.split())
    redacted = redact(text, parsed, [], Pseudonymiser())
    assert redacted.text == text  # no activity replaced as a person's name


def test_chinese_names_roles_and_numbered_speakers_with_times_are_still_speakers():
    recurring = ("李明 00:00:01\n您好，能聊聊您的工作吗？\n王芳 00:00:05\n可以，我在社区做了五年。\n"
                 "李明 00:00:20\n最难的是什么？\n王芳 00:00:30\n家属不配合。\n")
    assert [(role, label, name, words) for role, _, label, name, words, _ in turns_of(recurring)][:2] == [
        ("interviewer", "李明", "李明", "您好，能聊聊您的工作吗？"), ("participant", "王芳", "王芳", "可以，我在社区做了五年。")]
    same_line = recurring.replace(" 00:00:01\n", " 00:00:01 ").replace(" 00:00:05\n", " 00:00:05 ")
    assert [(label, words) for _, _, label, _, words, _ in turns_of(same_line)][:2] == [
        ("李明", "您好，能聊聊您的工作吗？"), ("王芳", "可以，我在社区做了五年。")]
    numbered = "说话人1 00:00:03\n您在社区做了多久？\n说话人2 00:00:10\n五年了。\n"
    assert [(role, label) for role, _, label, *_ in turns_of(numbered)] == [
        ("interviewer", "说话人1"), ("participant", "说话人2")]
    roles = "访谈者 00:01:02\n您在社区做了多久？\n受访者 00:01:10\n五年了。\n"
    assert [(role, words) for role, _, _, _, words, _ in turns_of(roles)] == [
        ("interviewer", "您在社区做了多久？"), ("participant", "五年了。")]


def test_a_surname_and_title_alone_on_its_line_with_times_is_a_speaker():
    """讯飞听见 and Teams name speakers as the transcriber knows them, often 李老师 or 王医生: alone on their lines
    with times, again and again, they are speakers (as they were before the diary rule); with the words beside
    the time ("王医生 10:00 查房") they are a ward's notes and stay text."""
    text = ("李老师 00:00:01\n您好，能聊聊您的工作吗？\n王芳 00:00:05\n可以，我在社区做了五年。\n"
            "李老师 00:00:20\n最难的是什么？\n王芳 00:00:30\n家属不配合。\n")
    assert [(role, label) for role, _, label, *_ in turns_of(text)] == [
        ("interviewer", "李老师"), ("participant", "王芳"), ("interviewer", "李老师"), ("participant", "王芳")]
    notes = "王医生 10:00 查房，三床发热。\n李护士 11:00 换药。\n王医生 14:00 再次查房。\n"
    assert {label for _, _, label, *_ in turns_of(notes)} == {None}


ROTA_ANSWER = ("Interviewer: Who was on?\n\nP3: The rota said\nSarah Jones 7:00 to 19:00\nPriya Patel 19:00 to 7:00\n"
               "so I was alone.\n")


def test_names_with_times_inside_a_labelled_answer_stay_its_words():
    # "Sarah Jones 7:00 to 19:00" was read as Sarah Jones saying "to 19:00": P3's answer split among
    # made-up participants. Beside colon labels, the same-line form is no label.
    parsed = parse_turns(ROTA_ANSWER, "P9")
    assert [(t.role, t.participant, ROTA_ANSWER[t.start:t.end]) for t in parsed.turns] == [
        ("interviewer", None, "Who was on?"),
        ("participant", "P3", "The rota said\nSarah Jones 7:00 to 19:00\nPriya Patel 19:00 to 7:00\nso I was alone."),
    ]


@pytest.mark.parametrize("text", [
    # A travel narrative: each place once, so no one takes turns.
    "Kuala Lumpur 9:30 we landed and took the train.\nPenang Island 14:00 we got the ferry.\n",
    # A rota written alone: Sarah Jones recurs beside Priya Patel, but the times go back, as a recording's never do.
    "Sarah Jones 7:00 to 19:00 on the ward.\nPriya Patel 19:00 to 7:00 on nights.\nSarah Jones 7:00 to 19:00 again.\n",
])
def test_places_and_rotas_with_times_on_one_line_make_no_speaker(text):
    parsed = parse_turns(text, "P9")
    assert {(t.role, t.speaker_label, t.label_start) for t in parsed.turns} == {("participant", None, None)}
    assert [text[t.start:t.end] for t in parsed.turns] == text.strip().split("\n")


@pytest.mark.parametrize("moderator", ["MODERATOR:", "Interviewer  0:03", "主持人：", "Interviewer: (00:01)"])
def test_in_a_think_aloud_the_line_after_the_moderators_question_is_the_participants(moderator):
    # Only the moderator is labelled, and the participant answers on the line right below the question:
    # the answer was the moderator's, so lost to the statements.
    text = (f"{moderator}\nWhat do you see on this page?\nUm, a button, I guess. And a menu.\n\n"
            f"{moderator}\nAnd now?\nNothing.\n\n"
            f"{moderator}\nPlease open the settings.\nOkay, the gear icon. Is that it?\n\n"
            f"{moderator}\n这个按钮是做什么的？\n不知道，可能是保存。\n")
    parsed = parse_turns(text, "P9")
    assert [(t.role, text[t.start:t.end]) for t in parsed.turns] == [
        ("interviewer", "What do you see on this page?"), ("participant", "Um, a button, I guess. And a menu."),
        ("interviewer", "And now?"), ("participant", "Nothing."),
        # No question ends the moderator's sentence: the first line only is theirs, the rest the participant's.
        ("interviewer", "Please open the settings."), ("participant", "Okay, the gear icon. Is that it?"),
        ("interviewer", "这个按钮是做什么的？"), ("participant", "不知道，可能是保存。"),
    ]
