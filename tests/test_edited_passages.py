"""Decisions stay on a passage through an edit of its transcript (pipeline/versions.py `twins`).

A statement whose wording changed a little (a typo fixed) keeps what reviewers decided about it, and
a sentence added earlier in the file with the same text as a reviewed one does not take its decisions.
The unit tests pair plain records; the last test codes, reviews and edits a real study (the real
Prefect flow, SQLite).
"""

import hashlib
import shutil
from pathlib import Path
from types import SimpleNamespace

from qualflow.flows.batch import code_interviews
from qualflow.models import Memo, Statement, Store, Suggestion, Transcript, default_database_url
from qualflow.models.queries import active_assignment
from qualflow.pipeline.versions import twins
from qualflow.review import actions
from sqlalchemy import select

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EDITED = "en_p1_nurse.txt"


def statements(*texts: str, first_id: int = 1) -> list[SimpleNamespace]:
    return [SimpleNamespace(id=first_id + i, text=text, text_hash=hashlib.sha256(text.encode()).hexdigest())
            for i, text in enumerate(texts)]


def paired(old, new) -> list[tuple[str, str]]:
    return sorted((a.text, b.text) for a, b in twins(old, new))


def ids(old, new) -> set[tuple[int, int]]:
    return {(a.id, b.id) for a, b in twins(old, new)}


def test_a_statement_with_a_typo_fixed_is_its_old_selfs_twin():
    old = statements("We start at eight.", "The handover is always rushed becuase of the phones.", "Then visits.")
    new = statements("We start at eight.", "The handover is always rushed because of the phones.", "Then visits.",
                     first_id=10)
    assert ids(old, new) == {(1, 10), (2, 11), (3, 12)}


def test_a_rewritten_statement_has_no_twin():
    old = statements("We start at eight.", "The handover is always rushed.", "Then visits.")
    new = statements("We start at eight.", "Nobody reads the notes I leave for the night shift.", "Then visits.",
                     first_id=10)
    assert ids(old, new) == {(1, 10), (3, 12)}


def test_a_sentence_added_earlier_does_not_take_the_decisions_of_its_double():
    old = statements("Intro.", "Middle part of the talk.", "It builds up quietly.", "End.")
    new = statements("Intro.", "It builds up quietly.", "Middle part of the talk.", "It builds up quietly.", "End.",
                     first_id=10)
    pairs = ids(old, new)
    assert (3, 13) in pairs  # the reviewed passage, further on, as before
    assert (3, 11) not in pairs  # not the copy added before it
    assert {(1, 10), (2, 12), (4, 14)} <= pairs


def test_a_moved_paragraph_keeps_its_twins_and_nothing_pairs_twice():
    old = statements("A first point.", "B second point.", "C third point.", "D fourth point.")
    new = statements("C third point.", "D fourth point.", "A first point.", "B second point.", first_id=10)
    pairs = twins(old, new)
    assert sorted((a.id, b.id) for a, b in pairs) == [(1, 12), (2, 13), (3, 10), (4, 11)]
    assert len({a.id for a, _ in pairs}) == len({b.id for _, b in pairs}) == len(pairs)


def test_repeated_short_answers_pair_in_order():
    old = statements("Yes.", "No.", "Yes.")
    new = statements("Yes.", "Maybe not.", "Yes.", first_id=10)
    assert ids(old, new) == {(1, 10), (3, 12)}


def _run(inbox: Path, data: Path):
    return code_interviews(str(inbox), str(data), "small-study")


def _placed_unique(session, transcript_id: int, text: str) -> list[Statement]:
    rows = list(session.scalars(select(Statement).where(Statement.transcript_id == transcript_id)
                                .order_by(Statement.index)))
    hashes = [s.text_hash for s in rows]
    return [s for s in rows if s.significant and hashes.count(s.text_hash) == 1 and len(s.text) > 60
            and text.count(s.text) == 1 and active_assignment(session, s.id) is not None]


def test_decisions_stay_on_an_edited_passage_and_off_a_copy_added_before_their_own(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(EXAMPLES / EDITED, inbox / EDITED)
    assert not _run(inbox, data).failed
    store = Store(default_database_url(data))
    path = inbox / EDITED
    text = path.read_text("utf-8")
    with store.session() as session:
        old_id = session.scalar(select(Transcript.id).where(Transcript.source_name == EDITED))
        picked = _placed_unique(session, old_id, text)
        assert len(picked) >= 2
        edited, doubled = picked[0], picked[-1]
        edited_text, doubled_text = edited.text, doubled.text
        edited_theme = active_assignment(session, edited.id).theme_id
        doubled_theme = active_assignment(session, doubled.id).theme_id
        actions.confirm_assignment(session, "alice", edited.id)
        actions.write_memo(session, "alice", "the key quote", statement_id=edited.id)
        actions.confirm_assignment(session, "alice", doubled.id)
        actions.write_memo(session, "alice", "said at the end", statement_id=doubled.id)

    # One word of the edited statement changes (a typo fixed); the doubled sentence is also said earlier.
    words = edited_text.split(" ")
    longest = max(range(len(words)), key=lambda i: len(words[i].strip(".,;:!?")))
    word = words[longest]
    fixed = " ".join(words[:longest] + [word[0] + word[2] + word[1] + word[3:]] + words[longest + 1:])  # two letters swapped
    opening = "Interviewer: Thank you for agreeing"  # a turn of its own, said before everything else
    assert text.count(opening) == 1
    text = text.replace(edited_text, fixed).replace(opening, f"P1: {doubled_text}\n\n{opening}")
    path.write_text(text, "utf-8")
    summary = _run(inbox, data)
    assert summary.new_versions == [EDITED] and not summary.failed

    with store.session() as session:
        new_id = session.scalar(select(Transcript.id).where(Transcript.source_name == EDITED)
                                .order_by(Transcript.id.desc()).limit(1))
        assert new_id != old_id
        rows = list(session.scalars(select(Statement).where(Statement.transcript_id == new_id)
                                    .order_by(Statement.index)))
        now_edited = [s for s in rows if s.text == fixed]
        copies = [s for s in rows if s.text == doubled_text]
        assert len(now_edited) == 1 and len(copies) == 2

        def decided(statement):
            confirmed = {r.theme_id for r in session.scalars(select(Suggestion).where(
                Suggestion.statement_id == statement.id, Suggestion.status == "confirmed"))}
            memos = {m.text for m in session.scalars(select(Memo).where(
                Memo.statement_id == statement.id, Memo.withdrawn.is_(False)))}
            return confirmed, memos

        assert decided(now_edited[0]) == ({edited_theme}, {"the key quote"})
        earlier, later = copies
        assert decided(later) == ({doubled_theme}, {"said at the end"})
        assert decided(earlier) == (set(), set())
