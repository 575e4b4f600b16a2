"""Chinese transcripts' participants, headers and labels (audit 9, items 4, 5, 6, 7, 12): a file name
is no participant's name, Chinese header keys are read, Traditional and A/B labels are roles."""

import sqlite3

from qualflow.flows.cli import app
from qualflow.pipeline.deidentify import Pseudonymiser
from qualflow.pipeline.redact import redact
from qualflow.pipeline.segment import _split_long
from qualflow.pipeline.turns import parse_turns, participant_from_file_name
from typer.testing import CliRunner

runner = CliRunner()

ANSWERS = ("受访者：每天都要跑很多家，病人的家属常常不理解我们的工作，压力很大。\n\n"
           "访谈者：什么对你有帮助？\n\n"
           "受访者：同事之间互相帮忙，还有每个月的督导和培训，对我帮助很大。\n")
HEADED = ("# 受访者：P12\n# 访谈者：钱多多\n# 日期：2026-05-03\n\n"
          "访谈者：您平时的工作怎么样？\n\n" + ANSWERS)


def test_chinese_header_keys_give_participant_interviewer_and_date():
    parsed = parse_turns(HEADED, default_participant="访谈记录")
    assert parsed.header == {"participant": "P12", "interviewer": "钱多多", "date": "2026-05-03"}
    assert {t.participant for t in parsed.turns if t.role == "participant"} == {"P12"}


def test_a_name_in_a_chinese_interviewer_header_leaves_the_text_even_when_the_detector_misses_it():
    parsed = parse_turns(HEADED)
    redacted = redact(HEADED, parsed, [], Pseudonymiser())  # no findings: the detector missed 钱多多
    assert "钱多多" not in redacted.text
    assert redacted.parsed.header["interviewer"].startswith("[PERSON_")
    assert redacted.parsed.header["participant"] == "P12"


def test_a_header_value_naming_a_speaker_is_replaced_whatever_its_key():
    text = "# 记录：李明\n\n李明：你最近怎么样？\n王芳：还行，就是很累。\n李明：为什么累？\n王芳：病人太多了，每天加班。\n"
    redacted = redact(text, parse_turns(text), [], Pseudonymiser())
    assert "李明" not in redacted.text and "王芳" not in redacted.text


def test_traditional_chinese_role_labels_are_roles_not_names():
    text = ("訪談者：您做這個工作多久了？\n受訪者：差不多五年了，一開始在醫院。\n"
            "訪問者：最難的是什麼？\n被訪者：家屬不理解，壓力很大。\n採訪者：好的。\n參與者：謝謝。\n")
    turns = parse_turns(text, default_participant="P4").turns
    assert [t.role for t in turns] == ["interviewer", "participant"] * 3
    assert all(t.label_start is None for t in turns)  # no label is taken for a person's name


def test_a_and_b_labels_the_one_asking_questions_is_the_interviewer():
    text = ("A：孙老师好，今天想跟您聊聊您的工作，可以吗？\nB：可以，没问题。\n"
            "A：您觉得做这个工作最难的地方是什么？\nB：最难的是家属不配合，很多时候要跑好几趟。\n"
            "A：您对未来有什么打算？\nB：想多学一点心理咨询的知识。\n")
    turns = parse_turns(text, default_participant="P2").turns
    assert [(t.speaker_label, t.role) for t in turns[:2]] == [("A", "interviewer"), ("B", "participant")]
    assert {t.participant for t in turns if t.role == "participant"} == {"P2"}
    assert all(t.label_start is None for t in turns)  # "B" is never pseudonymised as a person
    swapped = text.replace("A：", "X：").replace("B：", "A：").replace("X：", "B：")
    assert [t.role for t in parse_turns(swapped).turns[:2]] == ["interviewer", "participant"]


def test_a_one_letter_label_is_never_a_person():
    text = "M: How was the week?\nJ: Long, the ward was short of staff again.\nM: Why?\nJ: Two nurses left.\n"
    redacted = redact(text, parse_turns(text, default_participant="P1"), [], Pseudonymiser())
    assert [t.speaker_label for t in redacted.parsed.turns] == ["M", "J", "M", "J"]
    assert redacted.replacements == []


def test_chinese_participant_codes_in_file_names():
    assert participant_from_file_name("受访者03") == "P3"
    assert participant_from_file_name("编号7_社工") == "P7"
    assert participant_from_file_name("受訪者12") == "P12"
    # An interview number is only taken when no name is in the file name (flows/ingesting.py): not here.
    assert participant_from_file_name("访谈12") is None
    assert participant_from_file_name("访谈2024年5月3日") is None


def test_unpunctuated_chinese_is_cut_at_spaces_between_clauses():
    text = ("嗯 差不多有五年了吧 一开始是在街道做残联 后来才转到精防这边 每天要跑好几家 病人的家属有的很配合 "
            "有的根本不让进门 我们也没有办法 只能一趟一趟地去 有时候一天下来一个都没见着 回来还要写记录 "
            "上面的检查也多 表格一张接一张 说实话挺累的 工资也不高 其实没人关心我们这些人")
    parts = _split_long(text, (0, len(text)), 120)
    assert len(parts) >= 2 and all(end - start <= 120 for start, end in parts)
    assert all(text[start] != " " and text[end - 1] != " " for start, end in parts)


