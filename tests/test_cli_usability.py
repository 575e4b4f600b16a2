"""What a researcher at the terminal needs to act on: ids shown where actions take them, refusals
before any work, files skipped for their type named, and wording that counts right (audit s11)."""

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from docx import Document
from fixtures.cli import one_line_error
from fixtures.review.study import build, built_study, vector_for
from qualflow.flows.batch import RunSummary
from qualflow.flows.cli import app
from qualflow.flows.run_record import run_markdown
from qualflow.models import Embedding, Memo, Statement, Store, Suggestion, default_database_url
from qualflow.models.queries import theme_by_code
from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.ingest import discover, read_document, type_label
from sqlalchemy import select, update
from typer.testing import CliRunner

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n"


@pytest.fixture
def data(tmp_path):
    (tmp_path / "study").mkdir()
    return built_study(tmp_path / "study")


def qualflow(*args):
    return runner.invoke(app, [str(arg) for arg in args])


def table_rows(output: str) -> dict[str, list[str]]:
    """A rich table's rows by their first cell, each cell's wrapped lines joined again."""
    rows: dict[str, list[str]] = {}
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells[0]:
            rows[cells[0]] = cells
            last = cells
        else:
            last[:] = [f"{a} {b}".strip() for a, b in zip(last, cells)]
    return rows


def first_column(output: str) -> list[str]:
    header = next(line for line in output.splitlines() if line.startswith("┃"))
    return [header.split("┃")[1].strip(), *table_rows(output)]


def members(data, code: str) -> list[int]:
    with Store(default_database_url(data)).session() as session:
        return sorted(session.scalars(select(Suggestion.statement_id).where(
            Suggestion.theme_id == theme_by_code(session, code).id)))


# §2: the ids every statement action takes


def test_show_and_statements_list_each_statement_id_first(data):
    shown = qualflow("show", "T1.1", "--data", data)
    assert shown.exit_code == 0, shown.output
    assert first_column(shown.output) == ["id", *map(str, members(data, "T1.1"))]
    listed = qualflow("statements", "--data", data)
    with Store(default_database_url(data)).session() as session:
        significant = sorted(session.scalars(select(Statement.id).where(Statement.significant)))
    assert first_column(listed.output) == ["id", *map(str, significant)]


def test_show_marks_weak_fits_as_well_as_outliers(data):
    weak, outlier = members(data, "T1.1")[:2]
    with Store(default_database_url(data)).session() as session:
        session.execute(update(Suggestion).where(Suggestion.statement_id == weak).values(outlier=True, weak_fit=True))
        session.execute(update(Suggestion).where(Suggestion.statement_id == outlier).values(outlier=True))
    shown = qualflow("show", "T1.1", "--data", data).output
    similarity_of = {id_: cells[4] for id_, cells in table_rows(shown).items()}
    assert similarity_of[str(weak)] == "0.90 (outlier, weak fit)"
    assert similarity_of[str(outlier)] == "0.90 (outlier)"


