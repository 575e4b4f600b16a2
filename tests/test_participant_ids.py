"""Participant ids never carry a name: a file named after its interviewee, a header naming them,
two files of one name in different folders, and a study folder holding its own data folder."""

import shutil
from pathlib import Path

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.models import Statement, Store, Transcript, default_database_url
from qualflow.pipeline.deidentify import Pseudonymiser
from qualflow.pipeline.redact import participant_id
from qualflow.pipeline.report import deidentification_rows
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
BODY = ("Interviewer: How is the work going?\n\n"
        "Respondent: The caseload keeps growing and the paperwork never ends, so I stay late most days.\n\n"
        "Interviewer: What helps?\n\n"
        "Respondent: Monthly supervision with the team helps me a lot, and so do my colleagues on the ward.\n")


def test_participant_ids_that_are_codes_stay_and_others_become_placeholders():
    names = Pseudonymiser()
    assert [participant_id(v, names) for v in ("P3", "P3-2", "R17", "resp_07", "1042", "S-2", None)] == \
        ["P3", "P3-2", "R17", "resp_07", "1042", "S-2", None]
    mary = participant_id("Mary Smith interview", names)
    assert mary.startswith("[PERSON_") and participant_id("Mary Smith interview-2", names) == f"{mary}-2"
    assert participant_id("anna@example.org", names).startswith("[PERSON_")


def test_the_second_named_speaker_of_a_file_is_numbered_on_a_placeholder_never_a_name():
    names = Pseudonymiser()
    zara = participant_id("Zara", names)
    assert zara.startswith("[PERSON_")
    # "Zara-2" has the shape of a code such as "ID-9"; its first part is a person already.
    assert participant_id("Zara-2", names) == f"{zara}-2"
    assert participant_id("ID-9", names) == "ID-9"


def test_a_couple_interview_stores_no_speaker_name_as_a_participant(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "couple_3.txt").write_text(
        "# participant: Zara\n\nInterviewer: How do you share the caring?\n\n"
        "Zara: I do the mornings and the medication, and the evenings are hard when I am on my own.\n\n"
        "Tom: I take the nights, and the weekends when the respite carers do not come.\n\n"
        "Interviewer: What helps?\n\nTom: The day centre on Tuesdays helps us both a great deal.\n\n"
        "Zara: And our daughter rings every evening, which keeps me going through the week.\n", "utf-8")
    data = tmp_path / "data"
    assert code_interviews(str(inbox), str(data)).transcripts_added == 1
    with Store(default_database_url(data)).session() as session:
        participants = {s.participant for s in session.scalars(select(Statement)) if s.participant}
    assert len(participants) == 2, participants
    assert not any("Zara" in p or "Tom" in p for p in participants), participants


def test_a_participant_header_the_detector_misses_keeps_no_name_in_the_stored_text(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "interview_a.txt").write_text("# participant: Rebecca Hargreaves\n\n" + BODY, "utf-8")
    (inbox / "访谈b.txt").write_text(
        "# participant: 林小雨\n\n访谈者：你平时的工作怎么样？\n\n受访者：每天都要加班，病人很多，我常常很晚才回家。\n\n"
        "访谈者：什么对你有帮助？\n\n受访者：同事之间互相帮忙，还有每个月的督导，对我帮助很大。\n", "utf-8")
    data = tmp_path / "data"
    assert code_interviews(str(inbox), str(data)).transcripts_added == 2
    with Store(default_database_url(data)).session() as session:
        transcripts = list(session.scalars(select(Transcript)))
        statements = list(session.scalars(select(Statement)))
    for transcript in transcripts:
        assert "Hargreaves" not in transcript.text and "林小雨" not in transcript.text
        header = transcript.text.split("\n", 1)[0]
        assert header.startswith("# participant: [PERSON_") and transcript.participant in header
    assert {s.participant for s in statements if s.participant} == {t.participant for t in transcripts}