def test_labels_without_a_colon_are_warned_about():
    text = "访谈者 你好 请问你做这个工作多久了\n受访者 差不多五年了 一开始是在街道\n访谈者 累吗\n受访者 很累\n"
    parsed = parse_turns(text, default_participant="P1")
    assert any("访谈者" in note and "colon" in note for note in parsed.notes)


def _write(folder, name, text):
    (folder / name).write_text(text, "utf-8")


def _dump(data) -> str:
    connection = sqlite3.connect(data / "qualflow.sqlite")
    try:
        return "\n".join(line for line in connection.iterdump() if "INSERT INTO \"pseudonyms\"" not in line)
    finally:
        connection.close()


def _participants(data) -> dict[str, set[str]]:
    connection = sqlite3.connect(data / "qualflow.sqlite")
    try:
        rows = connection.execute(
            "select t.source_name, u.participant from transcripts t join turns u on u.transcript_id = t.id "
            "where t.superseded_by_id is null and u.role = 'participant'").fetchall()
    finally:
        connection.close()
    found: dict[str, set[str]] = {}
    for name, participant in rows:
        found.setdefault(name, set()).add(participant)
    return found


def test_chinese_files_get_participant_codes_not_their_names_end_to_end(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    _write(inbox, "访谈12.txt", "访谈者：您平时的工作怎么样？\n\n" + ANSWERS)
    _write(inbox, "精防医生访谈_表格.txt", "访谈者：您做精防工作多久了？\n\n" + ANSWERS.replace("家属", "亲属"))
    _write(inbox, "访谈记录.txt", HEADED.replace("P12", "P5").replace("督导", "讲座"))
    _write(inbox, "访谈_王芳.txt",
           "李明：您做这个工作多久了？\n王芳：差不多五年了，一开始在街道做残联，后来才转到精防这边。\n"
           "李明：您觉得最难的是什么？\n王芳：家属不理解，有的根本不让进门，我们也没有办法，只能一趟一趟地去。\n")
    result = runner.invoke(app, ["run", str(inbox), "--config", "zh", "--data", str(data)])
    assert result.exit_code == 0, result.output
    found = _participants(data)
    assert found["访谈12.txt"] == {"P12"}  # the interview number in the name
    assert found["访谈记录.txt"] == {"P5"}  # the 受访者 header
    assert found["精防医生访谈_表格.txt"] == {"P13"}  # no code, no name: the next free id
    (wang,) = found["访谈_王芳.txt"]
    connection = sqlite3.connect(data / "qualflow.sqlite")
    labels = {label for (label,) in connection.execute(
        "select speaker_label from turns where role = 'participant' and participant = ?", (wang,))}
    people = {real for (real,) in connection.execute("select real from pseudonyms where kind = 'PERSON'")}
    meta = [m for (m,) in connection.execute("select meta from transcripts where source_name = '访谈记录.txt'")]
    connection.close()
    assert labels == {wang}, labels  # one person, one placeholder: the speaker's and the participant's
    assert not any("访谈" in real or "表格" in real for real in people), people  # no file stem is a person
    assert '"date": "2026-05-03"' in meta[0]
    dump = _dump(data)
    for name in ("王芳", "李明", "钱多多"):
        assert name not in dump.replace("访谈_王芳.txt", ""), name

    # A withdrawn id is never handed out again.
    assert runner.invoke(app, ["withdraw", "P13", "--data", str(data), "--yes"]).exit_code == 0
    _write(inbox, "interview notes.txt", "访谈者：您做社工多久了？\n\n" + ANSWERS.replace("家属", "居民"))
    again = runner.invoke(app, ["run", str(inbox), "--config", "zh", "--data", str(data)])
    assert again.exit_code == 0, again.output
    found = _participants(data)
    assert found["interview notes.txt"] == {"P14"}, found


def test_an_edited_file_keeps_its_given_participant_id(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    _write(inbox, "精防医生访谈_表格.txt", "访谈者：您做精防工作多久了？\n\n" + ANSWERS)
    _write(inbox, "P3_社工.txt", "访谈者：您做社工多久了？\n\n" + ANSWERS.replace("家属", "居民"))
    assert runner.invoke(app, ["run", str(inbox), "--config", "zh", "--data", str(data)]).exit_code == 0
    first = _participants(data)["精防医生访谈_表格.txt"]
    assert first == {"P4"}  # P3 is another file's
    _write(inbox, "P1_护士.txt", "访谈者：您做护士多久了？\n\n" + ANSWERS.replace("家属", "病人"))
    _write(inbox, "精防医生访谈_表格.txt", "访谈者：您做精防工作多久了？\n\n" + ANSWERS.replace("家属", "邻居"))
    result = runner.invoke(app, ["run", str(inbox), "--config", "zh", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert _participants(data)["精防医生访谈_表格.txt"] == first