def test_a_suggested_split_shows_the_start_of_a_few_statements_per_group(tmp_path):
    store = Store(default_database_url(tmp_path))
    topic_of = build(store)
    with store.session() as session:
        for statement in session.scalars(select(Statement)):
            vector = vector_for(topic_of[statement.id], statement.id).astype("<f4")
            session.add(Embedding(encoder_id="test-encoder", text_hash=statement.text_hash, dim=16,
                                  vector=vector.tobytes()))
        texts = {s.id: s.text for s in session.scalars(select(Statement))}
    store.dispose()
    result = qualflow("review", "split", "T1", "--suggest", "--data", tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    groups = [i for i, line in enumerate(lines) if line.startswith("group ")]
    assert len(groups) == 2
    for start in groups:
        first_ids = re.search(r": ([\d,]+)", lines[start]).group(1).split(",")[:2]
        previews = lines[start + 1:start + 3]
        for statement_id, preview in zip(first_ids, previews):
            shown = re.fullmatch(rf"  {statement_id}: “(.+)”", preview).group(1)
            assert texts[int(statement_id)].startswith(shown.rstrip("…"))


# §8 and §9: refused before the study is made and Prefect starts


def test_an_empty_folder_is_refused_before_any_work(tmp_path):
    (tmp_path / "empty").mkdir()
    one_line_error(qualflow("run", tmp_path / "empty", "--data", tmp_path / "data"),
                   "no transcript files (.txt, .md", "nothing was made")
    assert not (tmp_path / "data").exists()


def test_units_on_a_folder_of_transcripts_names_the_table_types_and_what_it_skipped(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox)
    result = qualflow("run", inbox, "--units", "--data", tmp_path / "data")
    one_line_error(result, "no units files (.csv, .xlsx) under", "1 file of a type --units does not read (.txt)")
    assert ".md" not in result.output
    assert not (tmp_path / "data").exists()


def test_a_folder_of_types_qualflow_does_not_read_says_which(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.pdf").write_bytes(PDF)
    (inbox / "b.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    for not_a_transcript in (".DS_Store", "README.md", "~$b.docx", "Thumbs.db"):
        (inbox / not_a_transcript).write_bytes(b"x")
    one_line_error(qualflow("run", inbox, "--data", tmp_path / "data"),
                   "only 2 files of types qualflow does not read (.doc, .pdf)")


@pytest.mark.parametrize("name", ["real.pdf", "named.PDF", "old.doc", "deck.ppt", "sheet.xls", "mac.pages"])
def test_a_single_file_of_a_type_not_read_is_one_line_saying_what_to_do(tmp_path, name):
    transcript = tmp_path / name
    transcript.write_bytes(PDF)
    one_line_error(qualflow("run", transcript, "--data", tmp_path / "data"), "files are not read by qualflow",
                   "save the transcript as")
    assert not (tmp_path / "data").exists()
    with pytest.raises(UnreadableFile, match="not read by qualflow"):  # a config listing the type: the same
        read_document(transcript)


def test_an_unknown_text_extension_is_still_read_as_text(tmp_path):
    notes = tmp_path / "P1.notes"
    notes.write_text("Interviewer: How is work?\nP1: Busy.\n", encoding="utf-8")
    assert read_document(notes).format == "txt"


def test_discovery_reports_files_left_out_for_their_type_only(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "site_a").mkdir(parents=True)
    (inbox / ".git").mkdir()
    (inbox / "data").mkdir()
    for name in ("a.txt", "site_a/b.pdf", "c.doc", "no_extension", "Mary.Smith", ".hidden.pdf", "~$a.docx",
                 "README.md", "desktop.ini", ".git/packed.pack", "data/report.html"):
        (inbox / name).write_text("x")
    other = []
    found = discover(inbox, [".txt"], skip=inbox / "data", other_type=other.append)
    assert [p.name for p in found] == ["a.txt"]
    assert sorted(p.relative_to(inbox).as_posix() for p in other) == ["Mary.Smith", "c.doc", "no_extension",
                                                                      "site_a/b.pdf"]
    # What followed a dot may be a name: the run's record (which goes to Prefect) says "other".
    assert sorted(type_label(p) for p in other) == [".doc", ".pdf", "no extension", "other"]


def test_the_run_record_counts_files_skipped_for_their_type():
    summary = RunSummary(files_seen=1, other_types={".pdf": 2, ".doc": 1})
    assert "| files of types not read (skipped) | 3 (.doc, .pdf) |" in run_markdown(summary)
    assert "| files of types not read (skipped) | 0 |" in run_markdown(RunSummary())


def test_a_run_names_what_it_skipped_and_a_scheduled_run_still_takes_an_empty_inbox(tmp_path):
    from qualflow.flows.batch import code_interviews

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox)
    (inbox / "P2.pdf").write_bytes(PDF)
    result = qualflow("run", inbox, "--data", data)
    assert result.exit_code == 0, result.output
    assert "skipped 1 file of a type qualflow does not read (.pdf)" in result.output
    # A night with nothing new, as `qualflow serve` runs it: not refused.
    (tmp_path / "empty").mkdir()
    summary = code_interviews(str(tmp_path / "empty"), str(data), create_study=False)
    assert summary.files_seen == 0 and not summary.failed



def test_quiet_prints_counts_and_no_quote(tmp_path):
    """What `run` prints goes to a cron job's mail or log, where the theme table's exemplar quotes (interview
    text) do not belong (an audit of the nightly set-up): --quiet prints the counts and file lines only."""
    from qualflow.models import Store, default_database_url
    from qualflow.pipeline.report import theme_rows

    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(EXAMPLES / "en_p1_nurse.txt", inbox)
    result = qualflow("run", inbox, "--data", data, "--quiet")
    assert result.exit_code == 0, result.output
    with Store(default_database_url(data)).session() as session:
        rows = theme_rows(session)
    quotes = [e["text"] for row in rows for item in [row, *row["subcategories"]] for e in item["exemplars"]]
    subcategories = sum(len(row["subcategories"]) for row in rows)
    flat = " ".join(result.output.split())
    assert quotes and not any(quote[:40] in flat for quote in quotes), flat
    assert f"{len(rows)} theme" in flat and f"{subcategories} subcategor" in flat and "qualflow themes --data" in flat
    assert "1 file: 1 new transcript" in flat and "statements in themes" in flat
    assert "Themes and subcategories" not in flat
    assert "Themes and subcategories" in qualflow("themes", "--data", data).output


# §13: wording and small inconsistencies


def test_withdraw_counts_subcategories_and_themes_and_files_in_words(data):
    result = qualflow("withdraw", "P1", "--data", data)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "6 statements (6 in 3 subcategories of 2 themes); 1 file that is theirs alone" in text
    assert "0 files others speak in too" in text


def test_a_memo_on_a_theme_and_a_statement_at_once_says_not_both(data):
    one_line_error(qualflow("review", "memo", "hi", "--theme", "T1", "--statement", "4", "--data", data), "not both")
    with Store(default_database_url(data)).session() as session:
        assert session.scalars(select(Memo)).all() == []


def test_report_refuses_a_missing_parent_folder_as_exports_do(data, tmp_path):
    out = tmp_path / "typo" / "report"
    one_line_error(qualflow("report", "--data", data, "--out", out), f"--out: no such folder: {out.parent}")
    assert not out.parent.exists()


def test_the_report_docx_properties_are_the_reports_not_python_docxs(data, tmp_path):
    from datetime import UTC, datetime, timedelta

    out = tmp_path / "report"
    result = qualflow("report", "--data", data, "--out", out)
    assert result.exit_code == 0, result.output
    properties = Document(next(out.glob("*.docx"))).core_properties
    assert properties.author == "" and properties.comments == ""
    assert properties.title.startswith("Study report")
    assert datetime.now(UTC) - properties.created < timedelta(minutes=5)
    with zipfile.ZipFile(next(out.glob("*.docx"))) as docx:
        assert b"python-docx" not in docx.read("docProps/core.xml")
