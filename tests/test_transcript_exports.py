"""Speaker turns of transcripts as transcription tools export them (pipeline/turn_formats.py).

A time before the label ("[00:00:01] Interviewer: …"), Microsoft Teams' and Otter.ai's speaker-and-time
line with the words below ("Sarah Jones   0:10"), Zoom's saved transcript ("[Sarah Jones] 10:02:33"),
Rev's "Interviewer: (00:01)", the Chinese tools' "说话人1 00:00:03", and a subtitle file saved as text.
Before these were read, every line of such a file was a participant's paragraph: the interviewer's
questions went into the themes and the speakers' names into the statements.
"""

import json
import sqlite3

import pytest
from qualflow.pipeline.config import TurnsConfig
from qualflow.pipeline.turns import parse_turns


def turns_of(text, participant="P9", config=None):
    """(role, participant, label, the label's name as it sits in the text, words, time) per turn."""
    parsed = parse_turns(text, participant, config)
    return [(t.role, t.participant, t.speaker_label,
             text[t.label_start:t.label_end] if t.label_start is not None else None,
             text[t.start:t.end], t.meta.get("time")) for t in parsed.turns]


def words_said(text, parsed, role="participant"):
    """What a turn says with its timestamps cut out, as segmentation cuts them (`segment.py`)."""
    said = []
    for turn in parsed.turns:
        if turn.role != role:
            continue
        cursor, pieces = turn.start, []
        for start, end, _ in turn.meta.get("timestamps", []):
            pieces.append(text[cursor:start])
            cursor = end
        pieces.append(text[cursor:turn.end])
        said.append(" ".join(" ".join(pieces).split()))
    return said


@pytest.mark.parametrize("stamp", ["[00:00:01] ", "00:00:01 ", "(00:00:01) ", "[0:01] "])
def test_a_time_before_a_role_label(stamp):
    second = stamp.replace("01", "05", 1)
    for participant_label, participant in (("Participant", "P9"), ("P1", "P1"), ("RESPONDENT", "P9")):
        text = (f"{stamp}Interviewer: How was the shift?\n"
                f"{second}{participant_label}: It was long and we had too few nurses on the ward.\n")
        time = stamp.strip("[]() ")
        assert turns_of(text) == [
            ("interviewer", None, "Interviewer", None, "How was the shift?", time),
            ("participant", participant, participant_label, None,
             "It was long and we had too few nurses on the ward.", second.strip("[]() ")),
        ], (stamp, participant_label)


def test_named_speakers_after_a_time_are_labels_whose_names_are_found():
    recurring = ("[00:00:01] Kate Morris: How was the shift?\n[00:00:05] Mary Smith: Long and tiring.\n"
                 "[00:00:09] Kate Morris: Why was that?\n[00:00:12] Mary Smith: Too few nurses.\n")
    assert turns_of(recurring)[:2] == [
        ("interviewer", None, "Kate Morris", "Kate Morris", "How was the shift?", "00:00:01"),
        ("participant", "P9", "Mary Smith", "Mary Smith", "Long and tiring.", "00:00:05"),
    ]
    # Each name once, as in a short exchange: still speakers, shaped like people's names.
    once = "00:00:01 Interviewer: How was the shift?\n\n00:00:05 Tomasz Nowak: Paperwork eats my afternoon.\n"
    assert turns_of(once)[1] == ("participant", "P9", "Tomasz Nowak", "Tomasz Nowak",
                                 "Paperwork eats my afternoon.", "00:00:05")


TEAMS = ("Interview with ward nurse\nNovember 27, 2026, 10:00AM\n\nKate Morris started transcription\n\n"
         "Kate Morris   0:03\nHow was the shift last night?\n\n"
         "Sarah Jones   0:10\nIt was long and we had too few nurses on the ward.\n\n"
         "Kate Morris   0:25\nWhat helped?\n\n"
         "Sarah Jones   1:02:03\nThe charge nurse.\nShe stayed late every night.\n\n"
         "Kate Morris stopped transcription\n")


