"""One participant is one id, however their code is written: "P01" in a header, "P01_…" in a file
name, "p1:" as a speaker label are all P1, and `withdraw P01` or `withdraw P1` finds every file of theirs,
in a new study and in one stored before codes had a single spelling."""

from pathlib import Path

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import Statement, Store, Transcript, Turn, Withdrawal, default_database_url
from qualflow.pipeline.deidentify import Pseudonymiser
from qualflow.pipeline.redact import participant_id
from qualflow.pipeline.turns import parse_turns, participant_code
from sqlalchemy import select, update
from typer.testing import CliRunner

FIRST = ("# 受访者：P01\n\n"
         "Interviewer: How is the work going?\n\n"
         "Respondent: The caseload keeps growing and the paperwork never ends, so I stay late most days.\n\n"
         "Interviewer: What helps?\n\n"
         "Respondent: Monthly supervision with the team helps me a lot, and so do my colleagues on the ward.\n")
SECOND = ("Interviewer: How have the night shifts been since we last spoke?\n\n"
          "Respondent: The night shifts leave me exhausted, and I sleep badly for two days after each one.\n\n"
          "Interviewer: Has anything changed?\n\n"
          "Respondent: The new rota gives us a full rest day after nights, which has made a real difference.\n")


@pytest.mark.parametrize("written", ["P01", "P1", "p1", "P 01", "P_001", " P01 "])
def test_every_spelling_of_a_p_code_is_one_code(written):
    assert participant_code(written) == "P1"


def test_other_ids_stay_as_written():
    assert [participant_code(v) for v in ("R17", "resp_07", "P3-2", "[PERSON_2]", "Zara")] == \
        ["R17", "resp_07", "P3-2", "[PERSON_2]", "Zara"]


def test_header_label_and_units_column_give_the_file_names_spelling():
    assert {t.participant for t in parse_turns(FIRST).turns if t.role == "participant"} == {"P1"}
    assert {t.participant for t in parse_turns("I: How is it?\n\np01: Busy, very busy.\n").turns
            if t.role == "participant"} == {"P1"}
    assert participant_id("P01", Pseudonymiser()) == "P1"  # a units column's code, de-identification on


def _study(tmp_path: Path) -> tuple[Path, Path]:
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    (inbox / "P01_first.txt").write_text(FIRST, "utf-8")
    (inbox / "P01_second.txt").write_text(SECOND, "utf-8")
    assert code_interviews(str(inbox), str(data)).transcripts_added == 2
    return inbox, data


def _participants(data: Path) -> set[str]:
    with Store(default_database_url(data)).session() as session:
        return set(session.scalars(select(Statement.participant).where(Statement.participant.is_not(None))))


def test_a_header_code_and_a_file_name_code_are_one_participant_and_withdraw_finds_both_files(tmp_path):
    _, data = _study(tmp_path)
    assert _participants(data) == {"P1"}
    assert "1 of 1 participant" in (data / "report.md").read_text("utf-8")
    for who in ("P01", "P1"):
        shown = CliRunner().invoke(app, ["withdraw", who, "--data", str(data)])
        assert shown.exit_code == 0, shown.output
        assert "P01_first.txt" in shown.output and "P01_second.txt" in shown.output, shown.output


def test_a_study_stored_with_two_spellings_withdraws_both_and_keeps_the_person_out_later(tmp_path):
    inbox, data = _study(tmp_path)
    store = Store(default_database_url(data))
    # As a study run before this fix stored it: the header's "P01" for the first file, "P1" for the second.
    with store.session() as session:
        first = session.scalar(select(Transcript.id).where(Transcript.source_name.like("%first%")))
        session.execute(update(Turn).where(Turn.transcript_id == first, Turn.participant == "P1")
                        .values(participant="P01"))
        session.execute(update(Statement).where(Statement.transcript_id == first, Statement.participant == "P1")
                        .values(participant="P01"))
        session.commit()
    assert _participants(data) == {"P01", "P1"}
    done = CliRunner().invoke(app, ["withdraw", "p1", "--data", str(data), "--yes"])
    assert done.exit_code == 0, done.output
    assert _participants(data) == set()
    with store.session() as session:
        assert session.scalar(select(Transcript.id)) is None
        # A withdrawal recorded before this fix kept the spelling it was given.
        session.execute(update(Withdrawal).values(participant="P01"))
        session.commit()
    # A third interview headed with the old spelling is theirs too: left out.
    (inbox / "third.txt").write_text(FIRST.replace("caseload", "workload"), "utf-8")
    later = code_interviews(str(inbox), str(data))
    assert not later.failed, later.failed
    assert any("third.txt" in line for line in later.withdrawn), later.withdrawn
    assert _participants(data) == set()


def test_a_study_that_stored_a_padded_header_code_keeps_its_spelling_for_the_next_file(tmp_path):
    """A study stored before codes were written one way holds "P01" from a header; its next file headed
    P01 (read now as P1) joins that participant instead of splitting them into P01 and P1."""
    inbox, data = _study(tmp_path)
    with Store(default_database_url(data)).session() as session:
        for table in (Turn, Statement):
            session.execute(update(table).where(table.participant == "P1").values(participant="P01"))
        session.execute(update(Transcript).where(Transcript.participant == "P1").values(participant="P01"))
        session.commit()
    (inbox / "third.txt").write_text(FIRST.replace("caseload", "workload"), "utf-8")
    assert code_interviews(str(inbox), str(data)).transcripts_added == 1
    assert _participants(data) == {"P01"}
    with Store(default_database_url(data)).session() as session:
        third = session.scalar(select(Transcript).where(Transcript.source_name == "third.txt"))
        assert third.participant == "P01"
