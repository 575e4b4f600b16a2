"""Named speaker labels are labels (audit F13): "RESPONDENT (Gareth Pugh):", "Q (Kate):", a leading
"[00:00:05]", and a "Name Surname:" that opens a turn once only (a colleague speaking once, a Zoom cue).
Their names are replaced, the role word stays, and the interviewer's turns are the interviewer's."""

import json
import zipfile

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.pipeline.deidentify import Pseudonymiser
from qualflow.pipeline.redact import redact
from qualflow.pipeline.turns import parse_turns

ROLES = ("[00:00:01] INTERVIEWER (Kate): How has work been?\n"
         "[00:00:05] RESPONDENT (Gareth Pugh): Exhausting. Short staffed every night and the caseload keeps rising.\n"
         "Q (Kate): Anything else?\n"
         "A (Gareth): Nobody listens to the nurses.\n")
NAMES = ("Interviewer: How has work been lately?\n\n"
         "Tomasz Nowak: Paperwork eats my whole afternoon and the night shift is always short of staff.\n\n"
         "Interviewer: And the managers?\n\n"
         "Wojciech Zielinski: They never listen, and we are exhausted by the end of every month.\n")


def labelled(text, parsed):
    return [(t.role, t.participant, t.speaker_label,
             text[t.label_start:t.label_end] if t.label_start is not None else None) for t in parsed.turns]


def test_a_role_with_the_speakers_name_is_a_label_with_that_role():
    parsed = parse_turns(ROLES, default_participant="P44")
    assert labelled(ROLES, parsed) == [
        ("interviewer", None, "Kate", "Kate"),
        ("participant", "P44", "Gareth Pugh", "Gareth Pugh"),
        ("interviewer", None, "Kate", "Kate"),
        # "Gareth" is the first name of the file's "Gareth Pugh": the same participant, not P44-2.
        ("participant", "P44", "Gareth", "Gareth"),
    ]
    assert [ROLES[t.start:t.end] for t in parsed.turns][:2] == [
        "How has work been?", "Exhausting. Short staffed every night and the caseload keeps rising."]
    assert parsed.turns[1].meta["time"] == "00:00:05"


def test_a_role_with_a_word_in_brackets_is_a_role_label_naming_no_one():
    text = "INTERVIEWER (Translator): What do you do?\nRESPONDENT (P3): I am a nurse on the ward.\n"
    parsed = parse_turns(text)
    assert [(t.role, t.label_start) for t in parsed.turns] == [("interviewer", None), ("participant", None)]


def test_the_names_of_role_labels_are_replaced_and_the_roles_kept():
    names = Pseudonymiser()
    redacted = redact(ROLES, parse_turns(ROLES, default_participant="P44"), [], names)
    for name in ("Kate", "Gareth", "Pugh"):
        assert name not in redacted.text
    kate, gareth = names.placeholder("PERSON", "Kate"), names.placeholder("PERSON", "Gareth Pugh")
    assert f"INTERVIEWER ({kate}): How has work been?" in redacted.text
    assert f"RESPONDENT ({gareth}): Exhausting." in redacted.text
    assert f"A ({gareth}): Nobody" in redacted.text  # the first name alone is the same person


def test_a_name_label_used_once_is_a_speaker():
    parsed = parse_turns(NAMES, default_participant="P45")
    assert labelled(NAMES, parsed) == [
        ("interviewer", None, "Interviewer", None),
        ("participant", "P45", "Tomasz Nowak", "Tomasz Nowak"),
        ("interviewer", None, "Interviewer", None),
        ("participant", "P45-2", "Wojciech Zielinski", "Wojciech Zielinski"),
    ]
    # Two speakers each once, nothing else labelled (a plain-text Zoom export).
    text = "Kate Morris: How has work been lately?\n\nTomasz Nowak: Paperwork eats my whole afternoon.\n"
    assert [t.speaker_label for t in parse_turns(text, "P45").turns] == ["Kate Morris", "Tomasz Nowak"]