def test_teams_speaker_and_time_lines_are_labels():
    turns = turns_of(TEAMS)
    assert [(role, words) for role, *_, words, _ in turns if role == "other"] == [
        ("other", "Interview with ward nurse"), ("other", "November 27, 2026, 10:00AM"),
        ("other", "Kate Morris started transcription"), ("other", "Kate Morris stopped transcription")]
    assert [turn for turn in turns if turn[0] != "other"] == [
        ("interviewer", None, "Kate Morris", "Kate Morris", "How was the shift last night?", "0:03"),
        ("participant", "P9", "Sarah Jones", "Sarah Jones", "It was long and we had too few nurses on the ward.",
         "0:10"),
        ("interviewer", None, "Kate Morris", "Kate Morris", "What helped?", "0:25"),
        ("participant", "P9", "Sarah Jones", "Sarah Jones", "The charge nurse.\nShe stayed late every night.",
         "1:02:03"),
    ]
    # A role written so (the researcher renamed themselves), a tab as the gap, no blank lines.
    text = "Interviewer\t0:03\nHow was the shift?\nSarah Jones\t0:10\nIt was long.\n"
    assert [(role, label, words) for role, _, label, _, words, _ in turns_of(text)] == [
        ("interviewer", "Interviewer", "How was the shift?"), ("participant", "Sarah Jones", "It was long.")]


def test_otter_numbered_speakers_name_no_one_and_the_one_who_asks_is_the_interviewer():
    text = ("Speaker 1  0:03\nHow was the shift?\n\nSpeaker 2  0:10\nIt was long and we had too few nurses.\n\n"
            "Speaker 1  0:25\nWhat helped?\n\nSpeaker 2  0:31\nThe charge nurse stayed late.\n")
    assert [(role, label, name, time) for role, _, label, name, _, time in turns_of(text)] == [
        ("interviewer", "Speaker 1", None, "0:03"), ("participant", "Speaker 2", None, "0:10"),
        ("interviewer", "Speaker 1", None, "0:25"), ("participant", "Speaker 2", None, "0:31")]
    # Here Speaker 2 asks: the number decides nothing.
    swapped = text.replace("Speaker 1", "Speaker X").replace("Speaker 2", "Speaker 1").replace("Speaker X", "Speaker 2")
    assert [role for role, *_ in turns_of(swapped)] == ["interviewer", "participant"] * 2
    assert not parse_turns(text).notes


def test_numbered_speakers_where_no_one_asks_are_read_as_a_and_b_and_the_researcher_is_told():
    text = ("Speaker 1  0:03\nTell me about the shift.\n\n"
            "Speaker 2  0:10\nIt was long and we had too few nurses on the ward.\n")
    parsed = parse_turns(text, "P9")
    assert [(t.speaker_label, t.role) for t in parsed.turns] == [("Speaker 1", "interviewer"),
                                                                ("Speaker 2", "participant")]
    assert len(parsed.notes) == 1 and '"Speaker 1" was read as the interviewer' in parsed.notes[0]
    # The researcher says otherwise, and is heard.
    config = TurnsConfig(interviewer_names=["Speaker 2"])
    assert [t.role for t in parse_turns(text, "P9", config).turns] == ["participant", "interviewer"]
    # So for A: and B:, where the questioner rule used to overrule the researcher's word.
    a_and_b = "A：最难的是什么？\nB：家属不配合。\nA：为什么？\nB：他们不理解。\n"
    assert [t.role for t in parse_turns(a_and_b, "P9").turns] == ["interviewer", "participant"] * 2
    named_b = parse_turns(a_and_b, "P9", TurnsConfig(interviewer_names=["B"]))
    assert [t.role for t in named_b.turns] == ["participant", "interviewer"] * 2 and not named_b.notes


def test_named_speakers_where_no_one_asks_stay_participants_with_a_note():
    text = ("Kate Morris   0:03\nTell me about the shift.\n\n"
            "Sarah Jones   0:10\nIt was long and we had too few nurses on the ward.\n")
    parsed = parse_turns(text, "P9")
    assert [t.role for t in parsed.turns] == ["participant", "participant"]
    assert parsed.notes and "all 2 speakers were read as participants" in parsed.notes[0]


