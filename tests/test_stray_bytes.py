"""A UTF-8 transcript with a stray Windows-1252 byte (a curly quote pasted from Word) is UTF-8.

It was taken for Mac-Icelandic: every "’" of the file became "‚Äô", the new version shared no
statement text with the old one, and reviewers' decisions silently left every live view (audit
F1). Unit tests of `decode_bytes`, then one real study (real Prefect flow, SQLite) that is
reviewed, edited with a stray byte, and run again.
"""

import shutil
from pathlib import Path

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.models import Memo, Statement, Store, Suggestion, Transcript, default_database_url
from qualflow.models.queries import NOT_SIGNIFICANT, active_assignment
from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.readers._text import decode_bytes, decoding_notes
from qualflow.review import actions
from sqlalchemy import select

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CURLY = "We\u2019re short-staffed, it\u2019s hard and that\u2019s that.\n"


def decoded(data: bytes, name: str = "p1.txt") -> tuple[str, list[str]]:
    with decoding_notes() as notes:
        text = decode_bytes(data, name)
    return text, notes


def test_a_stray_windows_apostrophe_in_utf8_is_read_as_one_with_a_note():
    data = (CURLY * 3).encode() + b"I\x92m sure \x96 mostly.\n" + CURLY.encode()
    text, notes = decoded(data)
    assert text == CURLY * 3 + "I\u2019m sure \u2013 mostly.\n" + CURLY
    assert notes == ["p1.txt: 2 bytes were not UTF-8 and were read as Windows-1252 (line 4); check those characters"]


def test_the_note_names_each_line_and_no_text():
    data = CURLY.encode() + b"ok\x92\r\n" + CURLY.encode() + b"caf\xe9\r\n"
    text, notes = decoded(data)
    assert "ok\u2019" in text and "caf\u00e9" in text and "\u201a\u00c4" not in text
    assert notes == ["p1.txt: 2 bytes were not UTF-8 and were read as Windows-1252 (lines 2, 4); check those "
                     "characters"]


def test_too_many_stray_bytes_are_refused_naming_the_first_line():
    data = (CURLY * 4).encode() + b"I\x92m sure they\x92re right, it\x92s \x93so\x94 hard \x96 really.\n"
    with pytest.raises(UnreadableFile, match=r"^p1.txt: not valid UTF-8: 6 bytes are not UTF-8.*first on line 5"):
        decode_bytes(data, "p1.txt")


def test_a_stray_byte_in_chinese_text_is_refused():
    chinese = "我觉得压力很大，因为病人太多了。\n" * 3
    for data in ((chinese + "就是这样").encode() + b"\x92\n", chinese.encode() + b"\xce\xd2\n"):
        with pytest.raises(UnreadableFile, match=r"on line 4, in Chinese text, is not UTF-8"):
            decode_bytes(data, "p5.txt")


def test_a_stray_byte_that_is_no_windows_character_is_refused():
    with pytest.raises(UnreadableFile, match=r"byte 0x81 on line 2 is not UTF-8 nor a Windows-1252 character"):
        decode_bytes(CURLY.encode() + b"ok\x81\n", "p1.txt")


def test_mostly_utf8_is_never_read_as_an_old_code_page():
    # Half valid UTF-8, half stray bytes: before, charset-normalizer's guess was accepted, whatever it was.
    data = (CURLY * 2).encode() + b"I\x92m sure they\x92re right, it\x92s \x93so\x94 hard.\n"
    with pytest.raises(UnreadableFile, match=r"save it as UTF-8|save the file as UTF-8"):
        decode_bytes(data, "p1.txt")


@pytest.mark.parametrize("text, encoding", [
    ("我觉得压力很大，因为病人太多了。我们每天都要加班。\n", "gb18030"),
    ("我覺得壓力很大，因為病人太多了。我們每天都要加班。\n", "cp950"),
    ("It wasn\u2019t easy \u2013 really.\nCafé au lait, señor.\n", "cp1252"),
    ("It wasn\u2019t easy.\n我觉得压力很大。\n", "utf-16"),
    ("It wasn\u2019t easy.\nWe\u2019re fine.\n", "utf-16-le"),
])
def test_whole_files_in_other_encodings_are_read_as_before_without_a_note(text, encoding):
    assert decoded(text.encode(encoding)) == (text, [])


def test_valid_utf8_gives_no_note():
    assert decoded(CURLY.encode()) == (CURLY, [])


# --- end to end: a reviewed study, then the transcript edited in Windows ----------------------------------

EDITED = "en_p1_nurse.txt"
# The edits: a sentence of P1's line 44 reworded, its apostrophe typed in a Windows-1252 editor, and
# P1's answer on line 32 rewritten (a statement with no counterpart in the new version).
OLD_WORDS, NEW_WORDS = "More than I\u2019d like.".encode(), b"More than I\x92d have liked."
OLD_ANSWER, NEW_ANSWER = b"P1: Easily, yeah.", b"P1: Closer to half the week, if I count the evenings at home."


