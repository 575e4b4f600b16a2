"""A participant withdraws: their words leave the study, others' reviews stay, later runs keep them out.

One real study (three English example interviews and a group session in which P2 and P7 speak,
the real Prefect flow, SQLite) is coded and reviewed once; each test withdraws P2 from a copy.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import (
    Decision,
    Embedding,
    Memo,
    Pseudonym,
    Replacement,
    Statement,
    Store,
    Suggestion,
    Theme,
    Transcript,
    Turn,
    Withdrawal,
    default_database_url,
)
from qualflow.models.queries import ACTIVE_ASSIGNMENT, active_assignment
from qualflow.pipeline.withdraw import plan_withdrawal, study_participant, withdraw
from qualflow.review import actions
from qualflow.review.undo import undo
from sqlalchemy import func, select, update
from typer.testing import CliRunner

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FILES = ("en_p1_nurse.txt", "en_p2_social_worker.txt", "en_p3_new_graduate.txt")
# P2's words in the group session: a name only they mention, and a phrase to look for afterwards.
P2_SAYS = "I asked Dr Okafor whether the waiting list for the memory clinic could be shared with us"
P7_SAYS = "The shared calendar helps because everyone can see who is already visiting a family"
GROUP = f"""# group session (invented for a test)
# language: en

Interviewer: What makes the handover between teams hard?

P2: {P2_SAYS}, and she said the list changes every week, so any copy we keep is out of date by Friday.

P7: {P7_SAYS}, and the duty worker can move a visit without phoning round the whole team.

Interviewer: And when it goes wrong?

P2: Then the family tells the same story three times to three people, which is exactly what they hate most about services.

