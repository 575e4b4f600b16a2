"""What holds real names stays the owner's (privacy audit F5, F6), whatever the umask: a new study
file (the key map: real names, phone and ID numbers; reviewers' password hashes) and its write-ahead
log are 0600; a quarantined file, which is the raw transcript, and its reason file (naming the real
file) are 0600 in a 0700 folder. A study file that exists keeps the mode its owner gave it.
Real SQLite, a real Prefect flow run."""

import os
import shutil
import stat
from pathlib import Path

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.models import Store, Transcript, default_database_url
from qualflow.pipeline.quarantine import quarantine

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    yield
    os.umask(old)


def test_a_new_study_file_and_its_log_are_the_owners_only(tmp_path, open_umask):
    store = Store(default_database_url(tmp_path))
    with store.session() as session:
        session.add(Transcript(source_name="p1.txt", content_hash="0" * 64, language="en", text="x"))
    study = tmp_path / "qualflow.sqlite"
    assert mode(study) == 0o600
    assert (tmp_path / "qualflow.sqlite-wal").exists() and mode(tmp_path / "qualflow.sqlite-wal") == 0o600
    store.dispose()


def test_a_study_file_that_exists_keeps_its_mode(tmp_path, open_umask):
    Store(default_database_url(tmp_path)).dispose()
    study = tmp_path / "qualflow.sqlite"
    os.chmod(study, 0o640)  # a lab sharing the study with its group, on purpose
    Store(default_database_url(tmp_path)).dispose()
    assert mode(study) == 0o640


def test_a_quarantined_copy_and_its_reason_are_the_owners_only(tmp_path, open_umask):
    inbox = tmp_path / "inbox"
    inbox.mkdir(mode=0o700)
    broken = inbox / "Jane_Roe.docx"
    broken.write_bytes(b"PK\x03\x04 not really a docx: Jane Roe 07700 900789")
    os.chmod(broken, 0o600)
    data = tmp_path / "data"
    old_quarantine = data / "quarantine"
    old_quarantine.mkdir(parents=True)
    os.chmod(old_quarantine, 0o755)  # made by an earlier qualflow with the umask's mode
    for _ in range(2):  # the second run writes over the same entry: still the owner's only
        reason = quarantine(broken, inbox, data, "not a Word file", copy_limit_mb=20)
        assert mode(old_quarantine) == 0o700
        assert mode(old_quarantine / "Jane_Roe.docx") == 0o600 and mode(reason) == 0o600
    assert (old_quarantine / "Jane_Roe.docx").read_bytes() == broken.read_bytes()
    assert reason.read_text(encoding="utf-8").startswith(f"file: {broken}\n")
    assert sorted(p.name for p in old_quarantine.iterdir()) == ["Jane_Roe.docx", "Jane_Roe.docx.reason.txt"]


def test_a_run_keeps_the_study_and_the_quarantine_private(tmp_path, open_umask):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox / "en_p1_nurse.txt")
    (inbox / "Jane_Roe.docx").write_bytes(b"PK\x03\x04 not really a docx")
    data = tmp_path / "data"
    summary = code_interviews(str(inbox), str(data), "small-study")
    assert summary.transcripts_added == 1 and len(summary.failed) == 1
    assert mode(data) == 0o700  # a new study's folder (report, key map, quarantine)
    assert mode(data / "qualflow.sqlite") == 0o600
    assert mode(data / "quarantine") == 0o700
    assert {mode(p) for p in (data / "quarantine").iterdir()} == {0o600}