def statements_of(session, transcript_id: int) -> list[Statement]:
    return list(session.scalars(select(Statement).where(Statement.transcript_id == transcript_id)
                                .order_by(Statement.index)))


def live_id(session) -> int:
    return session.scalar(select(Transcript.id).where(Transcript.source_name == EDITED,
                                                      Transcript.superseded_by_id.is_(None)))


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("stray")
    inbox, data = root / "inbox", root / "data"
    inbox.mkdir()
    for name in ("en_p2_social_worker.txt", "en_p3_new_graduate.txt"):
        shutil.copy(EXAMPLES / name, inbox / name)
    # A Word-style UTF-8 file: curly apostrophes.
    (inbox / EDITED).write_text((EXAMPLES / EDITED).read_text("utf-8").replace("'", "\u2019"), "utf-8")
    first = code_interviews(str(inbox), str(data), "small-study")
    assert first.transcripts_added == 3 and not first.failed
    store = Store(default_database_url(data))
    with store.session() as session:
        rows = statements_of(session, live_id(session))
        hashes = [s.text_hash for s in rows]
        unique = [s for s in rows if hashes.count(s.text_hash) == 1]
        rewritten = next(s for s in unique if s.text == "Easily, yeah.")
        curly = [s for s in unique if "\u2019" in s.text and s.significant and "More than I\u2019d like" not in s.text
                 and active_assignment(session, s.id) is not None]
        assert len(curly) >= 3, "P1 needs three placed statements with a curly apostrophe"
        picked = {"confirmed": curly[0].text, "memo": curly[1].text, "not_significant": curly[2].text}
        actions.confirm_assignment(session, "alice", curly[0].id)
        actions.write_memo(session, "alice", "key quote", statement_id=curly[1].id)
        actions.mark_not_significant(session, "alice", curly[2].id)
        actions.write_memo(session, "alice", "on the answer that is rewritten", statement_id=rewritten.id)
    raw = (inbox / EDITED).read_bytes()
    assert raw.count(OLD_WORDS) == 1 and raw.count(OLD_ANSWER) == 1
    (inbox / EDITED).write_bytes(raw.replace(OLD_WORDS, NEW_WORDS).replace(OLD_ANSWER, NEW_ANSWER))
    second = code_interviews(str(inbox), str(data), "small-study")
    return store, picked, second


def test_the_edited_file_is_a_new_version_read_as_utf8_with_a_note(study):
    store, _, summary = study
    assert not summary.failed and summary.new_versions == [EDITED]
    with store.session() as session:
        new_id = live_id(session)
        old_id = session.scalar(select(Transcript.id).where(Transcript.superseded_by_id == new_id))
        texts = [s.text for s in statements_of(session, new_id)]
        old_texts = {s.text for s in statements_of(session, old_id)}
    # Only the two edited statements differ: before, the whole file came back as mojibake ("hasn‚Äôt",
    # and with these two edits as Shift-JIS: "I壇 have liked").
    changed = [t for t in texts if t not in old_texts]
    assert changed and all("I\u2019d have liked" in t or "Closer to half" in t for t in changed), changed[:3]
    assert any("I\u2019d have liked" in t for t in texts)
    assert f"{EDITED}: 1 byte was not UTF-8 and was read as Windows-1252 (line 44); check those characters" \
        in summary.notes


def test_reviewers_decisions_stay_on_the_live_statements(study):
    store, picked, _ = study
    with store.session() as session:
        live = {s.text: s for s in statements_of(session, live_id(session))}
        confirmed = live[picked["confirmed"]]
        assert session.scalar(select(Suggestion.status).where(Suggestion.statement_id == confirmed.id,
                                                              Suggestion.status == "confirmed")) == "confirmed"
        memo = live[picked["memo"]]
        assert session.scalars(select(Memo.text).where(Memo.statement_id == memo.id,
                                                       Memo.withdrawn.is_(False))).all() == ["key quote"]
        marked = live[picked["not_significant"]]
        assert (marked.significant, marked.excluded_reason) == (False, NOT_SIGNIFICANT)


def test_the_run_says_how_many_decisions_were_not_carried(study):
    _, _, summary = study
    assert f"{EDITED} (new version): 1 reviewer decision on statements that changed was not carried over; they " \
           "stay on the old version, out of the live views" in summary.notes


def test_qualflow_run_prints_the_notes_of_its_summary(tmp_path):
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    (inbox / "p1.txt").write_bytes("# participant: P1\n\nP1: It wasn\u2019t easy for us.\n\nP1: We\u2019d coped in the "
                                   "end, hadn\u2019t we.\n".encode() + b"\nP1: Nobody asked how we\x92d been doing.\n")
    result = CliRunner().invoke(app, ["run", str(inbox), "--data", str(data), "--config", "small-study"])
    assert result.exit_code == 0, result.output
    assert ("note p1.txt: 1 byte was not UTF-8 and was read as Windows-1252 (line 7); check those characters"
            in " ".join(result.output.split()))
