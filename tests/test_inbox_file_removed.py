"""A transcript whose file has gone from the inbox stays in the study (deleting it would lose reviewers'
decisions over a file that moved), but not silently: a run over the folder says so in one content-free
`note` line, in the run's summary, on the terminal and in its Prefect artifact. A run given one file, or a
`--units` run, does not take the study's other documents for missing; nothing missing, no note.

The real Prefect flow on a real SQLite study."""

import shutil
from pathlib import Path

from qualflow.flows.batch import code_interviews
from qualflow.flows.run_record import run_markdown
from qualflow.models import Store, Transcript, default_database_url
from sqlalchemy import func, select

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KEPT, REMOVED = "en_p1_nurse.txt", "en_p2_social_worker.txt"
UNITS = "id,participant,document,text\n" + "\n".join(
    f"u{i},R{i},survey,The clinic was too far away to reach by bus and the waiting room was always crowded ({i})."
    for i in range(1, 7)) + "\n"


def _missing_notes(summary) -> list[str]:
    return [line for line in summary.notes if "not in the folder" in line]


def test_a_file_removed_from_the_inbox_is_noted_and_kept(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    (inbox / "site_b").mkdir(parents=True)
    shutil.copy(EXAMPLES / KEPT, inbox / KEPT)
    shutil.copy(EXAMPLES / REMOVED, inbox / "site_b" / REMOVED)
    first = code_interviews(str(inbox), str(data), "small-study")
    assert first.transcripts_added == 2 and not _missing_notes(first)  # nothing missing: quiet

    (inbox / "site_b" / REMOVED).unlink()
    second = code_interviews(str(inbox), str(data), "small-study")
    assert second.notes == [
        f"1 interview in the study is not in the folder this run read (site_b/{REMOVED}): it stays in the study, "
        "its themes and its report, with every decision on it; `qualflow withdraw PARTICIPANT` deletes a "
        "participant's words, if that is what was meant"]
    assert f"site_b/{REMOVED}" in run_markdown(second).split("## Notes", 1)[-1]  # in the artifact too
    with Store(default_database_url(data)).session() as session:  # nothing deleted
        assert session.scalar(select(func.count()).select_from(Transcript)) == 2

    one_file = code_interviews(str(inbox / KEPT), str(data), "small-study")
    assert one_file.unchanged == [KEPT] and not _missing_notes(one_file)  # one file given: no claim on the rest

    units = tmp_path / "units"
    units.mkdir()
    (units / "survey.csv").write_text(UNITS, "utf-8")
    table = code_interviews(str(units), str(data), "small-study", units=True)
    assert table.transcripts_added == 1 and not _missing_notes(table)  # transcripts are not a units folder's

    (units / "survey.csv").unlink()
    (units / "other.csv").write_text(UNITS.replace("survey", "clinic").replace("bus", "train"), "utf-8")
    table_gone = code_interviews(str(units), str(data), "small-study", units=True)
    assert [line.split(":")[0] for line in _missing_notes(table_gone)] == [
        "1 document of a units file in the study is not in the folder this run read (survey.csv#survey)"]


def test_a_file_renamed_in_the_inbox_is_not_called_missing(tmp_path):
    """Renamed, a file's content is there under its new name: the run says "same content as", and not also
    that the old name is gone and `qualflow withdraw` deletes a participant's words (a researcher's audit)."""
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(EXAMPLES / KEPT, inbox / KEPT)
    shutil.copy(EXAMPLES / REMOVED, inbox / REMOVED)
    assert code_interviews(str(inbox), str(data), "small-study").transcripts_added == 2
    (inbox / REMOVED).rename(inbox / "interview_renamed.txt")
    second = code_interviews(str(inbox), str(data), "small-study")
    assert second.duplicates == [f"interview_renamed.txt: same content as {REMOVED}, already stored; skipped"]
    assert not _missing_notes(second)
