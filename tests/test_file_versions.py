"""An edited interview becomes a new version of its transcript; reviews of unchanged statements survive.

One real study (three English interviews, the real Prefect flow, SQLite) is coded, reviewed, and
coded again after one sentence of one interview was edited. Tests that change the study further
work on a copy of its data folder, so each can run alone.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from qualflow.flows import tasks
from qualflow.flows.batch import code_interviews
from qualflow.models import (
    Decision,
    Embedding,
    Memo,
    Statement,
    Store,
    Suggestion,
    Theme,
    ThemeSet,
    Transcript,
    Turn,
    default_database_url,
)
from qualflow.models.queries import (
    ACTIVE_ASSIGNMENT,
    active_assignment,
    memos_on,
    study_participants,
)
from qualflow.pipeline.persist import classify_file, significant_statements
from qualflow.pipeline.place import never_placed
from qualflow.pipeline.report import assignment_rows, statement_list
from qualflow.pipeline.saturation import interview_order
from qualflow.pipeline.versions import supersede
from qualflow.review import actions
from qualflow.review.pages import Filters, choices, search_statements
from qualflow.review.state import restore
from qualflow.review.undo import undo
from sqlalchemy import func, select

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FILES = ("en_p1_nurse.txt", "en_p2_social_worker.txt", "en_p3_new_graduate.txt")
EDITED = "en_p1_nurse.txt"
# The one edit: a number in P1's caseload sentence.
BEFORE, AFTER = "My caseload is thirty-two right now", "My caseload is thirty-five right now"
# A second edit of the same sentence, for tests that need a third version.
AGAIN = "My caseload is thirty-six right now"
RECORDS = (Transcript, Turn, Statement, Embedding, ThemeSet, Theme, Suggestion, Memo, Decision)


def counts(store: Store) -> dict:
    return {record.__name__: store.count(record) for record in RECORDS}


def run(inbox: Path, data: Path, url: str | None = None):
    return code_interviews(str(inbox), str(data), "small-study", database_url=url)


def statements_of(session, transcript_id: int) -> list[Statement]:
    return list(session.scalars(select(Statement).where(Statement.transcript_id == transcript_id)
                                .order_by(Statement.index)))


def twin(session, transcript_id: int, statement: Statement) -> Statement:
    """The statement of `transcript_id` with the same text (the texts picked below are unique)."""
    return session.scalar(select(Statement).where(Statement.transcript_id == transcript_id,
                                                  Statement.text_hash == statement.text_hash))


def plain_suggestions(session, transcript_id: int) -> dict[str, tuple]:
    """Each statement's unreviewed suggestion (theme, similarity, flags), by text hash (unique texts only)."""
    rows = statements_of(session, transcript_id)
    hashes = [s.text_hash for s in rows]
    found = {}
    for statement in rows:
        row = session.scalar(select(Suggestion).where(Suggestion.statement_id == statement.id,
                                                      Suggestion.status == "suggested"))
        if row is not None and hashes.count(statement.text_hash) == 1:
            found[statement.text_hash] = (row.theme_id, row.similarity, row.outlier, row.weak_fit)
    return found


def placing_spy(found: list[list[int]]):
    """pipeline.place.never_placed, recording what it returned: the statements a placement took for new."""
    def spy(session, statement_ids):
        new = never_placed(session, statement_ids)
        found.append(list(new))
        return new
    return spy


def review_p1(session, transcript_id: int) -> dict[str, int]:
    """A reviewer's work on P1, on statements whose text occurs once and is not the one to be edited."""
    rows = statements_of(session, transcript_id)
    hashes = [s.text_hash for s in rows]
    placed = [s for s in rows if s.significant and hashes.count(s.text_hash) == 1 and "thirty-two" not in s.text
              and active_assignment(session, s.id) is not None]
    assert len(placed) >= 4, "P1 needs four placed statements to review"
    confirmed, rejected, memo, not_significant = placed[:4]
    picked = {"confirmed": confirmed.id, "rejected": rejected.id, "memo": memo.id,
              "not_significant": not_significant.id,
              "confirmed_theme": active_assignment(session, confirmed.id).theme_id,
              "rejected_theme": active_assignment(session, rejected.id).theme_id}
    actions.confirm_assignment(session, "alice", confirmed.id)
    actions.reject_assignment(session, "alice", rejected.id)
    actions.write_memo(session, "alice", "says the load is hidden", statement_id=memo.id)
    actions.write_memo(session, "bob", "withdrawn later", statement_id=memo.id)
    session.scalar(select(Memo).where(Memo.reviewer == "bob")).withdrawn = True  # as an undo leaves it
    actions.mark_not_significant(session, "alice", not_significant.id)
    return picked


