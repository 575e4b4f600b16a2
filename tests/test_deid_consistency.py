"""One person, one placeholder within a file (audit 2026-11, finding 10): a first or last name alone
gets the placeholder of the full name the file gives (header, speaker label, file name, text); a
title before a name keeps it a person and stays outside the placeholder."""

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.models import Store, Transcript, default_database_url
from qualflow.pipeline.deid import english
from qualflow.pipeline.deidentify import Deidentifier, Pseudonymiser
from qualflow.pipeline.redact import redact
from qualflow.pipeline.report import deidentification_rows
from qualflow.pipeline.turns import parse_turns
from sqlalchemy import select

# The auditor's invented file, as she gave it.
AUDIT_FILE = ("Mary Smith interview.txt", (
    '# participant: Mary Smith\n'
    '# interviewer: Helen Brook\n'
    '# date: 2026-05-04\n'
    '\n'
    'Interviewer: Thank you Mary. Could you tell me about your caseload at the moment?\n'
    '\n'
    'Mary Smith: I have about thirty people on my list. My manager, Dr Rajesh Mehra, keeps asking us to '
    'take more, and honestly the paperwork is what wears me down. I spend every afternoon on records for '
    'the performance indicators.\n'
    '\n'
    'Interviewer: How do home visits feel in terms of safety?\n'
    '\n'
    'Mary Smith: Some visits are frightening. Last month I went alone to a flat on Carlisle Road and the '
    "patient's brother, Kevin Doyle, shouted at me on the doorstep. Since then I always take a "
    'colleague, usually Priya Natarajan from the housing team.\n'
    '\n'
    'Interviewer: And how do families respond to you?\n'
    '\n'
    'Mary Smith: Families are often exhausted. One mother rang me at home on 07700 900123 at midnight '
    'because her son had stopped his tablets. You can email me at mary.smith@example.org if you need the '
    'letters I wrote to the GP.\n'
    '\n'
    'Interviewer: What keeps you going in this job?\n'
    '\n'
    'Mary Smith: The patients themselves. When someone like Mr Okafor gets back to work after two years, '
    'that is what makes it worth it. But the pay has not moved in years and there is no career ladder '
    'for community nurses.\n'
))
HEADER = "# participant: Mary Smith\n# interviewer: Helen Brook\n\n"
TALK = (
    "Interviewer: Thank you Mary. Could you tell me about your caseload at the moment?\n\n"
    "Mary Smith: I have about thirty people on my list and the paperwork wears me down.\n"
)
OKAFOR = "When someone like Mr Okafor gets back to work after two years, that is what makes it worth it."