def test_names_in_file_names_and_headers_do_not_become_participant_ids(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "Mary Smith interview.txt").write_text(BODY, "utf-8")
    (inbox / "interview_03.txt").write_text(BODY.replace("caseload", "workload"), "utf-8")
    (inbox / "notes.txt").write_text("# participant: Anna Reyes\n\n" + BODY.replace("ward", "unit"), "utf-8")
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt"):
        shutil.copy(ROOT / "examples" / name, inbox / name)
    data = tmp_path / "data"
    assert code_interviews(str(inbox), str(data)).transcripts_added == 5
    with Store(default_database_url(data)).session() as session:
        by_file = {t.source_name: {s.participant for s in session.scalars(
            select(Statement).where(Statement.transcript_id == t.id)) if s.participant}
            for t in session.scalars(select(Transcript))}
        transcripts = {t.source_name: t.participant for t in session.scalars(select(Transcript))}
    assert by_file["interview_03.txt"] == {"interview_03"} and by_file["en_p1_nurse.txt"] == {"P1"}
    for name in ("Mary Smith interview.txt", "notes.txt"):
        (participant,) = by_file[name]
        assert participant.startswith("[PERSON_"), participant
        assert transcripts[name] == participant
    assert by_file["Mary Smith interview.txt"] != by_file["notes.txt"]
    # The researcher's check lists the person the file name holds, though she is in no transcript's text;
    # the participant is that person (the placeholder her mentions get), not the whole file name.
    with Store(default_database_url(data)).session() as session:
        rows = {row["original"]: row for row in deidentification_rows(session)}
    assert {rows["mary smith"]["placeholder"]} == by_file["Mary Smith interview.txt"]
    assert rows["mary smith"]["occurrences"] == 0 and "participant id" in rows["mary smith"]["found_by"][0]
    assert "mary smith interview" not in rows


def test_files_of_one_name_in_two_folders_are_two_transcripts(tmp_path):
    inbox = tmp_path / "inbox"
    for site, word in (("site_a", "caseload"), ("site_b", "workload")):
        (inbox / site).mkdir(parents=True)
        (inbox / site / "P1_interview.txt").write_text(BODY.replace("caseload", word), "utf-8")
    data = tmp_path / "data"
    summary = code_interviews(str(inbox), str(data))
    assert summary.transcripts_added == 2 and summary.new_versions == []
    again = code_interviews(str(inbox), str(data))
    assert again.transcripts_added == 0 and again.new_versions == [] and len(again.unchanged) == 2
    with Store(default_database_url(data)).session() as session:
        live = sorted(t.source_name for t in session.scalars(select(Transcript).where(
            Transcript.superseded_by_id.is_(None))))
    assert live == ["site_a/P1_interview.txt", "site_b/P1_interview.txt"]


def test_a_data_folder_inside_the_source_folder_is_not_read_back(tmp_path):
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt"):
        shutil.copy(ROOT / "examples" / name, tmp_path / name)
    (tmp_path / "broken.docx").write_bytes(b"not a zip")  # quarantined into the data folder
    data = tmp_path / "qualflow-data"
    first = code_interviews(str(tmp_path), str(data))
    assert first.transcripts_added == 2 and len(first.failed) == 1
    assert (data / "report.md").exists() and any((data / "quarantine").iterdir())
    second = code_interviews(str(tmp_path), str(data))
    assert second.files_seen == first.files_seen == 3
    assert second.transcripts_added == 0 and len(second.failed) == 1


def test_name_redactor_replaces_known_identifiers_in_file_names():
    from qualflow.pipeline.deid.pseudonym import NameRedactor

    name = NameRedactor({("PERSON", "mary smith"): "[PERSON_1]", ("PERSON", "li"): "[PERSON_2]",
                         ("PERSON", "王芳"): "[PERSON_3]"})
    assert name("site_a/Mary_Smith-2.docx") == "site_a/[PERSON_1]-2.docx"
    assert name("MARY.SMITH interview.txt") == "[PERSON_1] interview.txt"
    assert name("Limerick_li.txt") == "Limerick_[PERSON_2].txt"  # whole words only
    assert name("访谈王芳.txt") == "访谈[PERSON_3].txt" and name("P1_nurse.txt") == "P1_nurse.txt"


def test_exports_name_files_without_the_names_in_them(tmp_path):
    import json
    import zipfile

    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "Mary Smith interview.txt").write_text(BODY, "utf-8")
    # The participant id comes from the file name's code, so nothing but the detector sees the name.
    (inbox / "interview_P9_Daniel_Kowalczyk.txt").write_text(BODY.replace("paperwork", "admin"), "utf-8")
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt"):
        shutil.copy(ROOT / "examples" / name, inbox / name)
    data = tmp_path / "data"
    code_interviews(str(inbox), str(data))
    runner = CliRunner()
    outputs = {}
    for command, out in ((["export", "assignments", "--format", "json"], "a.json"), (["export", "qdpx"], "s.qdpx"),
                         (["saturation", "--json"], None), (["statements", "--json"], None)):
        args = [*command, "--data", str(data)] + (["-o", str(tmp_path / out)] if out else [])
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        outputs[command[-1]] = (tmp_path / out).read_bytes() if out else result.stdout.encode()
    with zipfile.ZipFile(tmp_path / "s.qdpx") as archive:
        outputs["project"] = archive.read("project.qde")
    documents = {row["document"] for row in json.loads(outputs["json"])}
    # The person in the file name is the participant; the rest of the name stays readable.
    assert any(d.startswith("[PERSON_") and d.endswith("] interview.txt") for d in documents), documents
    for what, content in outputs.items():
        assert b"Smith" not in content and b"Mary" not in content, what
        assert b"Kowalczyk" not in content and b"Daniel" not in content, what
    assert any(d.startswith("interview_P9_[PERSON_") for d in documents), documents