@dataclass
class Study:
    inbox: Path
    data: Path
    store: Store
    old_id: int
    new_id: int
    picked: dict[str, int]
    summary: object
    decisions_before_edit: int
    suggested_before_edit: dict[str, tuple]  # P1's plain suggestions by text hash, after review_p1
    taken_for_new: list[list[int]]  # what never_placed returned during the run after the edit


def edit_p1(inbox: Path, before: str = BEFORE, after: str = AFTER) -> None:
    path = inbox / EDITED
    text = path.read_text("utf-8")
    assert text.count(before) == 1
    path.write_text(text.replace(before, after), "utf-8")


def newest_version(session) -> int:
    return session.scalar(select(Transcript.id).where(Transcript.source_name == EDITED)
                          .order_by(Transcript.id.desc()).limit(1))


def assignment_table(store: Store) -> list[tuple]:
    with store.session() as session:
        return [tuple(row) for row in session.execute(
            select(Suggestion.statement_id, Suggestion.theme_id, Suggestion.status, Suggestion.similarity,
                   Suggestion.outlier, Suggestion.weak_fit).order_by(Suggestion.statement_id, Suggestion.theme_id))]


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Study:
    root = tmp_path_factory.mktemp("versions")
    inbox, data = root / "inbox", root / "data"
    inbox.mkdir()
    for name in FILES:
        shutil.copy(EXAMPLES / name, inbox / name)
    first = run(inbox, data)
    assert first.transcripts_added == 3 and not first.failed
    store = Store(default_database_url(data))
    with store.session() as session:
        old_id = session.scalar(select(Transcript.id).where(Transcript.source_name == EDITED))
        picked = review_p1(session, old_id)
    with store.session() as session:
        suggested = plain_suggestions(session, old_id)
    decisions = store.count(Decision)
    edit_p1(inbox)
    taken_for_new: list[list[int]] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "never_placed", placing_spy(taken_for_new))
        summary = run(inbox, data)
    with store.session() as session:
        new_id = session.scalar(select(Transcript.id).where(Transcript.source_name == EDITED)
                                .order_by(Transcript.id.desc()).limit(1))
    return Study(inbox, data, store, old_id, new_id, picked, summary, decisions, suggested, taken_for_new)


def copy_of(study: Study, tmp_path: Path) -> tuple[Path, Path, Store]:
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    shutil.copytree(study.inbox, inbox)
    shutil.copytree(study.data, data)
    return inbox, data, Store(default_database_url(data))


def test_an_edited_file_is_stored_as_its_next_version(study):
    assert study.summary.new_versions == [EDITED]
    assert study.summary.transcripts_added == 0 and sorted(study.summary.unchanged) == sorted(FILES[1:])
    assert study.new_id != study.old_id
    with study.store.session() as session:
        old, new = session.get(Transcript, study.old_id), session.get(Transcript, study.new_id)
        assert (new.previous_version_id, old.superseded_by_id) == (old.id, new.id)
        assert new.superseded_by_id is None and old.previous_version_id is None
        assert AFTER in new.text and BEFORE in old.text  # the old version is kept, as history
        assert session.scalar(select(func.count()).select_from(Transcript)) == 4


