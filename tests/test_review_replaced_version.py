"""A decision on a statement of a replaced transcript version is refused, never saved to change nothing.

A page or `qualflow show` list loaded before a run stored a new version of a file still shows the old
version's statement ids. The old version is history: nothing live reads it. So a decision there (not
significant, a memo, move, confirm, take-out, split) is refused with a message naming the live statement
to decide on when the sentence did not change, or saying that it changed. Real SQLite study
(tests/fixtures/review/study.py), the new version stored by pipeline/versions.py `supersede`.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fixtures.review.study import build
from qualflow.flows.cli import app
from qualflow.models import Decision, Memo, Statement, Store, Suggestion, Transcript, Turn, default_database_url
from qualflow.models.queries import active_assignment, theme_by_code
from qualflow.pipeline.persist import text_hash
from qualflow.pipeline.versions import supersede
from qualflow.review.accounts import add_reviewer
from qualflow.review.server import create_app
from sqlalchemy import func, select
from typer.testing import CliRunner

FILE = "p1.txt"
CHANGED = 1  # the index of the sentence the new version edits


def new_version(session, old: Transcript) -> Transcript:
    """Store an edited copy of `old` (sentence CHANGED reworded) as its next version, as a run does."""
    # The text and offsets stay the old ones: the decisions under test read only statements and their hashes.
    new = Transcript(content_hash=text_hash(f"{FILE}:version 2"), source_name=old.source_name, language=old.language,
                     participant=old.participant, text=old.text, meta={}, previous_version_id=old.id)
    session.add(new)
    session.flush()
    turns = {}
    for turn in session.scalars(select(Turn).where(Turn.transcript_id == old.id)):
        turns[turn.id] = Turn(transcript_id=new.id, index=turn.index, role=turn.role, speaker_label=turn.speaker_label,
                              participant=turn.participant, start=turn.start, end=turn.end, meta={})
        session.add(turns[turn.id])
    session.flush()
    for s in session.scalars(select(Statement).where(Statement.transcript_id == old.id).order_by(Statement.index)):
        edited = s.index == CHANGED
        sentence = "An edited sentence." if edited else s.text
        session.add(Statement(transcript_id=new.id, turn_id=turns[s.turn_id].id, index=s.index, start=s.start,
                              end=s.end, text=sentence, text_hash=text_hash("edited") if edited else s.text_hash,
                              language=s.language, tokens=sentence.split(), participant=s.participant,
                              significant=True, excluded_reason=None))
    session.flush()
    supersede(session, old, new)
    return new


@dataclass
class Study:
    """A data folder and the ids the tests decide on: old ids as a page loaded before the run shows
    them, one of a sentence the new version kept (`twin` is its live id), one of the edited sentence."""

    folder: Path
    unchanged: int
    twin: int
    edited: int


@pytest.fixture
def data(tmp_path):
    store = Store(default_database_url(tmp_path))
    build(store)
    with store.session() as session:
        add_reviewer(session, "alice", "correct horse")
        old = session.scalar(select(Transcript).where(Transcript.source_name == FILE))
        old_statements = list(session.scalars(select(Statement).where(Statement.transcript_id == old.id)
                                              .order_by(Statement.index)))
        new = new_version(session, old)
        live = {s.index: s.id for s in session.scalars(select(Statement).where(Statement.transcript_id == new.id))}
        old_ids = {s.index: s.id for s in old_statements}
    store.dispose()
    return Study(tmp_path, old_ids[0], live[0], old_ids[CHANGED])


def session_of(data):
    return Store(default_database_url(data.folder)).session()


def decisions(data) -> int:
    with session_of(data) as session:
        return session.scalar(select(func.count()).select_from(Decision))


def twin_untouched(data) -> None:
    """The live twin is as the run left it: significant, suggested in its theme, no memo."""
    with session_of(data) as session:
        twin = session.get(Statement, data.twin)
        assert twin.significant and active_assignment(session, twin.id).status == "suggested"
        assert session.scalar(select(func.count()).select_from(Memo).where(Memo.statement_id == twin.id)) == 0


runner = CliRunner()


def qualflow(data, *args):
    return runner.invoke(app, [*args, "--data", str(data.folder), "--as", "alice"])


@pytest.mark.parametrize("command", [
    ["review", "not-significant", "{id}"],
    ["review", "memo", "a memo on the old id", "--statement", "{id}"],
    ["review", "move", "{id}", "T2.1"],
    ["review", "confirm", "{id}"],
    ["review", "take-out", "{id}"],
    ["review", "split", "T1.1", "--statements", "{id}", "--label", "split off"],
])
def test_the_cli_refuses_an_old_versions_statement_naming_the_live_one(data, command):
    result = qualflow(data, *[part.replace("{id}", str(data.unchanged)) for part in command])
    assert result.exit_code == 2, result.output
    assert (f"statement {data.unchanged} is from an earlier version of {FILE}; its text is statement "
            f"{data.twin} now — decide on {data.twin}") in result.output
    assert "Nothing was saved" in result.output and "not in any theme" not in result.output
    assert decisions(data) == 0
    twin_untouched(data)


def test_the_cli_says_when_the_old_statement_changed_in_the_new_version(data):
    for command in (["review", "not-significant", str(data.edited)],
                    ["review", "memo", "note", "--statement", str(data.edited)]):
        result = qualflow(data, *command)
        assert result.exit_code == 2, result.output
        assert (f"statement {data.edited} is from an earlier version of {FILE}; that statement changed in the "
                "new version") in result.output
    assert decisions(data) == 0


def test_the_live_twin_takes_the_same_decisions(data):
    assert qualflow(data, "review", "memo", "on the live one", "--statement", str(data.twin)).exit_code == 0
    assert qualflow(data, "review", "not-significant", str(data.twin)).exit_code == 0
    with session_of(data) as session:
        assert not session.get(Statement, data.twin).significant
        assert active_assignment(session, data.twin) is None


def signed_in(data) -> tuple[TestClient, str]:
    client = TestClient(create_app(data.folder), base_url="http://127.0.0.1:8765", follow_redirects=False)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"name": "alice", "password": "correct horse", "csrf": csrf,
                                       "next": "/"}).status_code == 303
    with session_of(data) as session:
        theme = theme_by_code(session, "T1.1").id
    page = client.get(f"/themes/{theme}").text
    return client, re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_the_web_app_refuses_an_old_versions_statement_and_keeps_the_typed_memo(data):
    client, csrf = signed_in(data)
    memo = "Typed before the run: keep me"
    for action, extra in (("not-significant", {}), ("memo", {"text": memo}), ("confirm", {}), ("take-out", {})):
        response = client.post(f"/decide/{action}", data={"csrf": csrf, "statement_id": data.unchanged,
                                                         "back": "/", **extra})
        assert response.status_code == 409, (action, response.status_code)
        assert f"its text is statement {data.twin} now — decide on {data.twin}" in response.text
        if action == "memo":
            assert memo in response.text  # shown back to copy, not lost
    response = client.post("/decide/memo", data={"csrf": csrf, "statement_id": data.edited, "text": memo, "back": "/"})
    assert response.status_code == 409 and "that statement changed in the new version" in response.text
    assert memo in response.text
    assert decisions(data) == 0
    twin_untouched(data)
    with session_of(data) as session:  # the old version's rows are history, untouched
        assert {r.status for r in session.scalars(select(Suggestion).where(
            Suggestion.statement_id == data.unchanged))} == {"superseded"}
