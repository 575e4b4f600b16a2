"""Table 1 never shows a group of participants smaller than the minimum cell size: the one orthoptist of a
small study is as good as named. Small values are pooled, unnamed, into one "Other" line; a pool itself below
the threshold takes in the next smallest values, since a count kept back is given by N minus the counts shown;
a column left with nothing but its pool is left out; a note under the table says so. Checked through the real `qualflow
report` on a stored study (the fixture of test_publish_study, with interviews for P6–P8 too), in every file the report writes."""

from __future__ import annotations

import json
import re

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qualflow.flows.cli import app
from qualflow.models import Store, default_database_url
from qualflow.pipeline.participants_file import read_participants_file
from qualflow.pipeline.placements import live_codebook
from qualflow.pipeline.tables import _categorical, participant_table
from test_table1_missing_and_n import build_study_of
from typer.testing import CliRunner

# Eight participants. role: nurse 5, and three roles one person each (pooled: 3, shown as "Other");
# site: North 6 and two one-person sites (a pool of 2, which North would have to join: left out); gender:
# Woman 4, the file's own "Other" value held by 3, and one participant's value (a pool of 1, which the
# file's "Other" joins: "Other" 4); years_in_post: given by two participants only (their mean and range
# would be their own values).
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


def test_small_groups_are_pooled_so_no_count_can_be_worked_out_in_every_report_file(study_data, tmp_path):
    texts = report_texts(study_data, tmp_path)
    for name, text in texts.items():
        for value in SMALL_VALUES:
            assert value not in text, (name, value)
    markdown = texts["markdown"]
    table1 = markdown[markdown.index("## Table 1"):markdown.index("Statements contributed per participant")]
    assert "| &nbsp;&nbsp;nurse | 5 (62.5%) |" in table1
    assert "| &nbsp;&nbsp;Other | 3 (37.5%) |" in table1  # the three one-person roles, together
    # "North 6 (75.0%)" with the other two kept back would give them away: 8 - 6 = 2.
    assert "North" not in table1 and "site, n (%)" not in table1
    assert "site: no value held by 3 or more participants could be shown without letting a smaller group" in markdown
    assert "| &nbsp;&nbsp;Woman | 4 (50.0%) |" in table1 and "| &nbsp;&nbsp;Other | 4 (50.0%) |" in table1
    assert "suppressed" not in markdown
    assert "years_in_post, mean (SD)" not in markdown
    assert "Left out of Table 1: years_in_post: given by fewer than 5 participants" in markdown
    # The note sits under Table 1 (before the per-participant table), naming columns, never values.
    assert NOTE in table1 and "in role, gender they are pooled" in table1
    assert "the next smallest values joined it, so that no smaller count can be worked out from N and the " \
           "counts shown: gender." in squeeze(table1)
    for name in ("html", "docx"):
        assert NOTE in texts[name] and "next smallest values joined it" in squeeze(texts[name]), name
    html = texts["html"]
    assert html.index(NOTE) < html.index("Significant statements")


def test_the_table_data_holds_no_small_value_nor_a_count_under_the_minimum(study_data, tmp_path):
    parts = tmp_path / "participants.csv"
    parts.write_text(PARTICIPANTS, encoding="utf-8")
    with Store(default_database_url(study_data)).session() as session:
        table = participant_table(session, live_codebook(session), read_participants_file(parts).rows)
    dumped = json.dumps(table, ensure_ascii=False)
    for value in SMALL_VALUES:
        assert value not in dumped, value
    levels = {a["name"]: {lv["value"]: lv["count"] for lv in a["levels"]}
              for a in table["attributes"] if a["kind"] == "categorical"}
    assert levels == {"role": {"nurse": 5, "Other": 3}, "gender": {"Woman": 4, "Other": 4}}
    assert any(note.startswith("site: no value held by 3") for note in table["left_out"])
    for attribute in table["attributes"]:
        if attribute["kind"] == "categorical":
            counts = [level["count"] for level in attribute["levels"]]
            assert sum(counts) == attribute["n"] and min(counts) >= 3, attribute


def test_the_minimum_cell_size_is_the_researcher_s_to_raise_or_lower_to_two(study_data, tmp_path):
    texts = report_texts(study_data, tmp_path, "--min-cell-size", "2")
    markdown = texts["markdown"]
    assert "| &nbsp;&nbsp;Other | 2 (25.0%) |" in markdown  # the two one-person sites: a pool of 2 now shows
    assert "| &nbsp;&nbsp;North | 6 (75.0%) |" in markdown
    for value in SMALL_VALUES:  # one person's value stays unnamed at any size; two numbers are no mean
        assert value not in markdown, value
    assert "years_in_post: given by fewer than 5 participants" in markdown
    assert "Values held by fewer than 2 participants" in markdown
    parts = tmp_path / "participants.csv"
    result = CliRunner().invoke(app, ["report", "--participants", str(parts), "--out", str(tmp_path / "r1"),
                                      "--data", str(study_data), "--min-cell-size", "1"])
    assert result.exit_code == 2 and "--min-cell-size" in result.output


def squeeze(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6),
       missing=st.integers(min_value=0, max_value=4), min_cell_size=st.integers(min_value=2, max_value=5))
def test_no_group_under_the_minimum_can_be_worked_out_from_what_table_1_shows(counts, missing, min_cell_size):
    """Whatever the counts, every count shown is of at least `min_cell_size` participants, and the counts
    shown add up to those who gave a value: N minus the counts shown leaves no hidden group to work out."""
    texts = [f"value {i}" for i, count in enumerate(counts) for _ in range(count)]
    summary = _categorical("column", texts, len(texts) + missing, min_cell_size)
    if isinstance(summary, str):  # left out: nothing of the column is shown
        return
    shown = [level["count"] for level in summary["levels"]]
    assert min(shown) >= min_cell_size and sum(shown) == len(texts) and summary["missing"] == missing
    named = {level["value"] for level in summary["levels"] if not level.get("pooled")}
    assert all(texts.count(value) >= min_cell_size for value in named)
    assert not summary["pooled"] or len(summary["levels"]) >= 2  # a pool alone says nothing: left out