def test_the_old_version_is_not_clustered_listed_or_reported(study):
    with study.store.session() as session:
        old_ids = {s.id for s in statements_of(session, study.old_id)}
        live = significant_statements(session)
        assert live and not old_ids & {s.id for s in live}
        # The newest clustering saw the live statements only.
        newest = session.scalar(select(ThemeSet).order_by(ThemeSet.id.desc()).limit(1))
        assert newest.n_statements == len(live)
        assert session.scalar(select(func.count()).select_from(Suggestion).where(
            Suggestion.statement_id.in_(old_ids), Suggestion.status.in_(ACTIVE_ASSIGNMENT))) == 0
        exported = {row["statement_id"] for row in assignment_rows(session)}
        assert exported and not exported & old_ids
        listed = statement_list(session, significant=True)
        assert not any(BEFORE in row["text"] for row in listed) and any(AFTER in row["text"] for row in listed)
        assert search_statements(session, Filters(q="caseload is thirty-two"), 1)[1] == 0
        assert search_statements(session, Filters(q="caseload is thirty-five"), 1)[1] == 1
        assert [name for _, name in choices(session)["transcripts"]].count(EDITED) == 1
        order, _ = interview_order(session)
        assert [t.source_name for t in order] == list(FILES)  # the edited interview keeps its place
        assert study_participants(session) == ["P1", "P2", "P3"]
    report = (study.data / "report.md").read_text("utf-8")
    assert f"from {len(live)} significant statements" in report


def test_reviews_of_unchanged_statements_survive_onto_the_new_version(study):
    picked = study.picked
    with study.store.session() as session:
        old = {key: session.get(Statement, picked[key]) for key in ("confirmed", "rejected", "memo", "not_significant")}
        new = {key: twin(session, study.new_id, statement) for key, statement in old.items()}
        assert all(new.values())

        confirmed = session.scalars(select(Suggestion).where(Suggestion.statement_id == new["confirmed"].id)).all()
        assert [(r.theme_id, r.status) for r in confirmed] == [(picked["confirmed_theme"], "confirmed")]

        rejected = session.scalars(select(Suggestion).where(Suggestion.statement_id == new["rejected"].id)).all()
        assert (picked["rejected_theme"], "rejected") in {(r.theme_id, r.status) for r in rejected}
        placed = active_assignment(session, new["rejected"].id)
        assert placed is None or placed.theme_id != picked["rejected_theme"]  # not put back where it was taken out

        memos = session.scalars(select(Memo).where(Memo.statement_id == new["memo"].id)).all()
        original = session.scalar(select(Memo).where(Memo.statement_id == old["memo"].id, Memo.reviewer == "alice"))
        assert [(m.reviewer, m.text, m.created_at, m.withdrawn) for m in memos] == [
            ("alice", "says the load is hidden", original.created_at, False)]  # the withdrawn one stays behind

        assert not new["not_significant"].significant
        assert new["not_significant"].excluded_reason == actions.NOT_SIGNIFICANT
        assert active_assignment(session, new["not_significant"].id) is None

        # Nothing a reviewer decided is deleted: the old rows are kept, superseded.
        old_rows = session.scalars(select(Suggestion).where(Suggestion.statement_id.in_(
            [old["confirmed"].id, old["rejected"].id]))).all()
        assert old_rows and {r.status for r in old_rows} == {"superseded"}
        assert not original.withdrawn
        assert session.get(Theme, picked["confirmed_theme"]).size == session.scalar(
            select(func.count()).select_from(Suggestion).where(Suggestion.theme_id == picked["confirmed_theme"],
                                                               Suggestion.status.in_(ACTIVE_ASSIGNMENT)))
    assert study.store.count(Decision) == study.decisions_before_edit  # a new version is not a reviewer's decision


def test_the_edited_statement_gets_a_fresh_suggestion(study):
    with study.store.session() as session:
        edited = [s for s in statements_of(session, study.new_id) if "thirty-five" in s.text]
        assert len(edited) == 1 and edited[0].significant
        assert not twin(session, study.old_id, edited[0])
        rows = session.scalars(select(Suggestion).where(Suggestion.statement_id == edited[0].id)).all()
        assert [r.status for r in rows] == ["suggested"]
        assert session.get(Theme, rows[0].theme_id).status in ("candidate", "confirmed")


