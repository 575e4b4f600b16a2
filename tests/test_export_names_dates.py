"""Exported file names carry no date: "P3_2026-03-12.txt" goes out as "P3.txt", since the day P3 was
interviewed names them to anyone who knows the rota. Two interviews of P3 stay two names ("P3.txt",
"P3 (2).txt", the file that came in first keeping the plain one), the same in every export, and a team's
coding of the export imports back onto the right transcript by those names.

The real flow on five example interviews under dated file names (ISO, Chinese 年月日, a month name, eight
digits), then the real CLI exports and `import-coding --json`."""

from __future__ import annotations

import csv
import json
import re
import shutil
import zipfile
from pathlib import Path
from xml.etree.ElementTree import fromstring

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import Store, Transcript, default_database_url
from qualflow.models.coding import ManualCoding
from qualflow.pipeline.report import export_names, without_dates
from sqlalchemy import select
from typer.testing import CliRunner

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# stored name -> (example it copies, participant); the two P3 files are read in this order.
FILES = {"P3_2026-03-12.txt": ("en_p1_nurse.txt", "P3"), "P3_2026-04-02.txt": ("en_p2_social_worker.txt", "P3"),
         "2026年3月12日_访谈.txt": ("zh_p5_社区医生.txt", "P5"),
         "P7 12 March 2026.txt": ("en_p3_new_graduate.txt", "P7"), "P8_20260312.txt": ("zh_p6_精防专干.txt", "P8")}
EXPECTED = {"P3_2026-03-12.txt": "P3.txt", "P3_2026-04-02.txt": "P3 (2).txt", "2026年3月12日_访谈.txt": "访谈.txt",
            "P7 12 March 2026.txt": "P7.txt", "P8_20260312.txt": "P8.txt"}
DATE_LIKE = re.compile(r"2026|20260312|March|\d+月\d+日")
NS = {"q": "urn:QDA-XML:project:1.0"}
runner = CliRunner()


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("export_names_dates")
    data = root / "data"
    inbox = root / "inbox"
    inbox.mkdir()
    # P3's first interview comes in a run of its own, so it is the file the study had first.
    for added, names in ((1, list(FILES)[:1]), (4, list(FILES)[1:])):
        for name in names:
            example, participant = FILES[name]
            text = (ROOT / "examples" / example).read_text("utf-8")
            (inbox / name).write_text(re.sub(r"(?m)^# participant: .*$", f"# participant: {participant}", text),
                                      encoding="utf-8")
        summary = code_interviews(str(inbox), str(data), "small-study")
        assert summary.transcripts_added == added and not summary.failed
    return data


def cli(*arguments: str) -> str:
    result = runner.invoke(app, list(arguments), env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    return result.output


def test_every_export_names_transcripts_without_their_dates_and_each_once(study, tmp_path):
    with Store(default_database_url(study)).session() as session:
        name = export_names(session)
        assert {stored: name(stored) for stored in FILES} == EXPECTED
    project = tmp_path / "study.qdpx"
    cli("export", "qdpx", "-o", str(project), "--data", str(study))
    with zipfile.ZipFile(project) as archive:
        root = fromstring(archive.read("project.qde"))
    sources = sorted(source.get("name") for source in root.iterfind(".//q:Sources/q:TextSource", NS))
    assert sources == sorted(EXPECTED.values())
    rows = json.loads(cli("export", "assignments", "--format", "json", "--data", str(study)))
    assert {row["document"] for row in rows} == set(EXPECTED.values())
    codings = tmp_path / "codings.csv"
    cli("export", "codings", "-o", str(codings), "--data", str(study))
    with codings.open(encoding="utf-8-sig", newline="") as handle:
        documents = {row["document"] for row in csv.DictReader(handle)}
    assert documents and documents <= set(EXPECTED.values())
    for exported in [*sources, *documents]:
        assert not DATE_LIKE.search(exported), exported


def test_a_coding_of_the_export_imports_back_onto_each_interview_by_its_exported_name(study, tmp_path):
    """Offsets only, no text: the documents can only be matched by name, and P3's two interviews must not
    be swapped or left out as ambiguous."""
    with Store(default_database_url(study)).session() as session:
        texts = {t.source_name: t.text for t in session.scalars(select(Transcript))}
        stored_name = dict(session.execute(select(Transcript.id, Transcript.source_name)).all())
    coding = tmp_path / "team.csv"
    with coding.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "start", "end", "code", "coder"])
        for stored, code in (("P3_2026-03-12.txt", "Earlier"), ("P3_2026-04-02.txt", "Later")):
            start = texts[stored].index("Interviewer:")
            writer.writerow([EXPECTED[stored], start, start + 40, code, "coder_a"])
    stats = json.loads(cli("import-coding", str(coding), "--json", "--data", str(study)))
    assert stats["unmatched_documents"] == []
    assert stats["matched_by"] == {"P3.txt": "name", "P3 (2).txt": "name"}
    with Store(default_database_url(study)).session() as session:
        placed = {coding.code.name: stored_name[coding.transcript_id]
                  for coding in session.scalars(select(ManualCoding))}
    assert placed == {"Earlier": "P3_2026-03-12.txt", "Later": "P3_2026-04-02.txt"}


@pytest.mark.parametrize(("name", "shown"), [
    ("P9_12.03.2026.txt", "P9.txt"), ("P4 (2026-03-12).docx", "P4.docx"), ("2026-03-12.txt", "interview.txt"),
    ("二〇二六年三月十二日访谈.txt", "访谈.txt"), ("P2 March 12, 2026.txt", "P2.txt"),
    ("P5_Sept 2025_final.txt", "P5_final.txt"), ("P8_GMT20211129.odt", "P8_GMT.odt"),
    ("site_a/2026-03/P6.txt", "site_a/P6.txt"), ("P6_2026-3.txt", "P6.txt"), ("P1_12-Mar-26.txt", "P1.txt"),
    # Not dates: left exactly as they were.
    ("interview_p9_v1.2.3.txt", "interview_p9_v1.2.3.txt"), ("Mayhew_P3.txt", "Mayhew_P3.txt"),
    ("P12 notes.txt", "P12 notes.txt"), ("units.csv#R17", "units.csv#R17"),
])
def test_date_like_parts_of_a_name(name, shown):
    assert without_dates(name) == shown
