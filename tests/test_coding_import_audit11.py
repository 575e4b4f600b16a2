"""Audit 11 (§3, §4, §13): coding that names a transcript by its exported name, imports in which nothing
aligned, and the wording of `import-coding` and `compare`. A real flow run on three example interviews,
one of them under a file name that names its participant, as researchers' files often do."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import Store, Transcript, default_database_url
from qualflow.models.coding import ManualCoding, ManualCodingImport
from qualflow.pipeline.coding.importer import import_coding
from qualflow.pipeline.report import export_names
from sqlalchemy import func, select
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
NAMED = "Mary Smith interview.txt"  # en_p1_nurse.txt under a name that names its participant
CASELOAD = "My caseload is thirty-two right now, which is about eight more than when I started on this team."
CRISIS = "One person in crisis can swallow a whole week."
SOCIAL = "In my experience the social stuff tips people over more often than missed tablets do."
runner = CliRunner()


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("audit11_coding")
    inbox = root / "inbox"
    inbox.mkdir()
    shutil.copy(ROOT / "examples" / "en_p1_nurse.txt", inbox / NAMED)
    for name in ("en_p2_social_worker.txt", "en_p3_new_graduate.txt"):
        shutil.copy(ROOT / "examples" / name, inbox / name)
    data = root / "data"
    summary = code_interviews(str(inbox), str(data))
    assert summary.transcripts_added == 3 and not summary.failed
    return data


@pytest.fixture
def data(study, tmp_path) -> Path:
    """A private copy of the study, so each test's imports start from none."""
    copy = tmp_path / "data"
    shutil.copytree(study, copy)
    return copy


def store_of(data: Path) -> Store:
    return Store(default_database_url(data))