def test_a_further_run_stores_nothing_again(study):
    before = counts(study.store)
    summary = run(study.inbox, study.data)
    assert counts(study.store) == before
    assert summary.new_versions == [] and sorted(summary.unchanged) == sorted(FILES)
    assert summary.transcripts_added == 0 and summary.embedded == 0


def test_classify_file(study):
    with study.store.session() as session:
        old, new = session.get(Transcript, study.old_id), session.get(Transcript, study.new_id)
        assert classify_file(session, new.content_hash, EDITED) == ("unchanged", None)
        assert classify_file(session, old.content_hash, EDITED) == ("new_version", None)  # the edit undone
        assert classify_file(session, new.content_hash, "copy.txt") == ("duplicate", EDITED)
        assert classify_file(session, old.content_hash, "copy.txt") == ("duplicate", EDITED)
        assert classify_file(session, "f" * 64, EDITED) == ("new_version", None)
        assert classify_file(session, "f" * 64, "new.txt") == ("new", None)


def test_an_undone_edit_becomes_the_newest_version_again(study, tmp_path):
    inbox, data, store = copy_of(study, tmp_path)
    shutil.copy(EXAMPLES / EDITED, inbox / EDITED)
    summary = run(inbox, data)
    assert summary.new_versions == [EDITED]
    with store.session() as session:
        versions = session.scalars(select(Transcript).where(Transcript.source_name == EDITED)
                                   .order_by(Transcript.id)).all()
        assert [v.id for v in versions[:2]] == [study.old_id, study.new_id] and len(versions) == 3
        first, second, third = versions
        assert third.text == first.text and third.content_hash != first.content_hash  # a marker: the hash is unique
        assert (third.previous_version_id, second.superseded_by_id, third.superseded_by_id) == (second.id, third.id, None)
        assert first.superseded_by_id == second.id  # the chain stays a line
        live = {s.transcript_id for s in significant_statements(session)}
        assert third.id in live and not {first.id, second.id} & live
        confirmed = twin(session, third.id, session.get(Statement, study.picked["confirmed"]))
        assert active_assignment(session, confirmed.id).status == "confirmed"
        assert next(s for s in statements_of(session, third.id) if "thirty-two" in s.text).significant
    again = counts(store)
    summary = run(inbox, data)
    assert summary.new_versions == [] and EDITED in summary.unchanged and counts(store) == again


def test_undoing_a_decision_made_on_an_old_version_places_nothing_there(study, tmp_path):
    _, _, store = copy_of(study, tmp_path)
    old_statement = study.picked["not_significant"]
    with store.session() as session:
        # What an undo of the pre-edit "not significant" mark does (called directly: undo() itself may
        # refuse when the run re-described the theme since, which is its own rule, not this one).
        decision = session.scalar(select(Decision).where(Decision.action == "not-significant"))
        assert any(row["status"] == "suggested"
                   for row in decision.before["statements"][str(old_statement)]["assignments"])
        restore(session, decision.before)
        assert session.get(Statement, old_statement).significant  # restored as it was
        assert active_assignment(session, old_statement) is None  # but its old version places nothing
        assert {r.status for r in session.scalars(select(Suggestion).where(
            Suggestion.statement_id == old_statement))} == {"superseded"}
        assert old_statement not in {s.id for s in significant_statements(session)}


