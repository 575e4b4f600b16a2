"""A common word that opens a sentence or a turn is no name just because it is capitalised (audit F14:
"P20: Workload is heavy…" gave "[ORG_9] is heavy", and "Workload" then joined the key map, so an imported
code "Workload for John Smith" became "[ORG_9] for [PERSON_1]"). One-word names and organisations that
are no common words, or that the model still reads as names, stay found. "St Thomas'" and other saints'
names are places, never people (audit F9), so a hospital keeps one placeholder."""

import json

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import Store, default_database_url
from qualflow.pipeline.deid.typed import redact_typed
from qualflow.pipeline.persist import load_key_map
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def detector(jieba_cache):
    from qualflow.pipeline.deidentify import Deidentifier

    return Deidentifier(cache_dir=jieba_cache)


def found(detector, text):
    return {(f.text, f.kind) for f in detector.find(text, "en")}


@pytest.mark.parametrize("text", [
    "P20: Workload is heavy and we are short staffed. I feel exhausted most weeks.",
    "Interviewer: And nights? P4: Teamwork helped me a lot.",
    "P2: Admin is a nightmare and the caseload keeps rising.",
])
def test_a_common_word_opening_a_turn_is_no_name(detector, text):
    word = text.split(": ")[-1].split()[0]
    assert not any(word in name for name, _ in found(detector, text)), found(detector, text)


@pytest.mark.parametrize(("text", "name"), [
    ("Mayo is where I trained.", "Mayo"),  # a dictionary word the model still reads as a name in lower case
    ("Kaiser said no.", "Kaiser"),
    ("Linda said it was fine.", "Linda"),
    ("Dawn was a big part of it for me.", "Dawn"),  # a first name that is a word: only the short lists count for people
    ("Guy said it was fine.", "Guy"),  # saying something: a person
    ("Leeds was a big part of it for me.", "Leeds"),
    ("P3: Hope is our team lead. My manager Hope Williams is great.", "Hope"),  # named in full elsewhere
])
def test_one_word_names_opening_a_sentence_stay_found(detector, text, name):
    assert any(found_name == name for found_name, _ in found(detector, text)), found(detector, text)


def test_a_word_capitalised_in_mid_sentence_elsewhere_is_evidence_of_a_name(detector):
    text = "P20: Workload is heavy. I went to see Workload about it, the agency that sends us staff."
    assert ("Workload", "ORG") in found(detector, text) or ("Workload", "PERSON") in found(detector, text)


@pytest.mark.parametrize(("before", "opens"), [
    ("", True), ("P20: ", True), ("[00:01:05] ", True), ("It was late. ", True), ('She said "', True),
    ("I told ", False), ("Dr. ", False), ("we met Mr. ", False),
])
def test_where_a_sentence_opens(before, opens):
    from qualflow.pipeline.deid.english import opens_sentence

    assert opens_sentence(before + "Word here", len(before)) is opens


def test_a_saints_name_is_a_place_with_one_placeholder(detector):
    text = ("Dr. Patel at Guy's and St Thomas' NHS Foundation Trust signed off. "
            "I was at St Thomas' for a year. St George's was busy.")
    kinds = {name: kind for name, kind in found(detector, text)}
    assert kinds.get("St Thomas") == "PLACE", kinds
    assert kinds.get("St George") == "PLACE", kinds


BODY = ("Interviewer: How is work?\n\n"
        "{p}: {first} is heavy and we are short staffed. I feel exhausted most weeks and the caseload keeps rising.\n\n"
        "Interviewer: What helps?\n\n"
        "{p}: Supervision with the team helps, and so do my colleagues on the ward, {name} above all.\n")


def test_a_run_keeps_a_turns_opening_common_word_out_of_the_key_map_and_typed_text(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for code, first, name in (("P20", "Workload", "Dr John Smith"), ("P21", "Staffing", "Sister Amara Obi"),
                              ("P22", "The rota", "Nurse Helen Dodd")):
        (inbox / f"{code}.txt").write_text(f"# participant: {code}\n\n" + BODY.format(p=code, first=first, name=name),
                                           "utf-8")
    data = tmp_path / "data"
    assert code_interviews(str(inbox), str(data)).transcripts_added == 3
    with Store(default_database_url(data)).session() as session:
        key_map = load_key_map(session)
    reals = {real for _, real in key_map}
    assert "workload" not in reals and "john smith" in reals, reals
    result = CliRunner().invoke(app, ["export", "assignments", "--format", "json", "--data", str(data),
                                      "-o", str(tmp_path / "a.json")])
    assert result.exit_code == 0, result.output
    texts = [row["text"] for row in json.loads((tmp_path / "a.json").read_text("utf-8"))]
    assert any(text.startswith("Workload is heavy") for text in texts), texts
    # Reviewer-typed text and imported code names get the key map's replacements: "Workload" stays a word.
    typed = redact_typed("Workload for John Smith", key_map)
    assert typed.startswith("Workload for [PERSON_"), typed