def test_zoom_saved_transcript_keeps_the_time_out_of_the_words():
    for gap in ("\n", " "):
        text = (f"[Kate Morris] 10:02:33{gap}How was the shift?\n"
                f"[Sarah Jones] 10:02:40{gap}It was long and we had too few nurses.\n")
        assert turns_of(text) == [
            ("interviewer", None, "Kate Morris", "Kate Morris", "How was the shift?", "10:02:33"),
            ("participant", "P9", "Sarah Jones", "Sarah Jones", "It was long and we had too few nurses.", "10:02:40"),
        ], repr(gap)


def test_a_subtitle_file_saved_as_text_keeps_its_cue_lines_out_of_the_statements():
    text = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nKate Morris: How was the shift?\n\n"
            "2\n00:00:05.000 --> 00:00:12.000\nSarah Jones: It was long and we had too few nurses.\n\n"
            "3\n00:00:12.500 --> 00:00:15.000\nand the agency staff did not know the ward.\n")
    parsed = parse_turns(text, "P9")
    assert [(t.role, t.speaker_label, t.meta.get("time")) for t in parsed.turns] == [
        ("interviewer", "Kate Morris", "00:00:01.000"), ("participant", "Sarah Jones", "00:00:05.000")]
    assert words_said(text, parsed) == [
        "It was long and we had too few nurses. and the agency staff did not know the ward."]
    srt = "1\n00:00:01,000 --> 00:00:04,000\nP1: We start at seven.\n\n2\n00:00:04,500 --> 00:00:06,000\nEvery day.\n"
    assert words_said(srt, parse_turns(srt)) == ["We start at seven. Every day."]


def test_rev_times_after_the_label():
    text = ("Interviewer: (00:01)\nHow was the shift?\n\nSarah Jones: (00:10)\nIt was long and we had too few nurses.\n\n"
            "Speaker 3 (00:25):\nSorry, wrong room.\n")
    assert turns_of(text) == [
        ("interviewer", None, "Interviewer", None, "How was the shift?", "00:01"),
        ("participant", "P9", "Sarah Jones", "Sarah Jones", "It was long and we had too few nurses.", "00:10"),
        ("participant", "P9-2", "Speaker 3", None, "Sorry, wrong room.", "00:25"),
    ]
    numbered = "Speaker 1 (00:00):\nHow was the shift?\n\nSpeaker 2 (00:05):\nIt was long.\n"
    assert [(role, label, time) for role, _, label, _, _, time in turns_of(numbered)] == [
        ("interviewer", "Speaker 1", "00:00"), ("participant", "Speaker 2", "00:05")]


def test_chinese_tools_speaker_and_time_lines():
    xunfei = ("说话人1 00:00:03\n您好，能聊聊您的工作吗？\n\n说话人2 00:00:10\n可以，我在社区做了五年。\n\n"
              "说话人1 00:01:02\n最难的是什么？\n\n说话人2 00:01:10\n家属不配合。\n")
    assert turns_of(xunfei) == [
        ("interviewer", None, "说话人1", None, "您好，能聊聊您的工作吗？", "00:00:03"),
        ("participant", "P9", "说话人2", None, "可以，我在社区做了五年。", "00:00:10"),
        ("interviewer", None, "说话人1", None, "最难的是什么？", "00:01:02"),
        ("participant", "P9", "说话人2", None, "家属不配合。", "00:01:10"),
    ]
    feishu = "说话人 1 00:03\n您好，能聊聊您的工作吗？\n说话人 2 00:10\n可以，我在社区做了五年。\n"
    assert [(t.role, t.label_start) for t in parse_turns(feishu, "P9").turns] == [
        ("interviewer", None), ("participant", None)]
    roles = "访谈者 00:01:02\n您好，能聊聊您的工作吗？\n受访者 00:01:10\n可以，我在社区做了五年。\n"
    parsed = parse_turns(roles, "P9")
    assert [t.role for t in parsed.turns] == ["interviewer", "participant"]
    assert not parsed.notes  # a label now, so no "no colon" warning
    named = ("王芳 00:00:03\n您好，能聊聊您的工作吗？\n李明 00:00:10\n可以，我在社区做了五年。\n"
             "王芳 00:00:20\n最难的是什么？\n李明 00:00:25\n家属不配合。\n")
    assert [(role, name) for role, _, _, name, _, _ in turns_of(named)][:2] == [
        ("interviewer", "王芳"), ("participant", "李明")]