P7: When it goes wrong it is usually a missed message about medication, and the pharmacist finds out before we do.
"""


def run(inbox: Path, data: Path):
    return code_interviews(str(inbox), str(data), "small-study")


@dataclass
class Study:
    inbox: Path
    data: Path


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Study:
    root = tmp_path_factory.mktemp("withdraw")
    inbox, data = root / "inbox", root / "data"
    inbox.mkdir()
    for name in FILES:
        shutil.copy(EXAMPLES / name, inbox / name)
    (inbox / "group_session.txt").write_text(GROUP, "utf-8")
    summary = run(inbox, data)
    assert summary.transcripts_added == 4 and not summary.failed
    store = Store(default_database_url(data))
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Statement).where(Statement.participant == "P2")) > 5
        assert session.scalar(select(Pseudonym).where(Pseudonym.real.contains("Okafor"))) is not None
        p1 = _placed(session, "P1")
        actions.confirm_assignment(session, "alice", p1[0].id)
        actions.write_memo(session, "alice", "workload hidden", statement_id=p1[1].id)
        p2 = _placed(session, "P2")
        actions.write_memo(session, "alice", "about P2's team", statement_id=p2[0].id)
        actions.confirm_assignment(session, "alice", p2[1].id)  # the newest decision touches P2
    store.dispose()
    return Study(inbox, data)


def _placed(session, participant: str) -> list[Statement]:
    rows = session.scalars(select(Statement).where(Statement.participant == participant, Statement.significant)
                           .order_by(Statement.id))
    return [s for s in rows if active_assignment(session, s.id) is not None]


def copy_of(study: Study, tmp_path: Path) -> tuple[Path, Path, Store]:
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    shutil.copytree(study.inbox, inbox)
    shutil.copytree(study.data, data)
    return inbox, data, Store(default_database_url(data))


def withdrawn(store: Store, who: str = "P2") -> dict:
    with store.session() as session:
        return withdraw(session, plan_withdrawal(session, study_participant(session, who)))


def test_nothing_of_the_participant_is_left_in_the_study(study, tmp_path):
    _, _, store = copy_of(study, tmp_path)
    with store.session() as session:
        p2_hashes = set(session.scalars(select(Statement.text_hash).where(Statement.participant == "P2")))
        others = set(session.scalars(select(Statement.text_hash).where(Statement.participant != "P2")))
    counts = withdrawn(store)
    assert counts["transcripts"] == 1 and counts["transcripts_edited"] == 1 and counts["statements"] > 5
    with store.session() as session:
        assert not session.scalars(select(Statement).where(Statement.participant == "P2")).all()
        assert not session.scalars(select(Turn).where(Turn.participant == "P2")).all()
        names = set(session.scalars(select(Transcript.source_name)))
        assert names == {"en_p1_nurse.txt", "en_p3_new_graduate.txt", "group_session.txt"}
        group = session.scalar(select(Transcript).where(Transcript.source_name == "group_session.txt"))
        assert "Okafor" not in group.text and "waiting list" not in group.text and "three people" not in group.text
        assert P7_SAYS in group.text  # the other speaker's words stay, at the same offsets
        assert "P2:" not in group.text and "P7:" in group.text  # their speaker labels go too
        for statement in session.scalars(select(Statement)):
            assert statement.transcript.text[statement.start:statement.end] == statement.text
        for replacement in session.scalars(select(Replacement).where(Replacement.transcript_id == group.id)):
            assert group.text[replacement.start:replacement.end] == replacement.placeholder
        assert session.scalar(select(Pseudonym).where(Pseudonym.real.contains("Okafor"))) is None
        cached = set(session.scalars(select(Embedding.text_hash)))
        assert not cached & (p2_hashes - others)
        for theme in session.scalars(select(Theme)):
            assert "P2" not in theme.participants
            members = session.scalar(select(func.count()).select_from(Suggestion).where(
                Suggestion.theme_id == theme.id, Suggestion.status.in_(ACTIVE_ASSIGNMENT)))
            if theme.level == "subcategory":
                assert theme.size == members
            for statement_id in theme.exemplar_statement_ids:
                assert session.get(Statement, statement_id) is not None
        assert session.scalars(select(Withdrawal)).one().participant == "P2"


def test_every_other_decision_survives_and_the_log_is_untouched(study, tmp_path):
    _, _, store = copy_of(study, tmp_path)
    with store.session() as session:
        log_before = [(d.id, d.action, d.summary) for d in session.scalars(select(Decision).order_by(Decision.id))]
        confirmed_p1 = session.scalars(select(Suggestion).join(Statement).where(
            Statement.participant == "P1", Suggestion.status == "confirmed")).all()
    withdrawn(store)
    with store.session() as session:
        assert [(d.id, d.action, d.summary) for d in session.scalars(select(Decision).order_by(Decision.id))] \
            == log_before
        assert len(confirmed_p1) == 1
        assert session.get(Suggestion, confirmed_p1[0].id).status == "confirmed"
        memos = session.scalars(select(Memo)).all()
        assert [m.text for m in memos] == ["workload hidden"]
    # The two newest decisions touched deleted statements: they can no longer be undone, and undo passes
    # over them, saying so, to the memo before (tests/test_undo_after_withdrawal.py).
    with store.session() as session:
        done = undo(session, "alice")
        assert done.undoes_id == 2 and "passed over #4 (confirm), #3 (memo)" in done.summary


def test_a_later_run_keeps_them_out(study, tmp_path):
    inbox, data, store = copy_of(study, tmp_path)
    withdrawn(store)
    again = run(inbox, data)
    assert again.transcripts_added == 0 and not again.failed
    assert again.withdrawn == [("en_p2_social_worker.txt: left out, its participant withdrew from the study "
                                "(`qualflow withdraw`)")]
    # An edited group session is a new version without P2's turns; a new file of P2's is left out.
    (inbox / "group_session.txt").write_text(GROUP.replace("three people", "four people"), "utf-8")
    follow_up = ("# participant: P2\n\nInterviewer: Anything to add?\n\nP2: Only that the waiting list is still "
                 "shared by e-mail, which nobody reads in time.\n")
    (inbox / "p2_follow_up.txt").write_text(follow_up, "utf-8")
    third = run(inbox, data)
    assert third.new_versions == ["group_session.txt"]
    assert any(line.startswith("p2_follow_up.txt: left out") for line in third.withdrawn)
    with store.session() as session:
        assert not session.scalars(select(Statement).where(Statement.participant == "P2")).all()
        live = session.scalar(select(Transcript).where(Transcript.source_name == "group_session.txt",
                                                       Transcript.superseded_by_id.is_(None)))
        assert "four people" not in live.text and P7_SAYS in live.text
        assert "P2:" not in live.text and "P7:" in live.text
        assert session.scalar(select(func.count()).select_from(Suggestion).where(Suggestion.status == "confirmed")) == 1


def test_the_cli_shows_first_and_deletes_only_with_yes(study, tmp_path):
    _, data, store = copy_of(study, tmp_path)
    runner = CliRunner()
    unknown = runner.invoke(app, ["withdraw", "P99", "--data", str(data)])
    assert unknown.exit_code == 2 and "no participant" in unknown.output
    dry = runner.invoke(app, ["withdraw", "P2", "--data", str(data)])
    assert dry.exit_code == 0, dry.output
    assert "Nothing deleted" in dry.output and "delete   en_p2_social_worker.txt" in dry.output
    assert "blank    group_session.txt" in dry.output
    assert store.count(Withdrawal) == 0
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Statement).where(Statement.participant == "P2")) > 5
    done = runner.invoke(app, ["withdraw", "P2", "--data", str(data), "--yes"])
    assert done.exit_code == 0, done.output
    assert "Deleted" in done.output and store.count(Withdrawal) == 1
    # Two reports, before and after, give away by difference what Table 1 said of them (privacy audit).
    assert "set beside one written now, shows by difference this participant's Table 1 characteristics" in \
        " ".join(done.output.split())
    report = (data / "report.md").read_text("utf-8")
    assert "P2" not in report.replace("P20", "")
    with store.session() as session:  # counted now: P2's statements are gone from the header's count too
        left = session.scalar(select(func.count()).select_from(Statement).where(Statement.significant.is_(True)))
    assert f"from {left} significant statements" in report
    again = runner.invoke(app, ["withdraw", "p2", "--data", str(data), "--yes"])
    assert again.exit_code == 2 and "P2" not in again.output.replace("p2 withdrew", "")
    assert "p2 withdrew on " in " ".join(again.output.split()) and store.count(Withdrawal) == 1


def test_a_participant_is_found_by_the_name_the_key_map_holds(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    with store.session() as session:
        transcript = Transcript(content_hash="x", source_name="a.txt", language="en", text="Hi.", participant=None)
        session.add(transcript)
        session.flush()
        session.add_all([Pseudonym(kind="PERSON", real="Mary Jones", placeholder="[PERSON_1]"),
                         Turn(transcript_id=transcript.id, index=0, role="participant", participant="[PERSON_1]",
                              start=0, end=3)])
    with store.session() as session:
        assert study_participant(session, "mary jones") == "[PERSON_1]"
        assert study_participant(session, "[PERSON_1]") == "[PERSON_1]"
        assert study_participant(session, "Someone Else") is None


def test_withdrawing_on_postgres(tmp_path, postgres_url):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in FILES[:2]:
        shutil.copy(EXAMPLES / name, inbox / name)
    (inbox / "group_session.txt").write_text(GROUP, "utf-8")
    code_interviews(str(inbox), str(data), "small-study", database_url=postgres_url)
    store = Store(postgres_url)
    counts = withdrawn(store)
    assert counts["transcripts"] == 1 and counts["transcripts_edited"] == 1
    with store.session() as session:
        assert not session.scalars(select(Statement).where(Statement.participant == "P2")).all()
        group = session.scalar(select(Transcript).where(Transcript.source_name == "group_session.txt"))
        assert "Okafor" not in group.text and P7_SAYS in group.text
    again = code_interviews(str(inbox), str(data), "small-study", database_url=postgres_url)
    assert again.transcripts_added == 0 and len(again.withdrawn) == 1
    store.dispose()


# A second study: a couple interview whose header names one partner, a file named after its participant,
# and a file whose first version only P4 speaks in and whose second version P8 joins.
COUPLE = """# participant: Zara Quinlan
# language: en