def table(path: Path, header: list[str], rows: list[tuple]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def invoke(*arguments: str):
    result = runner.invoke(app, list(arguments), env={"COLUMNS": "400"})
    return result, " ".join(result.output.split())


def imports_stored(data: Path) -> tuple[int, int]:
    with store_of(data).session() as session:
        return (session.scalar(select(func.count(ManualCodingImport.id))),
                session.scalar(select(func.count(ManualCoding.id))))


def test_a_table_naming_the_transcript_by_its_exported_name_matches_it(data, tmp_path):
    """The team coded qualflow's export, where the file is "[PERSON_n] interview.txt", and sent back a CSV
    with offsets only: it must land on the transcript stored as "Mary Smith interview.txt"."""
    with store_of(data).session() as session:
        transcript = session.scalar(select(Transcript).where(Transcript.source_name == NAMED))
        exported = export_names(session)(NAMED)
        text = transcript.text
    assert exported.startswith("[PERSON_") and exported.endswith(" interview.txt") and "Mary" not in exported
    spans = [(exported, text.index(p), text.index(p) + len(p), code) for p, code in ((CASELOAD, "Workload"),
                                                                                      (CRISIS, "Workload"))]
    stats = import_coding(store_of(data), table(tmp_path / "team.csv", ["document", "start", "end", "code"], spans))
    assert stats["unmatched_documents"] == [] and stats["matched_by"] == {exported: "name"}
    assert stats["aligned"] == stats["well_aligned"] == 2


def test_an_unmatched_document_is_told_the_closest_transcript_names(data, tmp_path):
    path = table(tmp_path / "typo.csv", ["document", "start", "end", "text", "code"], [
        ("en_p2_social_worker.txt", "", "", SOCIAL, "Social"),
        ("en_p3_new_graduat.docx", 0, 40, "", "Training"),  # a typo, and offsets only: no text to match by
    ])
    result, output = invoke("import-coding", str(path), "--data", str(data))
    assert result.exit_code == 0, result.output
    assert "no transcript matches en_p3_new_graduat.docx: closest: 'en_p3_new_graduate.txt'" in output
    assert "qualflow run" not in output
    path = table(tmp_path / "unlike.csv", ["document", "start", "end", "text", "code"], [
        ("en_p2_social_worker.txt", "", "", SOCIAL, "Social"), ("focus group 7.rtf", 0, 40, "", "Training")])
    result, output = invoke("import-coding", str(path), "--data", str(data))
    # No name like it: the study's few names, as exports give them (never the one holding a name).
    assert "no transcript matches focus group 7.rtf: the study's transcripts are" in output
    assert "'en_p3_new_graduate.txt'" in output and "[PERSON_" in output and "Mary" not in output
    path = table(tmp_path / "misspelt.csv", ["document", "start", "end", "text", "code"], [
        ("en_p2_social_worker.txt", "", "", SOCIAL, "Social"), ("Mary Smith intervew.docx", 0, 40, "", "Training")])
    result, output = invoke("import-coding", str(path), "--data", str(data))
    # Close to the stored name, shown by its exported one.
    assert "no transcript matches Mary Smith intervew.docx: closest: '[PERSON_" in output
    assert "'Mary Smith interview.txt'" not in output


def test_an_import_in_which_nothing_aligned_is_refused_and_nothing_is_stored(data, tmp_path):
    (tmp_path / "first").mkdir()
    good = table(tmp_path / "first" / "team.csv", ["document", "text", "code"],
                 [("en_p2_social_worker.txt", SOCIAL, "Social")])
    result, _ = invoke("import-coding", str(good), "--data", str(data))
    assert result.exit_code == 0, result.output
    assert imports_stored(data) == (1, 1)
    (tmp_path / "second").mkdir()
    wrong = table(tmp_path / "second" / "team.csv", ["document", "start", "end", "code"],
                  [("P1 interview.docx", 207, 315, "workload"), ("P1 interview.docx", 316, 382, "safety")])
    # --replace would forget the earlier team.csv: refused, the whole import is rolled back, that one included.
    result, output = invoke("import-coding", str(wrong), "--replace", "--data", str(data))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert "nothing imported from team.csv: none of its 2 coded spans could be placed" in output
    assert "no transcript matches 'P1 interview.docx'" in output
    assert imports_stored(data) == (1, 1)
    # Documents that match, spans that fit nowhere (offsets past the end of the transcript).
    astray = table(tmp_path / "astray.csv", ["document", "start", "end", "code"],
                   [("en_p2_social_worker.txt", 900_000, 900_040, "workload")])
    result, output = invoke("import-coding", str(astray), "--data", str(data))
    assert result.exit_code == 2 and "1 of its documents matched a transcript, but neither" in output
    assert imports_stored(data) == (1, 1)


def test_a_word_file_is_no_coding_format(data, tmp_path):
    report = tmp_path / "report.docx"
    with zipfile.ZipFile(report, "w") as archive:  # a .docx is a zip, as a .qdpx is
        archive.writestr("word/document.xml", "<w:document/>")
    result, output = invoke("import-coding", str(report), "--data", str(data))
    assert result.exit_code == 2 and "REFI-QDA project" not in output
    assert "a .docx file is not a coding format; qualflow reads .csv, .tsv, .xlsx, REFI-QDA .qdpx" in output


def test_a_table_without_offsets_or_text_lists_the_columns_it_has(data, tmp_path):
    path = table(tmp_path / "cols.csv", ["file", "from", "to", "tag"], [(NAMED, 207, 315, "workload")])
    result, output = invoke("import-coding", str(path), "--data", str(data))
    assert result.exit_code == 2 and "columns found: 'file', 'from', 'to', 'tag'" in output


def test_three_files_naming_no_coder_are_not_called_both(data, tmp_path):
    for number, passage in enumerate((CASELOAD, CRISIS, SOCIAL), start=1):
        document = "en_p2_social_worker.txt" if passage == SOCIAL else NAMED
        path = table(tmp_path / f"part{number}.csv", ["document", "text", "code"], [(document, passage, "Work")])
        result, output = invoke("import-coding", str(path), "--data", str(data))
        assert result.exit_code == 0, result.output
    assert "part1.csv, part2.csv: `compare` counts these 3 files' codings as one coder \"coder\"" in output
    assert "both files" not in output


def test_compare_labels_say_what_uncoded_counts_and_name_the_default_coder(data, tmp_path):
    rows = [(NAMED, CASELOAD, "Workload", "anna"), (NAMED, CRISIS, "Workload", "anna"),
            ("en_p2_social_worker.txt", SOCIAL, "Social", "anna"),
            (NAMED, CASELOAD, "Workload", "bo"), ("en_p2_social_worker.txt", SOCIAL, "Social", "bo"),
            ("nowhere.txt", "Words nobody said in any of these interviews, not even in part.", "Social", "")]
    path = table(tmp_path / "team.csv", ["document", "text", "code", "coder"], rows)
    assert import_coding(store_of(data), path)["aligned"] == 5
    result, output = invoke("compare", "--data", str(data))
    assert result.exit_code == 0, result.output
    assert "share of statements in a qualflow label that anna left uncoded" in output
    assert "share of statements coded by bo that anna left uncoded" in output  # the human ceiling's line
    assert "side), uncoded" not in output  # the bare word, which meant two things on two lines
    assert 'note: coder "coder" (files naming no coder): none of 1 coded spans' in output
    assert "coder coder" not in output