def test_plain_suggestions_of_unchanged_statements_survive_onto_the_new_version(study):
    with study.store.session() as session:
        reviewed = {session.get(Statement, study.picked[key]).text_hash
                    for key in ("confirmed", "rejected", "not_significant")}
        edited = next(s for s in statements_of(session, study.old_id) if BEFORE in s.text).text_hash
        expected = {h: row for h, row in study.suggested_before_edit.items() if h not in reviewed | {edited}}
        assert len(expected) >= 40
        assert any(outlier for _, _, outlier, _ in expected.values())  # the flags are worth checking
        assert any(not outlier for _, _, outlier, _ in expected.values())
        new = {s.text_hash: s for s in statements_of(session, study.new_id)}
        carried = {}
        for text_hash in expected:
            rows = session.scalars(select(Suggestion).where(Suggestion.statement_id == new[text_hash].id)).all()
            carried[text_hash] = [(r.theme_id, r.similarity, r.outlier, r.weak_fit, r.status) for r in rows]
        assert carried == {h: [(*row, "suggested")] for h, row in expected.items()}
        # The old version's rows are kept, superseded, and each theme counts its live members only.
        old = {s.text_hash: s.id for s in statements_of(session, study.old_id)}
        assert {r.status for r in session.scalars(select(Suggestion).where(
            Suggestion.statement_id.in_([old[h] for h in expected])))} == {"superseded"}
        for theme_id in {theme_id for theme_id, *_ in expected.values()}:
            assert session.get(Theme, theme_id).size == session.scalar(
                select(func.count()).select_from(Suggestion).where(Suggestion.theme_id == theme_id,
                                                                   Suggestion.status.in_(ACTIVE_ASSIGNMENT)))


def test_only_the_edited_statement_is_taken_for_new(study):
    with study.store.session() as session:
        edited = [s.id for s in statements_of(session, study.new_id) if AFTER in s.text]
        assert len(edited) == 1
        assert study.taken_for_new == [edited]  # one placement, and only the edited statement was new to it
        assert study.summary.placed == 1 and not study.summary.reclustered
        assert study.summary.new_suggestions == 1  # carried suggestions are not news to a reviewer
        assert never_placed(session, [s.id for s in significant_statements(session)]) == []


def test_the_same_edit_arriving_twice_adds_no_rows(study, tmp_path):
    inbox, data, store = copy_of(study, tmp_path)
    edit_p1(inbox, AFTER, AGAIN)
    taken_for_new: list[list[int]] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "never_placed", placing_spy(taken_for_new))
        first = run(inbox, data)
        table, stored = assignment_table(store), counts(store)
        second = run(inbox, data)
    assert first.new_versions == [EDITED] and not first.reclustered
    assert second.new_versions == [] and EDITED in second.unchanged
    assert assignment_table(store) == table and counts(store) == stored
    with store.session() as session:
        third = newest_version(session)
        assert third not in (study.old_id, study.new_id)
        edited = [s.id for s in statements_of(session, third) if AGAIN in s.text]
        assert taken_for_new == [edited]  # what the second version's placement suggested carried on too
        pairs = [(statement_id, theme_id) for statement_id, theme_id, *_ in table]
        assert len(pairs) == len(set(pairs))
        active = [statement_id for statement_id, _, status, *_ in table if status in ACTIVE_ASSIGNMENT]
        assert active and len(active) == len(set(active))  # one place per statement at most
        live = {s.id for s in significant_statements(session)}
        assert set(active) <= live


def test_supersede_never_carries_onto_a_twin_twice(study, tmp_path):
    _, _, store = copy_of(study, tmp_path)
    with store.session() as session:
        old, new = session.get(Transcript, study.old_id), session.get(Transcript, study.new_id)
        new_ids = [s.id for s in statements_of(session, new.id)]
        # The old version's plain suggestions live again, as if the version had not been made yet.
        by_hash = {s.text_hash: s.id for s in statements_of(session, old.id)}
        revived = 0
        for text_hash, (theme_id, *_) in study.suggested_before_edit.items():
            row = session.scalar(select(Suggestion).where(Suggestion.statement_id == by_hash[text_hash],
                                                          Suggestion.theme_id == theme_id))
            if row is not None:
                row.status, revived = "suggested", revived + 1
        assert revived >= 40
        before = (session.scalar(select(func.count()).select_from(Suggestion)
                                 .where(Suggestion.statement_id.in_(new_ids))),
                  session.scalar(select(func.count()).select_from(Memo).where(Memo.statement_id.in_(new_ids))))
        carried = supersede(session, old, new)
        session.flush()
        after = (session.scalar(select(func.count()).select_from(Suggestion)
                                .where(Suggestion.statement_id.in_(new_ids))),
                 session.scalar(select(func.count()).select_from(Memo).where(Memo.statement_id.in_(new_ids))))
        assert (carried["suggestions"], carried["memos"]) == (0, 0)
        assert after == before
        session.rollback()