Interviewer: How did the move to the new flat go for you both?

Zara: It was harder than I expected because the lift was broken for most of the first month and I had to carry everything up.

Tom: I mostly worried about the money, since the deposit took every penny we had saved over two years.

Zara: The neighbours helped a lot, they lent us a trolley and showed us where the recycling goes.

Tom: The council never answered our letters about the damp in the bathroom, and that still makes me angry.
"""
NAMED = """# language: en

Interviewer: Tell me about your first week on the ward.

P9: The first week was chaotic because nobody had told the night staff that I was starting, so I waited at the desk for an hour.

Interviewer: How did the team treat you?

P9: Most of the nurses were kind, but the rota was published late every single week and I could never plan my childcare.
"""
VISIT = """# language: en

Interviewer: What happens on a home visit?

P4: I check the medication first, because the blister packs are often mixed up after a weekend with the family.

P4: Then we talk about meals, since most of my clients skip lunch when nobody is there to remind them.
"""
P8_SAYS = "As the student on placement I mostly watched, and I was surprised how much of the job is paperwork in the car"
VISIT_WITH_P8 = VISIT + f"""
P8: {P8_SAYS}, sometimes for an hour after each visit.

P8: The families were always polite to me, although some of them clearly wanted to talk to the nurse and not to a student.
"""


@pytest.fixture(scope="module")
def couple_study(tmp_path_factory) -> Study:
    root = tmp_path_factory.mktemp("withdraw-couple")
    inbox, data = root / "inbox", root / "data"
    inbox.mkdir()
    shutil.copy(EXAMPLES / FILES[0], inbox / FILES[0])
    (inbox / "couple.txt").write_text(COUPLE, "utf-8")
    (inbox / "interview_P9_Daniel_Kowalczyk.txt").write_text(NAMED, "utf-8")
    (inbox / "p4_home_visit.txt").write_text(VISIT, "utf-8")
    assert not run(inbox, data).failed
    (inbox / "p4_home_visit.txt").write_text(VISIT_WITH_P8, "utf-8")
    assert run(inbox, data).new_versions == ["p4_home_visit.txt"]
    store = Store(default_database_url(data))
    with store.session() as session:
        p8 = _placed(session, "P8")
        actions.confirm_assignment(session, "alice", p8[0].id)
    store.dispose()
    return Study(inbox, data)


def test_a_partner_in_a_couple_leaves_no_label_header_or_name_behind(couple_study, tmp_path):
    _, _, store = copy_of(couple_study, tmp_path)
    with store.session() as session:
        reals = {p.real for p in session.scalars(select(Pseudonym))}
        # Her label "Zara" takes the placeholder of the header's "Zara Quinlan" (one person, one placeholder).
        assert reals >= {"zara quinlan", "tom"} and "zara" not in reals
    withdrawn(store, "Zara Quinlan")
    with store.session() as session:
        couple = session.scalar(select(Transcript).where(Transcript.source_name == "couple.txt"))
        reals = {p.real for p in session.scalars(select(Pseudonym))}
        # Her name, as the header gave it and as her speaker label gave it, leaves the key map.
        assert "zara quinlan" not in reals and "zara" not in reals and "tom" in reals
        # Her speaker labels and the header value naming her are blanked too, not only her words.
        placeholders = {p.placeholder for p in session.scalars(select(Pseudonym))}
        assert "lift was broken" not in couple.text and "deposit took every penny" in couple.text
        assert "[PERSON_1]" not in couple.text
        assert couple.participant != "[PERSON_1]" and "[PERSON_1]" not in couple.meta.values()
        for replacement in session.scalars(select(Replacement).where(Replacement.transcript_id == couple.id)):
            assert couple.text[replacement.start:replacement.end] == replacement.placeholder in placeholders
        for statement in session.scalars(select(Statement).where(Statement.transcript_id == couple.id)):
            assert couple.text[statement.start:statement.end] == statement.text
    # Her partner is found by the name the key map holds for his speaker label.
    with store.session() as session:
        tom = study_participant(session, "Tom")
        assert tom is not None and session.scalar(select(Turn).where(Turn.participant == tom)).speaker_label \
            == session.scalar(select(Pseudonym.placeholder).where(Pseudonym.real == "tom"))


def test_a_name_only_a_deleted_file_name_held_leaves_the_key_map(couple_study, tmp_path):
    _, _, store = copy_of(couple_study, tmp_path)
    with store.session() as session:
        assert session.scalar(select(Pseudonym).where(Pseudonym.real == "daniel kowalczyk")) is not None
    counts = withdrawn(store, "P9")
    assert counts["transcripts"] == 1
    with store.session() as session:
        assert session.scalar(select(Pseudonym).where(Pseudonym.real == "daniel kowalczyk")) is None


def test_a_version_others_speak_in_is_not_deleted_with_their_own(couple_study, tmp_path):
    _, _, store = copy_of(couple_study, tmp_path)
    with store.session() as session:
        p8_statements = session.scalar(select(func.count()).select_from(Statement).where(
            Statement.participant == "P8"))
        assert p8_statements > 0
    counts = withdrawn(store, "P4")
    assert counts["transcripts"] == 0 and counts["transcripts_edited"] == 2
    with store.session() as session:
        versions = session.scalars(select(Transcript).where(Transcript.source_name == "p4_home_visit.txt")
                                   .order_by(Transcript.id)).all()
        assert len(versions) == 2
        first, live = versions
        assert first.superseded_by_id == live.id and live.previous_version_id == first.id
        assert "blister" not in first.text and not first.text.strip() and not first.turns
        assert "blister" not in live.text and P8_SAYS in live.text
        assert not session.scalars(select(Statement).where(Statement.participant == "P4")).all()
        assert session.scalar(select(func.count()).select_from(Statement).where(
            Statement.participant == "P8")) == p8_statements
        confirmed = session.scalars(select(Suggestion).join(Statement).where(
            Statement.participant == "P8", Suggestion.status == "confirmed")).all()
        assert len(confirmed) == 1
        for statement in session.scalars(select(Statement).where(Statement.transcript_id == live.id)):
            assert live.text[statement.start:statement.end] == statement.text


def test_a_suggested_theme_left_empty_loses_the_words_it_was_made_of(study, tmp_path):
    from qualflow.pipeline.withdraw import EMPTIED_LABEL

    _, _, store = copy_of(study, tmp_path)
    with store.session() as session:
        only_p2 = []
        for theme in session.scalars(select(Theme).where(Theme.status == "candidate", Theme.size > 0)):
            who = set(session.scalars(select(Statement.participant).join(Suggestion).where(
                Suggestion.theme_id == theme.id, Suggestion.status.in_(ACTIVE_ASSIGNMENT))))
            if who == {"P2"}:
                only_p2.append((theme.id, theme.label))
    assert only_p2, "the study needs a suggested subcategory of P2's statements alone"
    withdrawn(store)
    with store.session() as session:
        for theme_id, label in only_p2:
            theme = session.get(Theme, theme_id)
            assert theme.size == 0 and theme.keywords == [] and theme.label == EMPTIED_LABEL != label
        kept = session.scalars(select(Theme).where(Theme.size > 0)).all()
        assert kept and all(t.label != EMPTIED_LABEL for t in kept)


FOLLOW_UP = """# participant: Zara Quinlan
# language: en

