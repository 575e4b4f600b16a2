"""A batch full of broken files: each gets one clear line, a quarantine entry and a reason;
the good file is stored; nothing stored before changes; the user's files are untouched."""

import hashlib
import io
import random
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from qualflow.flows.batch import code_interviews
from qualflow.models import Statement, Store, Transcript, default_database_url

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def zip_bomb(path: Path, member: str) -> None:
    """A small archive that would unpack to 300 MB of zeros."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(member, "w", force_zip64=True) as handle:
            block = b"\0" * (1 << 20)
            for _ in range(300):
                handle.write(block)


def corrupt_office(path: Path, member: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "<not really xml")
    path.write_bytes(buffer.getvalue())


def snapshot(folder: Path) -> dict:
    # A link is recorded by where it points (the dangling one has nothing to hash).
    return {p.name: str(p.readlink()) if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.iterdir()}


@pytest.fixture(scope="module")
def broken_batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    data = root / "data"
    first = root / "first"
    first.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", first / "en_p1_nurse.txt")
    shutil.copy(EXAMPLES / "zh_p5_社区医生.txt", first / "zh_p5_社区医生.txt")
    code_interviews(str(first), str(data))
    store = Store(default_database_url(data))
    with store.session() as session:
        before = [(s.id, s.start, s.end, s.text) for s in session.scalars(select(Statement))]

    inbox = root / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p2_social_worker.txt", inbox / "good.txt")
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox / "same_as_p1_renamed.txt")
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "binary.txt").write_bytes(bytes(range(256)) * 64)
    # Bytes no text encoding explains (NULs removed so they are not taken for a binary file).
    (inbox / "undecodable.txt").write_bytes(random.Random(0).randbytes(3000).replace(b"\0", b"\1"))
    (inbox / "corrupt.docx").write_bytes(b"PK\x03\x04 truncated archive")
    corrupt_office(inbox / "corrupt.odt", "content.xml")
    zip_bomb(inbox / "bomb.docx", "word/document.xml")
    zip_bomb(inbox / "bomb.odt", "content.xml")
    (inbox / "questions_only.txt").write_text("Interviewer: How are you?\nInterviewer: And the visits?\n")
    # A transcript saved on one line: its labels are inside the line, so all of it is the interviewer's.
    (inbox / "one_line.txt").write_text("Interviewer: How long have you worked here? P15: Nine years now, on the "
                                        "wards. Interviewer: And the rota? P15: It is hard.\n")
    (inbox / "too_big.txt").write_text("P1: " + "words and more words. " * 60000)  # ~1.3 MB, limit set to 1 MB
    (inbox / "moved_away.txt").symlink_to(root / "gone" / "p9.txt")  # a link whose target is missing
    config = root / "limits.yaml"
    config.write_text("ingest:\n  max_file_mb: 1\n")
    user_files = snapshot(inbox)
    summary = code_interviews(str(inbox), str(data), str(config))
    return inbox, data, summary, before, user_files


EXPECTED = {
    "empty.txt": "empty",
    "binary.txt": "binary",
    "undecodable.txt": "encoding",
    "corrupt.docx": ".docx",
    "corrupt.odt": ".odt",
    "bomb.docx": "unpack",
    "bomb.odt": "unpack",
    "questions_only.txt": "no participant statements",
    "one_line.txt": "speaker labels were found inside lines (P15:, Interviewer:): each label must start a line",
    "too_big.txt": "max_file_mb",
}


@pytest.mark.parametrize("name, reason", EXPECTED.items())
def test_each_broken_file_gets_one_clear_line_and_a_quarantine_entry(broken_batch, name, reason):
    _, data, summary, _, _ = broken_batch
    lines = [line for line in summary.failed if line.startswith(name + ":")]
    assert len(lines) == 1, summary.failed
    assert reason.lower() in lines[0].lower()
    assert "\n" not in lines[0]
    reason_file = data / "quarantine" / f"{name}.reason.txt"
    assert reason_file.is_file() and reason in reason_file.read_text("utf-8")


def test_a_link_to_a_missing_file_is_reported_by_name_and_not_quarantined(broken_batch):
    from qualflow.flows.run_record import run_markdown

    _, data, summary, _, _ = broken_batch
    lines = [line for line in summary.failed if line.startswith("moved_away.txt:")]
    assert len(lines) == 1 and "gone/p9.txt" in lines[0] and "does not exist" in lines[0], summary.failed
    assert summary.broken_links == lines
    assert not list((data / "quarantine").glob("moved_away*"))  # nothing to copy, so no entry
    markdown = run_markdown(summary)
    assert f"| failed (quarantined) | {len(EXPECTED)} |" in markdown
    assert "| failed, not quarantined (links to missing or unreadable files) | 1 |" in markdown
    assert "- moved_away.txt: a link to" in markdown


def test_duplicate_content_under_another_name_is_reported(broken_batch):
    _, _, summary, _, _ = broken_batch
    assert summary.duplicates == ["same_as_p1_renamed.txt: same content as en_p1_nurse.txt, already stored; skipped"]


def test_the_good_file_is_stored_and_nothing_stored_before_changed(broken_batch):
    _, data, summary, before, _ = broken_batch
    assert summary.transcripts_added == 1 and len(summary.failed) == len(EXPECTED) + 1  # + the dangling link
    store = Store(default_database_url(data))
    with store.session() as session:
        names = sorted(session.scalars(select(Transcript.source_name)))
        assert names == ["en_p1_nurse.txt", "good.txt", "zh_p5_社区医生.txt"]
        ids = {row[0] for row in before}
        after = [(s.id, s.start, s.end, s.text) for s in session.scalars(select(Statement).where(Statement.id.in_(ids)))]
    assert after == before


def test_user_files_are_never_modified_moved_or_deleted(broken_batch):
    inbox, _, _, _, user_files = broken_batch
    assert snapshot(inbox) == user_files


def test_rerunning_the_broken_batch_is_safe(broken_batch):
    inbox, data, _, _, _ = broken_batch
    store = Store(default_database_url(data))
    counts = (store.count(Transcript), store.count(Statement))
    summary = code_interviews(str(inbox), str(data), str(inbox.parent / "limits.yaml"))
    assert (store.count(Transcript), store.count(Statement)) == counts
    assert len(summary.failed) == len(EXPECTED) + 1
    assert len(list((data / "quarantine").glob("*.reason.txt"))) == len(EXPECTED)


def test_quarantine_entries_whose_names_clash_do_not_overwrite_each_other(tmp_path):
    from qualflow.pipeline.quarantine import quarantine

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    (inbox / "a").mkdir(parents=True)
    nested, top = inbox / "a" / "b.txt", inbox / "a__b.txt"
    nested.write_text("nested file")
    top.write_text("top-level file")
    first = quarantine(nested, inbox, data, "first reason", 1)
    second = quarantine(top, inbox, data, "second reason", 1)
    folder = data / "quarantine"
    assert first == folder / "a__b.txt.reason.txt"  # the common case keeps its plain name
    assert second == folder / "a__b (2).txt.reason.txt"
    assert (folder / "a__b.txt").read_text() == "nested file" and "first reason" in first.read_text("utf-8")
    assert (folder / "a__b (2).txt").read_text() == "top-level file" and "second reason" in second.read_text("utf-8")
    # Re-running overwrites each file's own entry rather than adding more.
    assert quarantine(top, inbox, data, "second again", 1) == second and "second again" in second.read_text("utf-8")
    assert quarantine(nested, inbox, data, "first again", 1) == first
    assert len(list(folder.iterdir())) == 4