@pytest.mark.parametrize("text", [
    "We met at the ward.\n\nLunch 12:30\nWe ate quickly and went back.\n",  # a heading, once
    "Morning 08:00\nWe handed over.\n\nLunch 12:30\nWe ate quickly.\n",  # single words, no speaker beside them
    "Break 10:30\nWe sat down.\n\nBreak 15:00\nAgain.\n",  # recurring, but a common word
    "P1: We start at\n07:30 and finish late.\n",  # a time opening a line of words
    "P1: We had a rule.\n[00:12:31] Note: never go alone.\n",  # a time before a word with a colon
    "At 10:30 we went out.\n\n12:00 was lunch.\n",
])
def test_times_in_ordinary_text_make_no_speaker(text):
    parsed = parse_turns(text, "P9")
    assert all(t.label_start is None for t in parsed.turns)
    assert {t.speaker_label for t in parsed.turns} <= {None, "P1"}
    assert {t.role for t in parsed.turns} == {"participant"}


def run_and_read(tmp_path, inbox):
    """A real `qualflow run` of `inbox`, then its exported rows, the stored (role, statement) pairs, and the
    participants' and the interviewers' statements, each joined into one text."""
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    data, runner = tmp_path / "data", CliRunner()
    result = runner.invoke(app, ["run", str(inbox), "--data", str(data)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "a.json"
    result = runner.invoke(app, ["export", "assignments", "--format", "json", "--data", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text("utf-8"))
    connection = sqlite3.connect(data / "qualflow.sqlite")
    stored = connection.execute("select u.role, s.text from statements s join turns u on u.id = s.turn_id").fetchall()
    connection.close()
    statements = " ".join(text for role, text in stored if role == "participant")
    asked = " ".join(text for role, text in stored if role == "interviewer")
    return rows, stored, statements, asked


def _teams_docx(path, entries):
    import docx

    document = docx.Document()
    document.add_paragraph("Interview P51")
    document.add_paragraph("November 27, 2026, 10:00AM")
    for speaker, time, words in entries:
        document.add_paragraph(f"{speaker}   {time}")
        document.add_paragraph(words)
    document.add_paragraph(f"{entries[0][0]} stopped transcription")
    document.save(path)


def test_a_run_of_teams_and_timestamped_exports_keeps_questions_and_names_out(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _teams_docx(inbox / "P51_teams.docx", [
        ("Kate Morris", "0:03", "How has the night shift been for you lately?"),
        ("Sarah Jones", "0:10", "Exhausting. We are short staffed every night and the caseload keeps rising."),
        ("Kate Morris", "0:41", "What would make the biggest difference to you?"),
        ("Sarah Jones", "0:52", "Two more nurses on nights, and a manager who listens to the ward."),
    ])
    (inbox / "P52_stamped.txt").write_text(
        "[00:00:01] Interviewer: What is the hardest part of home visits?\n"
        "[00:00:06] Tomasz Nowak: Driving between villages eats half of every working day.\n"
        "[00:00:20] Interviewer: Which part of the paperwork takes longest?\n"
        "[00:00:26] Tomasz Nowak: The medication charts, because every change needs a second signature.\n", "utf-8")
    rows, stored, statements, asked = run_and_read(tmp_path, inbox)
    assert "short staffed" in statements and "medication charts" in statements  # the participants are there
    for question in ("night shift been", "biggest difference", "hardest part", "paperwork takes longest"):
        assert question not in statements and question in asked, question
        assert not any(question in row["text"] for row in rows), question
    exported = json.dumps(rows) + json.dumps(stored)
    for name in ("Kate", "Morris", "Sarah", "Jones", "Tomasz", "Nowak"):
        assert name not in exported, name
    for stamp in ("0:10", "0:52", "00:00:06", "00:00:26"):
        assert stamp not in statements, stamp
    assert "stopped transcription" not in statements  # Teams' own note, no one's words
