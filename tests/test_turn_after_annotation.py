"""A note on a line of its own inside a turn ("(laughs)", "[pause]", "[inaudible]") does not end the speaker's
turn: the words after it are still theirs. They were read as no one's ("other") and never clustered, so a
participant's answer was cut short at every transcribed laugh."""

import json
import sqlite3

from qualflow.flows.batch import code_interviews
from qualflow.pipeline.turns import parse_turns

NAMED = ("Interviewer: How was the night shift?\n\n"
         "Mary Smith: I went there expecting the usual handover.\n\n"
         "[pause]\n\n"
         "And then nothing happened at all on the ward until the morning round.\n\n"
         "Interviewer: Why was that?\n\n"
         "Mary Smith: The rota had been changed without telling anyone on the team.\n")


def spoken(text, parsed):
    return [(t.role, t.speaker_label, text[t.start:t.end]) for t in parsed.turns]


def test_the_words_after_a_note_line_are_the_speakers():
    text = ("Interviewer: How was it?\nP1: I went there.\n(laughs)\n"
            "And then nothing happened at all on the ward.\nInterviewer: OK.\n")
    assert spoken(text, parse_turns(text)) == [
        ("interviewer", "Interviewer", "How was it?"),
        ("participant", "P1", "I went there."),
        ("other", None, "(laughs)"),
        ("participant", "P1", "And then nothing happened at all on the ward."),
        ("interviewer", "Interviewer", "OK."),
    ]
    # The interviewer's words after a note stay the interviewer's, never a participant statement.
    text = "Interviewer: Tell me.\n[crosstalk]\nWhat happened next?\nP1: We left.\n"
    assert spoken(text, parse_turns(text))[2] == ("interviewer", "Interviewer", "What happened next?")


def test_a_named_speakers_words_after_a_note_keep_the_label_to_replace():
    parsed = parse_turns(NAMED, default_participant="P7")
    continued = parsed.turns[3]
    assert (continued.role, continued.participant) == ("participant", "P7")
    assert NAMED[continued.label_start:continued.label_end] == "Mary Smith"  # replaced as the label is


def test_a_run_clusters_the_words_after_a_note_and_keeps_no_name(tmp_path):
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "P7_night.txt").write_text(NAMED, "utf-8")
    data = tmp_path / "data"
    assert code_interviews(str(inbox), str(data)).transcripts_added == 1
    with sqlite3.connect(data / "qualflow.sqlite") as db:
        statements = [row[0] for row in db.execute("SELECT text FROM statements WHERE significant")]
        labels = [row[0] for row in db.execute("SELECT speaker_label FROM turns")]
    assert any("nothing happened at all on the ward" in text for text in statements), statements
    assert not any("Mary" in (label or "") or "Smith" in (label or "") for label in labels), labels
    out = tmp_path / "a.json"
    result = CliRunner().invoke(app, ["export", "assignments", "--format", "json", "--data", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    exported = out.read_text("utf-8")
    assert "Mary" not in exported and "Smith" not in exported
    assert any("nothing happened" in row["text"] for row in json.loads(exported))