def test_undoing_a_memo_withdraws_the_copies_later_versions_carried(study, tmp_path):
    inbox, data, store = copy_of(study, tmp_path)
    with store.session() as session:
        statements = statements_of(session, study.new_id)
        hashes = [s.text_hash for s in statements]
        # A statement in no theme (an interviewer's question): nothing a new version does changes its
        # snapshot, so the undo below is allowed.
        question = next(s for s in statements if not s.significant and hashes.count(s.text_hash) == 1
                        and s.excluded_reason != actions.NOT_SIGNIFICANT
                        and session.scalar(select(Suggestion.id).where(Suggestion.statement_id == s.id)) is None)
        written = actions.write_memo(session, "carol", "the interviewer leads here", statement_id=question.id)
        written_id, memo_id, question_id = written.id, int(next(iter(written.after["memos"]))), question.id
    edit_p1(inbox, AFTER, AGAIN)
    assert run(inbox, data).new_versions == [EDITED]
    with store.session() as session:
        third = newest_version(session)
        copy_on = twin(session, third, session.get(Statement, question_id))
        [copy] = memos_on(session, statement_ids=[copy_on.id])
        assert (copy.reviewer, copy.text, copy.id != memo_id) == ("carol", "the interviewer leads here", True)
        done = undo(session, "carol")
        assert done.undoes_id == written_id
        assert session.get(Memo, memo_id).withdrawn and session.get(Memo, copy.id).withdrawn
        assert memos_on(session, statement_ids=[question_id, copy_on.id]) == []
        assert done.before["memos"][str(copy.id)] == {"withdrawn": False}  # the log names the copy too
        assert done.after["memos"][str(copy.id)] == {"withdrawn": True}


def test_a_new_version_on_postgres(tmp_path, postgres_url):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in FILES:
        shutil.copy(EXAMPLES / name, inbox / name)
    run(inbox, data, postgres_url)
    store = Store(postgres_url)
    with store.session() as session:
        old_id = session.scalar(select(Transcript.id).where(Transcript.source_name == EDITED))
        picked = review_p1(session, old_id)
    edit_p1(inbox)
    assert run(inbox, data, postgres_url).new_versions == [EDITED]
    with store.session() as session:
        new = session.scalar(select(Transcript).where(Transcript.previous_version_id == old_id))
        assert session.get(Transcript, old_id).superseded_by_id == new.id
        confirmed = twin(session, new.id, session.get(Statement, picked["confirmed"]))
        assert active_assignment(session, confirmed.id).status == "confirmed"
        assert not {s.transcript_id for s in significant_statements(session)} & {old_id}
    store.dispose()


def test_the_cli_says_a_file_became_a_new_version(tmp_path):
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(EXAMPLES / EDITED, inbox / EDITED)
    shutil.copy(EXAMPLES / "en_p2_social_worker.txt", inbox / "en_p2_social_worker.txt")
    arguments = ["run", str(inbox), "--data", str(data), "--config", "small-study"]
    assert CliRunner().invoke(app, arguments).exit_code == 0
    path = inbox / EDITED
    path.write_text(path.read_text("utf-8").replace(BEFORE, AFTER), "utf-8")
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "2 files: 0 new transcripts, 1 new version of stored ones" in result.output


def test_a_renamed_and_edited_file_is_reported_as_the_same_interview_twice(tmp_path):
    from qualflow.flows.run_record import run_markdown

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    for name in FILES[:2]:
        shutil.copy(EXAMPLES / name, inbox / name)
    assert run(inbox, data).repeated == []
    # Renamed and edited: by the documented rule a new transcript, not a new version.
    (inbox / "P1_second_copy.txt").write_text((inbox / EDITED).read_text("utf-8").replace(BEFORE, AFTER), "utf-8")
    (inbox / EDITED).unlink()
    summary = run(inbox, data)
    assert summary.transcripts_added == 1 and summary.new_versions == []
    (line,) = summary.repeated
    assert line.startswith("P1_second_copy.txt repeats ") and f"statements from {EDITED}" in line
    assert line in run_markdown(summary)
