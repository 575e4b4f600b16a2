"""The published report orders interviews by date but shows no interview's date: "P3, 2024-03-12" names P3 to
anyone who knows the rota of a small ward. By default every file `qualflow report` writes (Markdown, HTML,
DOCX, saturation.json, the figures) gives the interview order and, in one sentence, the months the study's
interviews spanned; `--with-dates` shows each date, in a copy marked as not for publication.

The real flow on the four example interviews (headers dated 2026-03-02, 03-10, 04-02 and 04-09), then the real
CLI command."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from docx import Document
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.pipeline.figures import saturation_figure
from qualflow.pipeline.saturation import data_collection, without_interview_dates
from typer.testing import CliRunner

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("en_p1_nurse.txt", "en_p2_social_worker.txt", "zh_p5_社区医生.txt", "zh_p6_精防专干.txt")
DATES = ("2026-03-02", "2026-03-10", "2026-04-02", "2026-04-09")
# Any form of a day of these interviews: ISO, 2 March, 03/02, 3月2日 ...
DAY_FORMS = re.compile(r"2026-0[34]-\d\d|0[34][-/.](02|10|09)\b|\b(2|10|9)(nd|th)? (March|April)|[34]月\d+日")
SPAN = "Interviews took place between March and April 2026."
PRIVATE = "not for publication"
runner = CliRunner()


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report_dates")
    inbox = root / "inbox"
    inbox.mkdir()
    for name in EXAMPLES:
        shutil.copy(ROOT / "examples" / name, inbox / name)
    data = root / "data"
    summary = code_interviews(str(inbox), str(data), "small-study")
    assert summary.transcripts_added == 4 and not summary.failed
    return data


def report(data: Path, out: Path, *options: str) -> dict:
    result = runner.invoke(app, ["report", "--data", str(data), "--out", str(out), *options], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    document = Document(str(out / "report.docx"))
    docx = "\n".join([p.text for p in document.paragraphs]
                     + [cell.text for table in document.tables for row in table.rows for cell in row.cells])
    saturation_table = next(t for t in document.tables if t.rows[0].cells[0].text == "#")
    return {"markdown": (out / "report.md").read_text("utf-8"),
            # the figures' base64 could hold any characters
            "html": re.sub(r"data:image/png;base64,[^\"']*", "", (out / "report.html").read_text("utf-8")),
            "docx": docx, "docx_header": [cell.text for cell in saturation_table.rows[0].cells],
            "saturation.json": json.loads((out / "saturation.json").read_text("utf-8")),
            "json_text": (out / "saturation.json").read_text("utf-8"), "output": " ".join(result.output.split()),
            "figure": (out / "saturation.png").read_bytes()}


def test_the_report_shows_the_order_and_the_months_of_the_study_but_no_interview_date(study, tmp_path):
    # Two interviews in March and two in April: months are shown from a minimum cell of 2 (below: of 3).
    written = report(study, tmp_path / "report", "--min-cell-size", "2")
    for kind in ("markdown", "html", "docx", "json_text"):
        found = DAY_FORMS.search(written[kind])
        assert found is None, f"{kind} shows an interview date: {found.group()}"
        assert PRIVATE not in written[kind]
    shared = written["saturation.json"]
    # Still ordered by date, not by file: P5's and P6's interviews in April come after P2's in March.
    assert shared["order"] == "interview date"
    assert [step["participant"] for step in shared["interviews"]] == ["P1", "P2", "P5", "P6"]
    assert all("date" not in step for step in shared["interviews"])
    assert all("transcript_id" not in step for step in shared["interviews"])  # ids' gaps show a withdrawal
    assert shared["data_collection"] == {"first_month": "2026-03", "last_month": "2026-04", "dated_interviews": 4,
                                         "interviews": 4}
    assert "left out" in shared["interview_dates"]
    # One sentence for a methods section, in each report file.
    for kind in ("markdown", "html", "docx"):
        assert SPAN in written[kind], kind
    assert "Date" not in written["docx_header"] and "| # | participant | new themes |" in written["markdown"]
    assert "<th>Date</th>" not in written["html"]


def test_with_dates_is_a_private_copy_that_says_so(study, tmp_path):
    written = report(study, tmp_path / "private", "--with-dates")
    for kind in ("markdown", "html", "docx"):
        assert all(date in written[kind] for date in DATES), kind
        assert PRIVATE in written[kind], kind
    assert [step["date"] for step in written["saturation.json"]["interviews"]] == list(DATES)
    assert PRIVATE in written["saturation.json"]["interview_dates"]
    assert "Date" in written["docx_header"] and PRIVATE in written["output"]
    # The curve never draws dates: a working copy's figure is the shared one's, byte for byte.
    assert written["figure"] == report(study, tmp_path / "shared")["figure"]
    helped = runner.invoke(app, ["report", "--help"], env={"COLUMNS": "300"})
    assert "--with-dates" in helped.output and "NOT for publication" in " ".join(helped.output.split())


def test_an_end_month_of_fewer_interviews_than_the_minimum_is_given_as_its_year(study, tmp_path):
    """The saturation table lists interviews in date order: an end month of two interviews would tell anyone
    who knows one of them was interviewed in April that they are the 3rd or 4th; under a minimum cell of 3
    the report gives the year."""
    written = report(study, tmp_path / "report")
    assert written["saturation.json"]["data_collection"] == {"first_year": "2026", "last_year": "2026",
                                                             "dated_interviews": 4, "interviews": 4}
    for kind in ("markdown", "html", "docx"):
        assert "Interviews took place in 2026." in written[kind] and "March" not in written[kind], kind


@pytest.mark.parametrize("dates, smallest, span", [
    # the one April interview is the last in order: months would name its month
    (["2026-01-05", "2026-01-12", "2026-01-20", "2026-02-03", "2026-03-01", "2026-04-07"], 3,
     "Interviews took place in 2026."),
    (["2026-01-05", "2026-01-12", "2026-01-20", "2026-02-03", "2026-04-01", "2026-04-07", "2026-04-20"], 3,
     "Interviews took place between January and April 2026."),
    # one interview in December 2025: the year would name it too
    (["2025-12-30", "2026-01-12", "2026-01-20", "2026-02-03"], 3, ""),
    (["2025-12-01", "2025-12-30", "2026-01-12", "2026-01-20"], 2, "Interviews took place between December 2025 and January 2026."),
])
def test_each_end_of_the_span_holds_at_least_the_minimum_of_interviews(dates, smallest, span):
    from qualflow.pipeline.saturation import data_collection_sentence

    steps = [{"position": n, "participant": f"P{n}", "date": d} for n, d in enumerate(dates, 1)]
    assert data_collection_sentence(data_collection(steps, smallest)) == span


def test_the_span_is_left_out_when_so_few_interviews_are_dated_that_a_month_is_one_persons():
    steps = [{"position": 1, "participant": "P1", "date": "2026-03-02"},
             {"position": 2, "participant": "P2", "date": "2026-05-20"}, {"position": 3, "participant": "P3",
                                                                          "date": None}]
    assert data_collection(steps, 3) is None
    # One interview in March, one in May: each end month is one person's, so the year, which holds both
    assert data_collection(steps, 2) == {"first_year": "2026", "last_year": "2026", "dated_interviews": 2,
                                         "interviews": 3}
    steps[1]["date"] = "2026-03-20"
    assert data_collection(steps, 2) == {"first_month": "2026-03", "last_month": "2026-03", "dated_interviews": 2,
                                         "interviews": 3}


def test_the_saturation_curve_is_the_same_with_or_without_dates():
    steps = [{"position": n, "participant": f"P{n}", "date": f"2026-03-0{n}", "new_themes": ["T1"] if n == 1 else [],
              "new_subcategories": [], "themes_so_far": 1, "subcategories_so_far": 0} for n in range(1, 4)]
    result = {"interviews": steps, "order": "interview date",
              "themes_saturation": {"after_interview": 1, "confirmed_by": 2, "reached": True}}
    assert saturation_figure(result) == saturation_figure(without_interview_dates(result))
