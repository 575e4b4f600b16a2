"""The real flow on four example interviews, then `qualflow saturation` and `qualflow report` on the command line."""

from __future__ import annotations

import json

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import Store, default_database_url
from qualflow.pipeline.report import fit_summary, theme_rows
from test_publish_study import ExternalReferences, png_size
from typer.testing import CliRunner

pytestmark = pytest.mark.slow


def test_flow_then_saturation_and_report(small_study, tmp_path):
    data = tmp_path / "data"
    summary = code_interviews(str(small_study), str(data))
    assert summary.transcripts_added == 4 and not summary.failed
    runner = CliRunner()

    plot = tmp_path / "saturation.png"
    result = runner.invoke(app, ["saturation", "--data", str(data), "--json", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    saturation = json.loads(result.output)
    # The example headers carry interview dates: P1 2026-03-02, P2 03-10, P5 04-02, P6 04-09.
    assert saturation["order"] == "interview date"
    assert [s["participant"] for s in saturation["interviews"]] == ["P1", "P2", "P5", "P6"]
    with Store(default_database_url(data)).session() as session:
        themes = theme_rows(session)
        placed = fit_summary(session)["statements"]
    assert saturation["interviews"][-1]["themes_so_far"] == sum(1 for t in themes if t["statements"]) > 0
    new_per_interview = [len(s["new_themes"]) for s in saturation["interviews"]]
    assert sum(new_per_interview) == saturation["interviews"][-1]["themes_so_far"]
    assert 600 <= png_size(plot.read_bytes())[0] <= 2400

    order = tmp_path / "order.txt"
    order.write_text("P6\nP5\n# the English interviews last\nen_p2_social_worker.txt\n", encoding="utf-8")
    result = runner.invoke(app, ["saturation", "--data", str(data), "--order", str(order)])
    assert result.exit_code == 2 and "leaves out 1 interview: en_p1_nurse.txt" in result.output

    participants = tmp_path / "participants.csv"
    participants.write_text("participant,age,role\nP1,34,nurse\nP2,41,social worker\nP5,45,doctor\nP6,38,nurse\n",
                            encoding="utf-8")
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", "--data", str(data), "--out", str(out), "--participants", str(participants)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text("utf-8")
    references = ExternalReferences()
    references.feed(html)
    assert references.found == [] and "script" not in references.tags
    # Two nurses, one social worker, one doctor: each under the minimum cell size; a pool of all four,
    # "Other 4 (100.0%)", would read as everyone's role, so the column is left out and the report says why.
    assert "role, n (%)" not in html and "4 (100.0%)" not in html
    assert "role: every value is held by fewer than 3 participants; not summarised" in html
    # Table 2 counts every statement placed in a theme, once.
    from docx import Document

    document = Document(str(out / "report.docx"))
    themes_table = next(t for t in document.tables if t.rows[0].cells[0].text == "Theme")
    theme_counts = [int(row.cells[2].text) for row in themes_table.rows[1:] if row.cells[0].text]
    assert sum(theme_counts) == placed
    assert (out / "report.md").read_text("utf-8").startswith("# Study report")
    for name in ("saturation.png", "statement_map.png", "theme_sizes.png", "participants_by_theme.png"):
        width, height = png_size((out / name).read_bytes())
        assert width >= 400 and height >= 250


def test_a_participant_who_withdrew_is_left_out_of_table_1(small_study, tmp_path):
    """`qualflow withdraw P2` deletes P2's words; the researcher's participants file still lists P2, and Table 1
    summarised P2's age and role all the same (the only social worker: P2's own value, in print)."""
    data = tmp_path / "data"
    summary = code_interviews(str(small_study), str(data), "small-study")
    assert summary.transcripts_added == 4 and not summary.failed
    runner = CliRunner()
    result = runner.invoke(app, ["withdraw", "P2", "--yes", "--data", str(data)])
    assert result.exit_code == 0, result.output
    participants = tmp_path / "participants.csv"
    participants.write_text("participant,age,role\nP1,34,nurse\nP2,41,social worker\nP5,45,doctor\nP6,38,nurse\n",
                            encoding="utf-8")
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", "--data", str(data), "--out", str(out), "--participants", str(participants)])
    assert result.exit_code == 0, result.output
    markdown = (out / "report.md").read_text("utf-8")
    assert "| Participants | N = 3 |" in markdown
    # 34, 45, 38 (not P2's 41): three ages, fewer than the 5 a mean (SD) needs
    assert "age, mean (SD)" not in markdown and "age: given by fewer than 5 participants" in markdown
    assert "social worker" not in markdown and "| P2 |" not in markdown
    assert "1 participant in the participants file withdrew consent" in markdown
    from docx import Document

    document = Document(str(out / "report.docx"))
    characteristics = next(t for t in document.tables if t.rows[0].cells[0].text == "Characteristic")
    assert [c.text for c in characteristics.rows[1].cells] == ["Participants", "N = 3"]
    for text in ((out / "report.html").read_text("utf-8"), str([[c.text for c in r.cells] for r in characteristics.rows])):
        assert "social worker" not in text and "41" not in text.split("Table 1")[-1].split("Table 2")[0]