def test_codes_and_dates_in_a_file_name_are_no_people(tmp_path):
    from qualflow.pipeline.deid.detector import Deidentifier
    from qualflow.pipeline.language import detect_language
    from qualflow.pipeline.redact import people_in_file_name

    detector = Deidentifier(cache_dir=tmp_path / "jieba")

    def find(words):
        return detector.find(words, detect_language(words))

    # The English model takes "P8 GMT20211129" (a Zoom recording's name) for a person.
    assert any(f.kind == "PERSON" for f in find("P8 GMT20211129"))
    assert people_in_file_name("P8_GMT20211129.odt", find) == []
    assert people_in_file_name("interview_P9_Daniel_Kowalczyk.txt", find) == ["Daniel Kowalczyk"]


@pytest.fixture(scope="module")
def find_in_words(jieba_cache):
    from qualflow.pipeline.deid.detector import Deidentifier
    from qualflow.pipeline.language import detect_language

    detector = Deidentifier(cache_dir=jieba_cache)
    return lambda words: detector.find(words, detect_language(words))


@pytest.mark.parametrize(("name", "people"), [
    ("interview_p9_daniel_kowalczyk.txt", ["daniel kowalczyk"]),
    ("p3_mary_jones.docx", ["mary jones"]),
    ("rebecca_hargreaves.txt", ["rebecca hargreaves"]),
    ("p8_tom_brown_follow_up.txt", ["tom brown"]),
    ("aisha khan/interview.txt", ["aisha khan"]),
])
def test_a_name_in_lower_case_in_a_file_name_is_found(find_in_words, name, people):
    from qualflow.pipeline.redact import people_in_file_name

    assert people_in_file_name(name, find_in_words) == people


@pytest.mark.parametrize("name", [
    "focus_group_nurses_week2.txt", "interview_transcript_final_v2.docx", "zoom_recording_march.txt",
    "p07_follow_up.txt", "audio_transcription_otter_ai.txt", "member_check_feedback_round1.txt",
    "wave2_parent_interviews_batch.txt", "p20_member_checking.txt", "P8_GMT20211129.odt",
])
def test_common_words_in_a_lower_case_file_name_are_no_people(find_in_words, name):
    from qualflow.pipeline.redact import people_in_file_name

    assert people_in_file_name(name, find_in_words) == []


def test_a_file_name_is_the_participant_only_through_the_person_it_holds(tmp_path):
    """"Mary Smith interview.txt" is Mary Smith, with the placeholder her mentions get; "interview
    notes.txt" names no one and holds no code, so it gets the next free P<n>, not a person's placeholder."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "Mary Smith interview.txt").write_text(
        "Interviewer: Thank you for seeing me today, Mary Smith. How is the work going?\n\n"
        + BODY.split("\n\n", 1)[1], "utf-8")
    (inbox / "interview notes.txt").write_text(BODY.replace("caseload", "workload"), "utf-8")
    shutil.copy(ROOT / "examples" / "en_p1_nurse.txt", inbox / "en_p1_nurse.txt")
    data = tmp_path / "data"
    assert code_interviews(str(inbox), str(data)).transcripts_added == 3
    with Store(default_database_url(data)).session() as session:
        participants = {t.source_name: t.participant for t in session.scalars(select(Transcript))}
        mary = session.scalar(select(Transcript).where(Transcript.source_name == "Mary Smith interview.txt"))
        rows = {row["original"]: row for row in deidentification_rows(session)}
    assert participants["interview notes.txt"] == "P2"  # P1 is en_p1_nurse.txt's
    assert participants["Mary Smith interview.txt"] == rows["mary smith"]["placeholder"]
    assert rows["mary smith"]["occurrences"] >= 1 and "Mary" not in mary.text
    assert not any("interview" in original for original in rows), rows
