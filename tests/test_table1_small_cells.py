"""Table 1 never shows a group of participants smaller than the minimum cell size: the one orthoptist of a
small study is as good as named. Small values are pooled, unnamed, into one "Other" line; a pool itself below
the threshold keeps its count back; a note under the table says so. Checked through the real `qualflow
report` on a stored study (the fixture of test_publish_study, with interviews for P6–P8 too), in every file the report writes."""

from __future__ import annotations

import json
import re

import pytest
from docx import Document
from qualflow.flows.cli import app
from qualflow.models import Store, default_database_url
from qualflow.pipeline.participants_file import read_participants_file
from qualflow.pipeline.placements import live_codebook
from qualflow.pipeline.tables import participant_table
from test_table1_missing_and_n import build_study_of
from typer.testing import CliRunner

# Eight participants. role: nurse 5, and three roles one person each (pooled: 3, shown as "Other");
# site: North 6 and two one-person sites (pooled: 2, suppressed); gender: the file's own "Other" value
# held by 3, and one participant's value (pooled under "Other (pooled)": 1, suppressed); years_in_post:
# given by two participants only (their mean and range would be their own values).
PARTICIPANTS = ("participant,age,role,site,gender,years_in_post\n"
                "P1,34,nurse,North,Woman,\n"
                "P2,41,Orthoptist,North,Woman,\n"
                "P3,45,nurse,Lundy Island clinic,Other,41.5\n"
                "P4,38,Dietitian,North,Woman,\n"
                "P5,52,nurse,North,Two-spirit,58.25\n"
                "P6,29,Podiatrist,Skerries outpost,Other,\n"
                "P7,47,nurse,North,Woman,\n"
                "P8,33,nurse,North,Other,\n")
SMALL_VALUES = ("Orthoptist", "Dietitian", "Podiatrist", "Lundy", "Skerries", "Two-spirit", "58.25", "49.9")
NOTE = "Values held by fewer than 3 participants are not shown"


@pytest.fixture
def study_data(tmp_path):
    # All eight are interviewed: Table 1 leaves out a file row with no interview in the study.
    data = tmp_path / "data"
    build_study_of(data, 8)
    return data


def report_texts(study_data, tmp_path, *options) -> dict[str, str]:
    parts = tmp_path / "participants.csv"
    parts.write_text(PARTICIPANTS, encoding="utf-8")
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", "--participants", str(parts), "--out", str(out),
                                      "--data", str(study_data), *options])
    assert result.exit_code == 0, result.output
    document = Document(str(out / "report.docx"))
    docx = "\n".join([p.text for p in document.paragraphs]
                     + [cell.text for table in document.tables for row in table.rows for cell in row.cells])
    return {"markdown": (out / "report.md").read_text("utf-8"),
            # the figures' base64 could hold any letters
            "html": re.sub(r"data:image/png;base64,[^\"']*", "", (out / "report.html").read_text("utf-8")),
            "docx": docx, "saturation.json": (out / "saturation.json").read_text("utf-8"), "output": result.output}


def test_small_groups_are_pooled_or_suppressed_in_every_report_file(study_data, tmp_path):
    texts = report_texts(study_data, tmp_path)
    for name, text in texts.items():
        for value in SMALL_VALUES:
            assert value not in text, (name, value)
    markdown = texts["markdown"]
    table1 = markdown[markdown.index("## Table 1"):markdown.index("Statements contributed per participant")]
    assert "| &nbsp;&nbsp;nurse | 5 (62.5%) |" in table1
    assert "| &nbsp;&nbsp;Other | 3 (37.5%) |" in table1  # the three one-person roles, together
    assert "| &nbsp;&nbsp;North | 6 (75.0%) |" in table1
    assert table1.count("fewer than 3 (suppressed)") == 2  # the two other sites; the one gender
    assert "| &nbsp;&nbsp;Woman | 4 (50.0%) |" in table1 and "| &nbsp;&nbsp;Other (pooled) |" in table1
    assert "years_in_post, mean (SD)" not in markdown
    assert "Left out of Table 1: years_in_post: given by fewer than 3 participants" in markdown
    # The note sits under Table 1 (before the per-participant table), naming columns, never values.
    assert NOTE in table1 and "role, site, gender" in table1
    for name in ("html", "docx"):
        assert NOTE in texts[name] and "fewer than 3 (suppressed)" in texts[name], name
    html = texts["html"]
    assert html.index(NOTE) < html.index("Significant statements")


def test_the_table_data_holds_no_small_value_nor_a_suppressed_count(study_data, tmp_path):
    parts = tmp_path / "participants.csv"
    parts.write_text(PARTICIPANTS, encoding="utf-8")
    with Store(default_database_url(study_data)).session() as session:
        table = participant_table(session, live_codebook(session), read_participants_file(parts).rows)
    dumped = json.dumps(table, ensure_ascii=False)
    for value in SMALL_VALUES:
        assert value not in dumped, value
    levels = {a["name"]: {lv["value"]: lv["count"] for lv in a["levels"]}
              for a in table["attributes"] if a["kind"] == "categorical"}
    assert levels == {"role": {"nurse": 5, "Other": 3}, "site": {"North": 6, "Other": None},
                      "gender": {"Woman": 4, "Other": 3, "Other (pooled)": None}}
    assert all(lv["percent"] is None for a in table["attributes"] if a["kind"] == "categorical"
               for lv in a["levels"] if lv.get("suppressed"))


def test_the_minimum_cell_size_is_the_researcher_s_to_raise_or_lower_to_two(study_data, tmp_path):
    texts = report_texts(study_data, tmp_path, "--min-cell-size", "2")
    markdown = texts["markdown"]
    assert "| &nbsp;&nbsp;Other | 2 (25.0%) |" in markdown  # the two one-person sites: a pool of 2 now shows
    for value in SMALL_VALUES:  # one person's value stays unnamed at any size; two numbers are no mean
        assert value not in markdown, value
    assert "years_in_post: given by fewer than 3 participants" in markdown
    assert "Values held by fewer than 2 participants" in markdown
    parts = tmp_path / "participants.csv"
    result = CliRunner().invoke(app, ["report", "--participants", str(parts), "--out", str(tmp_path / "r1"),
                                      "--data", str(study_data), "--min-cell-size", "1"])
    assert result.exit_code == 2 and "--min-cell-size" in result.output