@pytest.fixture(scope="module")
def finder(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def redacted(finder, text, names=None, default_participant=None, **kwargs):
    names = names or Pseudonymiser()
    parsed = parse_turns(text, default_participant=default_participant)
    return redact(text, parsed, finder.find(text, "en"), names, **kwargs), names


def test_a_first_name_alone_gets_the_header_participants_placeholder(finder):
    result, names = redacted(finder, HEADER + TALK)
    mary = names.placeholder("PERSON", "Mary Smith")
    assert f"# participant: {mary}\n" in result.text
    assert f"Thank you {mary}." in result.text and f"\n{mary}: I have" in result.text
    assert ("PERSON", "mary") not in names.new_entries  # no second entry for her in the key map


def test_a_name_part_the_model_misses_is_found_from_the_header(finder):
    # "Helen" alone, lower in the file, is found because the header names Helen Brook.
    text = HEADER + TALK + "\nInterviewer: Helen here again, one last question.\n\nMary Smith: Go on.\n"
    result, names = redacted(finder, text)
    helen = names.placeholder("PERSON", "Helen Brook")
    assert "Helen" not in result.text and f"{helen} here again" in result.text


def test_a_participant_named_only_by_the_file_name(finder):
    # "Mary Smith interview.txt" with no header: the participant id is her name.
    result, names = redacted(finder, "Thank you Mary. How are things?\n", default_participant="Mary Smith")
    mary = names.placeholder("PERSON", "Mary Smith")
    assert result.text.startswith(f"Thank you {mary}.")
    assert {turn.participant for turn in result.parsed.turns} == {mary}


def test_people_in_the_file_name_take_part(finder):
    text = "Interviewer: Thanks for coming, Daniel.\n\nP9: Glad to help, the ward was quiet.\n"
    result, names = redacted(finder, text, people_in_name=("Daniel Kowalczyk",))
    assert f"Thanks for coming, {names.placeholder('PERSON', 'Daniel Kowalczyk')}." in result.text


def test_a_surname_alone_gets_the_full_names_placeholder(finder):
    text = TALK.replace("the paperwork", "Dr Rajesh Mehra says the paperwork") + "\nInterviewer: Does Dr Mehra help?\n"
    result, names = redacted(finder, HEADER + text)
    assert result.text.count(f"Dr {names.placeholder('PERSON', 'Rajesh Mehra')}") == 2


def test_a_title_in_a_speaker_label_is_no_name_part(finder):
    text = ("Interviewer: How was the night?\n\nNurse Jones: Busy, and no Nurse came to help.\n\n"
            "Interviewer: And after?\n\nNurse Jones: Quiet. Jones went home.\n")
    result, names = redacted(finder, text)
    jones = names.placeholder("PERSON", "Nurse Jones")
    assert f"no {jones} came" not in result.text  # whatever the model makes of "Nurse", it is not Jones
    assert f"{jones} went home" in result.text


def test_two_people_with_one_first_name_are_not_guessed_between(finder):
    text = "# participant: Mary Smith\n# interviewer: Mary Jones\n\n" + TALK
    result, names = redacted(finder, text)
    smith, jones = names.placeholder("PERSON", "Mary Smith"), names.placeholder("PERSON", "Mary Jones")
    thanked = result.text.split("Thank you ")[1].split(".")[0]
    assert thanked.startswith("[PERSON_") and thanked not in (smith, jones)


def test_a_full_name_known_from_another_file_is_not_merged_into_a_bare_first_name(finder):
    # Across a study "Mary" may be anyone: only a file that names her in full maps "Mary" to her.
    known = Pseudonymiser(existing={("PERSON", "mary smith"): "[PERSON_1]"})
    result, _ = redacted(finder, "P2: I told Mary about the rota. Mary said no.\n", names=known)
    assert "Mary" not in result.text and "[PERSON_1]" not in result.text


@pytest.mark.parametrize("text, name", [
    (OKAFOR, "Okafor"),  # the model calls "Mr Okafor" a PLACE
    ("We were sent to Mrs Adeyemi in the end.", "Adeyemi"),
    ("Then Prof. Lindqvist came round the ward.", "Lindqvist"),
])
def test_an_entity_opening_with_an_honorific_is_a_person_without_its_title(finder, text, name):
    ner = english.ner_findings(finder.english_nlp, text, [(0, len(text))])
    assert all(f.kind == "PERSON" and f.text == name for f in ner if name in f.text)
    assert [(f.kind, f.text) for f in finder.find(text, "en") if name in f.text] == [("PERSON", name)]


def test_the_okafor_sentence_keeps_its_title(finder):
    result, names = redacted(finder, f"P1: {OKAFOR}\n")
    assert f"someone like Mr {names.placeholder('PERSON', 'Okafor')} gets back" in result.text


def test_an_institution_or_role_after_a_title_is_no_person(finder):
    text = "She went to Dr Gray's Hospital, and the Nurse Practitioner Team took over."
    kinds = {f.text: f.kind for f in finder.find(text, "en")}
    assert kinds.get("Nurse Practitioner Team") != "PERSON"
    assert kinds["Dr Gray's Hospital"] == "ORG"  # named after a person, still an institution


def test_the_audit_file_through_a_real_run(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / AUDIT_FILE[0]).write_text(AUDIT_FILE[1], "utf-8")
    data = tmp_path / "data"
    assert code_interviews(str(inbox), str(data)).transcripts_added == 1
    with Store(default_database_url(data)).session() as session:
        (text,) = session.scalars(select(Transcript.text))
        rows = {row["original"]: row for row in deidentification_rows(session)}
    mary = rows["mary smith"]["placeholder"]
    assert f"Thank you {mary}." in text and f"# participant: {mary}" in text
    assert "mary" not in rows  # one person, one key-map entry
    assert "mr okafor" not in rows and rows["okafor"]["kind"] == "PERSON"
    assert "someone like Mr [PERSON_" in text and "[PLACE_" not in text.split("someone like")[1].split("\n")[0]


def test_a_first_name_in_the_text_takes_the_placeholder_of_the_person_in_the_file_name(tmp_path):
    """Through the real run: "interview_P9_Daniel_Kowalczyk.txt" names Daniel Kowalczyk; "Daniel" in its
    text is the same person, so one placeholder."""
    from qualflow.flows.batch import code_interviews
    from qualflow.models import Pseudonym, Replacement, Store, default_database_url
    from sqlalchemy import select

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "interview_P9_Daniel_Kowalczyk.txt").write_text(
        "Interviewer: How did the first month go?\n\n"
        "P9: My mentor kept saying, Daniel, you need to slow down and check the charts twice.\n\n"
        "Interviewer: And now?\n\n"
        "P9: Now the night shifts feel manageable and the team trusts my handovers.\n", "utf-8")
    assert code_interviews(str(inbox), str(tmp_path / "data"), "small-study").transcripts_added == 1
    with Store(default_database_url(tmp_path / "data")).session() as session:
        whole = session.scalar(select(Pseudonym.placeholder).where(Pseudonym.real == "daniel kowalczyk"))
        used = set(session.scalars(select(Replacement.placeholder)))
    assert whole and used == {whole}
