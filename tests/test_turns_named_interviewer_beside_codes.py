"""A named interviewer beside a participant code (audit "mixed" finding 1): "Sarah: …" / "P7: …" and the
Hong Kong "訪問員：…" / "P2：…". The named speaker who mostly asks is the interviewer, as among named
speakers; when they do not ask, the run says so; 訪問員 and the other job-title words are roles, never a
person's name to replace."""

import sqlite3

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.pipeline.turns import parse_turns

SARAH = ("Sarah: Thanks for joining. What is the hardest part of your job?\n"
         "P7: The caseload is far too high, I have sixty clients and cannot keep up with the visits.\n"
         "Sarah: How does your manager support you?\n"
         "P7: My manager is kind but she is in meetings all day and the targets never change.\n"
         "Sarah: Have you thought about leaving?\n"
         "P7: Yes, three colleagues left this year and the new starters need months of training.\n")
HK = ("訪問員：多謝你今日嚟參加訪問。可唔可以講下你而家嘅工作？\n"
      "P2：好呀。我係一個 social worker，喺長者中心做咗五年。\n"
      "訪問員：你覺得份工最大嘅挑戰係咩？\n"
      "P2：我覺得係 caseload 太多，根本做唔切。\n")


def roles(parsed):
    return [(t.role, t.speaker_label, t.participant) for t in parsed.turns]


def test_a_named_speaker_who_asks_beside_a_participant_code_is_the_interviewer():
    parsed = parse_turns(SARAH, "P7")
    assert roles(parsed) == [("interviewer", "Sarah", None), ("participant", "P7", "P7")] * 3
    assert not parsed.notes
    # Still a name: the label is replaced as any named interviewer's is.
    assert SARAH[parsed.turns[0].label_start:parsed.turns[0].label_end] == "Sarah"


def test_the_same_beside_a_participant_role_word():
    text = "王芳：你做这份工作多久了？\n受访者：五年了，一直在社区。\n王芳：最难的是什么？\n受访者：人手太少。\n"
    assert [t.role for t in parse_turns(text, "P3").turns] == ["interviewer", "participant"] * 2


@pytest.mark.parametrize("word", ["訪問員", "访问员", "訪談員", "访谈员", "訪員", "访员"])
def test_interviewer_job_titles_are_roles_not_names(word):
    # No question marks at all: the word alone says who asks, and it names no one.
    text = f"{word}：講下你嘅工作。\nP2：我係社工。\n{word}：再講多啲。\nP2：好忙。\n"
    parsed = parse_turns(text, "P2")
    assert [t.role for t in parsed.turns] == ["interviewer", "participant"] * 2
    assert all(t.label_start is None for t in parsed.turns)
    assert not parsed.notes


def test_the_job_title_is_a_header_key_for_the_interviewer():
    text = "# 訪問員：陳大文\n陳大文：你好嗎？\nP2：幾好。\n"
    assert parse_turns(text, "P2").header == {"interviewer": "陳大文"}


def test_a_named_speaker_who_does_not_ask_beside_a_code_is_a_participant_and_the_run_is_told():
    text = ("Mary: The caseload is far too high and the visits never end.\n"
            "P7: We are short staffed every night.\n"
            "Mary: And the targets never change.\n"
            "P7: Nobody listens to us.\n")
    parsed = parse_turns(text, "P7")
    assert [t.role for t in parsed.turns] == ["participant"] * 4
    assert parsed.notes == ["no speaker mostly asks questions: all 2 speakers were read as participants; name "
                            "the interviewer in turns.interviewer_names or a '# interviewer:' header"]


def test_a_named_speaker_who_asks_less_than_the_coded_participant_is_not_the_interviewer():
    # Mary asks half the time, P7 every time: neither is read as the interviewer on Mary's share alone.
    text = ("Mary: Is it always like this?\nP7: Why would it change?\n"
            "Mary: We never had enough staff.\nP7: Who would come?\n")
    parsed = parse_turns(text, "P7")
    assert [t.role for t in parsed.turns] == ["participant"] * 4 and parsed.notes


def test_a_run_keeps_the_named_interviewers_questions_out_and_the_role_word_in(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    (inbox / "en_p7.txt").write_text(SARAH, "utf-8")
    (inbox / "hk_p2.txt").write_text(HK, "utf-8")
    assert code_interviews(str(inbox), str(data)).transcripts_added == 2
    connection = sqlite3.connect(data / "qualflow.sqlite")
    stored = connection.execute("select u.role, u.participant, s.text from statements s "
                                "join turns u on u.id = s.turn_id").fetchall()
    texts = [text for (text,) in connection.execute("select text from transcripts")]
    connection.close()
    said = " ".join(text for role, _, text in stored if role == "participant")
    asked = " ".join(text for role, _, text in stored if role == "interviewer")
    for question in ("hardest part of your job", "manager support you", "份工最大嘅挑戰", "講下你而家嘅工作"):
        assert question in asked and question not in said, question
    assert "caseload is far too high" in said and "長者中心" in said
    assert {participant for role, participant, _ in stored if role == "participant"} == {"P2", "P7"}
    hk = next(text for text in texts if "長者中心" in text)
    assert hk.count("訪問員：") == 2  # the role word stays, as 访谈者 does
    assert not any("Sarah" in text for text in texts)  # the named interviewer is still replaced