Interviewer: It has been a year since we last spoke. How is the new flat now?

Zara: The damp is finally fixed, but only after the housing officer visited three times and took photographs.

Zara: I still carry the shopping up the stairs on Thursdays because the lift is serviced that day.
"""
NEWCOMER = """# participant: Priya Raman
# language: en

Interviewer: How did you come to volunteer at the food bank?

Priya: A neighbour asked me to help with the Saturday deliveries, and after a month I was running the rota myself.
"""


def test_a_participant_known_by_name_is_recognised_in_a_later_file_and_their_id_never_given_to_another(
        couple_study, tmp_path):
    inbox, data, store = copy_of(couple_study, tmp_path)
    with store.session() as session:
        zara = study_participant(session, "Zara Quinlan")
        highest = max(int(p.placeholder.strip("[]").split("_")[1]) for p in session.scalars(
            select(Pseudonym).where(Pseudonym.kind == "PERSON")))
        # Her placeholder is made the study's newest, so a new name would be numbered after the ones left.
        session.execute(update(Pseudonym).where(Pseudonym.placeholder == zara).values(
            placeholder=f"[PERSON_{highest + 1}]"))
        for model in (Turn, Statement):
            session.execute(update(model).where(model.participant == zara).values(participant=f"[PERSON_{highest + 1}]"))
        session.execute(update(Transcript).where(Transcript.participant == zara).values(
            participant=f"[PERSON_{highest + 1}]"))
        zara = f"[PERSON_{highest + 1}]"
    withdrawn(store, zara)
    (inbox / "zara_follow_up.txt").write_text(FOLLOW_UP, "utf-8")
    (inbox / "newcomer.txt").write_text(NEWCOMER, "utf-8")
    summary = run(inbox, data)
    assert not summary.failed and summary.transcripts_added == 1, summary
    with store.session() as session:
        texts = " ".join(session.scalars(select(Statement.text)))
        assert "housing officer" not in texts and "Saturday deliveries" in texts
        newcomer = session.scalar(select(Statement.participant).where(Statement.text.contains("Saturday")))
        assert newcomer is not None and newcomer != zara
    result = CliRunner().invoke(app, ["withdraw", "Zara Quinlan", "--data", str(data)])
    assert result.exit_code == 2 and "withdrew on" in result.output