@pytest.mark.parametrize("line", [
    "Note: never go alone.", "Update: the rota changed.", "Yes: that is what I said.", "Question 3: what next?",
    "Action Points: call the ward.", "Key Findings: staffing.", "Background Information:",
])
def test_an_ordinary_line_start_with_a_colon_is_no_speaker(line):
    for text in (f"Interviewer: How was it?\n\nP2: We had a rule.\n\n{line}\n\nP2: Then we went home.\n",
                 f"P2: We had a rule:\n{line}\n"):
        parsed = parse_turns(text)
        assert all(t.label_start is None for t in parsed.turns), line
        assert line in text[parsed.turns[-1].start:parsed.turns[-1].end] or any(
            line in text[t.start:t.end] for t in parsed.turns), line


def test_a_single_first_name_once_is_a_speaker_only_beside_other_labels():
    group = "Moderator: What helps?\n\nAnna: Supervision.\n\nAnna: And the team.\n\nBen: Nothing helps me.\n"
    assert [t.speaker_label for t in parse_turns(group, "P9").turns][-1] == "Ben"
    alone = "We talked for an hour.\n\nBen: is what they call him.\n"
    assert all(t.label_start is None for t in parse_turns(alone, "P9").turns)


def test_a_subtitle_speaker_is_a_label_to_replace(tmp_path):
    from qualflow.pipeline.ingest import read_document
    from qualflow.pipeline.turns import turns_of_document

    vtt = tmp_path / "zoom_P46.vtt"
    vtt.write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nInterviewer: How has work been lately?\n\n"
                   "2\n00:00:05.000 --> 00:00:12.000\nTomasz Nowak: Paperwork eats my whole afternoon.\n\n"
                   "3\n00:00:13.000 --> 00:00:15.000\nSpeaker 2: Sorry, wrong room.\n", "utf-8")
    document = read_document(vtt)
    parsed = turns_of_document(document, "P46")
    assert [document.text[t.label_start:t.label_end] if t.label_start is not None else None
            for t in parsed.turns] == [None, "Tomasz Nowak", None]  # "Speaker 2" names no one
    redacted = redact(document.text, parsed, [], Pseudonymiser())
    assert "Tomasz" not in redacted.text and "Nowak" not in redacted.text


def test_a_run_and_its_exports_keep_no_labelled_name(tmp_path):
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "P50_roles.txt").write_text(ROLES.replace("\n", "\n\n"), "utf-8")
    (inbox / "P45_plain.txt").write_text(NAMES, "utf-8")
    (inbox / "P46_zoom.vtt").write_text(
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nInterviewer: How has work been lately?\n\n"
        "2\n00:00:05.000 --> 00:00:12.000\nTomasz Nowak: Paperwork eats my whole afternoon and the night "
        "shift is always short of staff.\n", "utf-8")
    data = tmp_path / "data"
    assert code_interviews(str(inbox), str(data)).transcripts_added == 3
    runner = CliRunner()
    for command, out in ((["export", "assignments", "--format", "json"], "a.json"), (["export", "qdpx"], "s.qdpx")):
        result = runner.invoke(app, [*command, "--data", str(data), "-o", str(tmp_path / out)])
        assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "a.json").read_text("utf-8"))
    with zipfile.ZipFile(tmp_path / "s.qdpx") as archive:
        sources = {name: archive.read(name).decode() for name in archive.namelist() if name.endswith(".txt")}
        project = archive.read("project.qde").decode()
    exported = json.dumps(rows) + "".join(sources.values()) + project
    for name in ("Kate", "Gareth", "Pugh", "Tomasz", "Nowak", "Wojciech", "Zielinski"):
        assert name not in exported, name
    # The role words stay, and the interviewer's words are no participant's statement.
    assert any("RESPONDENT ([PERSON_" in text for text in sources.values())
    assert not any("How has work been" in row["text"] for row in rows), rows
