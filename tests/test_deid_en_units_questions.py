"""A units row's survey question that names the row's participant by first name gets the placeholder of
the participant's full name, as a transcript's bare first name does (audit F14: participant "Linda
Park" was [PERSON_1] and the same row's "Linda, how was your shift…" [PERSON_2]).

The real CLI (`qualflow run FILE --units`, `qualflow export assignments`), a units CSV written in
tmp_path and a real SQLite study; no mocks."""

import csv
import json

from qualflow.flows.cli import app
from qualflow.pipeline.deidentify import Pseudonymiser
from qualflow.pipeline.redact import redact
from qualflow.pipeline.turns import ParsedTurns, TurnSpan
from typer.testing import CliRunner

ANSWERS = ["Exhausting as always, we are short staffed and the caseload is unmanageable.",
           "Long and tiring, the ward was short staffed again all night.",
           "Busy, the caseload keeps rising and nobody listens to the nurses.",
           "Hard, we were short staffed and I stayed late to finish the notes.",
           "Tiring, the night shift was two nurses short and the caseload was huge.",
           "Stressful, staffing was low and the paperwork never ends.",
           "Exhausting, short staffed on nights and no time for breaks at all.",
           "Heavy, the caseload is too high for the number of staff we have.",
           "Draining, the rota left us short staffed for the whole week.",
           "Busy and short staffed, I could not take a break on the ward."]
PEOPLE = ["Linda Park", "Tom Okafor", "Aisha Rahman", "Priya Shah", "Gareth Pugh",
          "Siobhan Kelly", "Tomasz Nowak", "Grace Mullins", "Imran Qureshi", "Helen Dodd"]


def test_a_units_question_naming_the_row_participant_gets_that_participants_placeholder(tmp_path):
    source = tmp_path / "survey.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "participant", "question", "text", "document"])
        writer.writeheader()
        for n, (person, answer) in enumerate(zip(PEOPLE, ANSWERS)):
            first = person.split()[0]
            writer.writerow({"id": f"r{n}", "participant": person, "document": "shift_survey",
                             "question": f"{first}, how was your shift this week?", "text": answer})
    data = tmp_path / "data"
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(source), "--units", "--data", str(data)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["export", "assignments", "--format", "json", "--data", str(data)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows
    for person in PEOPLE:
        for part in person.split():
            assert part not in result.output, part
    for row in rows:
        # "[PERSON_3], how was your shift this week?" with [PERSON_3] the row's participant.
        assert row["participant"].startswith("[PERSON_"), row
        assert row["question"] == f"{row['participant']}, how was your shift this week?", row


def test_the_rows_own_participant_wins_where_the_file_has_two_of_that_first_name():
    # Two Lindas in one file: a bare "Linda" is neither's by the file, but the row's own participant names her.
    text = "Fine.\nBusy."
    turns = [TurnSpan(index=0, start=0, end=5, speaker_label=None, participant="Linda Park", role="participant",
                      meta={"unit_id": "r1", "question": "Linda, how was it?"}),
             TurnSpan(index=1, start=6, end=11, speaker_label=None, participant="Linda Chen", role="participant",
                      meta={"unit_id": "r2", "question": "How was it, Linda?"})]
    names = Pseudonymiser()
    redacted = redact(text, ParsedTurns(turns=turns, header={}), [], names)
    park, chen = names.placeholder("PERSON", "Linda Park"), names.placeholder("PERSON", "Linda Chen")
    assert [t.participant for t in redacted.parsed.turns] == [park, chen]
    assert [t.meta["question"] for t in redacted.parsed.turns] == [f"{park}, how was it?", f"How was it, {chen}?"]


def test_a_one_word_participant_in_its_rows_question_gets_the_participants_placeholder():
    # The model misses "Tomasz" opening a question; the participant column names him.
    text = "Fine."
    turns = [TurnSpan(index=0, start=0, end=5, speaker_label=None, participant="Tomasz", role="participant",
                      meta={"unit_id": "r1", "question": "Tomasz, how was your shift?"})]
    names = Pseudonymiser()
    redacted = redact(text, ParsedTurns(turns=turns, header={}), [], names)
    tomasz = names.placeholder("PERSON", "Tomasz")
    assert redacted.parsed.turns[0].participant == tomasz
    assert redacted.parsed.turns[0].meta["question"] == f"{tomasz}, how was your shift?"
