"""Table 1 describes the analysed sample, and says how: "NA" and the other missing-value markers of R, Stata,
SPSS and Excel exports are no answer (not a category, nor text that turns an age column into words); a row of
the participants file with no interview in the study is left out of N and every summary, and counted under the
table; and a note under the table says what the percentages are of (those who gave a value). Checked through
the real `qualflow report` on a stored study, in the Markdown, HTML and DOCX it writes and in the table data."""

from __future__ import annotations

import copy
import re

import pytest
from docx import Document
from qualflow.flows.cli import app
from qualflow.models import Store, default_database_url
from qualflow.pipeline.participants_file import read_participants_file
from qualflow.pipeline.placements import live_codebook
from qualflow.pipeline.tables import participant_table
from test_publish_study import SPEC, build_study
from typer.testing import CliRunner


def spec_with_participants(count: int) -> dict:
    """The publish fixture (P1–P5) with interviews for P6…P`count` too, each a copy of P4's with its own words."""
    spec = copy.deepcopy(SPEC)
    model = next(i for i in spec["interviews"] if i["participant"] == "P4")
    for number in range(len(spec["interviews"]) + 1, count + 1):
        interview = copy.deepcopy(model) | {"file": f"extra_{number}.txt", "participant": f"P{number}",
                                            "date": f"2026-02-{number:02d}"}
        for statement in interview["statements"]:
            statement["text"] += f" (P{number})"  # a text stored twice would share its vector
        spec["interviews"].append(interview)
    return spec


def build_study_of(data, count: int) -> None:
    """A study folder whose stored study has interviews with P1…P`count`."""
    data.mkdir(exist_ok=True)
    build_study(default_database_url(data), spec_with_participants(count)).dispose()


# Eight interviewed participants (P1–P8) and P9, who is in the file but was never interviewed. Missing values
# written the ways exports write them: R's NA (P5's age, P7's gender), Stata's "." (P4's years), Excel's #N/A
# (P2's site), a typed "n/a" (P6's site), a dash (P8's site). "None" is a real answer (no
# qualification) and stays one. Gender: F 4, M 3 and P7's NA; site: North 5 and three missing.
PARTICIPANTS = ("id,age,gender,site,years,qualification\n"
                "P1,34,F,North,3,None\n"
                "P2,41,F,#N/A,12,None\n"
                "P3,24,M,North,1,None\n"
                "P4,52,F,North,.,degree\n"
                "P5,NA,F,North,7,degree\n"
                "P6,38,M,n/a,9,degree\n"
                "P7,29,NA,North,4,diploma\n"
                "P8,45,M,-,15,diploma\n"
                "P9,77,F,East,40,diploma\n")
PERCENT_NOTE = "n (%): percentages are of the participants who gave a value for that characteristic"
LEFT_OUT_NOTE = ("N = 8: the participants with an interview in the study. Left out of Table 1 (N and every summary): "
                 "1 row of the participants file with no interview in the study: P9.")


@pytest.fixture
def study_data(tmp_path):
    data = tmp_path / "data"
    build_study_of(data, 8)
    return data


def write_participants(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_text(PARTICIPANTS, encoding="utf-8")
    return path


def table1_texts(study_data, tmp_path) -> dict[str, str]:
    """Table 1 and the notes under it, as each report file shows them."""
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", "--participants", str(write_participants(tmp_path)),
                                      "--out", str(out), "--data", str(study_data)])
    assert result.exit_code == 0, result.output
    markdown = (out / "report.md").read_text("utf-8")
    html = (out / "report.html").read_text("utf-8")
    document = Document(str(out / "report.docx"))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Characteristic")
    rows = [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    paragraphs = [p.text for p in document.paragraphs]
    under = paragraphs[paragraphs.index("Table 1. Participant characteristics") + 1:
                       paragraphs.index("Statements contributed per participant:")]
    return {
        "markdown": markdown[markdown.index("## Table 1"):markdown.index("Statements contributed per participant")]
        .replace("&nbsp;", ""),
        "html": re.sub(r"<[^>]+>", " | ", html[html.index("Table 1."):html.index("Significant statements")])
        .replace("&#34;", '"').replace("&quot;", '"'),
        "docx": "\n".join(rows + under),
    }


def squeeze(text: str) -> str:
    """Cells joined by " | " whatever the format's own spacing."""
    return re.sub(r"(\s*\|\s*)+", " | ", text)


def test_na_is_not_an_answer_nor_turns_a_number_column_into_text(study_data, tmp_path):
    for name, text in table1_texts(study_data, tmp_path).items():
        text = squeeze(text)
        # P5's NA age: a mean over the 7 ages given (P9's 77 is no part of it), not a column left out
        assert "age, mean (SD) | 37.6 (9.5); not given: 1" in text, name
        # P7's NA gender: not given, not a value of its own (as one, it would be a group of 1 to pool)
        assert "gender, n (%) | not given: 1" in text and "F | 4 (57.1%)" in text and "M | 3 (42.9%)" in text, name
        assert "Other | 4" not in text, name
        # "#N/A", "n/a" and "-" are missing too: North is all 5 who gave a site, and no pool of 3 "values"
        assert "site, n (%) | not given: 3" in text and "North | 5 (100.0%)" in text, name
        # Stata's "." in a number column: a mean over the other 7
        assert "years, mean (SD) | 7.3 (5.1); not given: 1" in text, name
        # "None" is someone's answer (no qualification), not a missing value
        assert "None | 3 (37.5%)" in text and "qualification, n (%) | not given" not in text, name
        # diploma's 2 would be 8 - 3 - 3 if kept back: degree joins the pool
        assert "Other | 5 (62.5%)" in text and "degree" not in text, name
        for marker in ("NA |", "#N/A", "n/a |", "identifier"):
            assert marker not in text, (name, marker)


def test_n_is_the_interviewed_sample_and_the_notes_say_what_was_left_out_and_what_percentages_are_of(
        study_data, tmp_path):
    for name, text in table1_texts(study_data, tmp_path).items():
        assert "N = 8" in squeeze(text) and "N = 9" not in text, name
        assert LEFT_OUT_NOTE in text, name
        assert PERCENT_NOTE in text and '"not given"' in text, name
        assert "77" not in text and "East" not in text and "40" not in text, name  # P9's own values


def test_the_table_data_counts_only_answers_of_interviewed_participants(study_data, tmp_path):
    rows = read_participants_file(write_participants(tmp_path)).rows
    with Store(default_database_url(study_data)).session() as session:
        table = participant_table(session, live_codebook(session), rows)
    assert table["n"] == 8 and table["in_file_without_statements_left_out"] == 1
    assert table["in_file_without_statements"] == ["P9"]
    assert table["percent_of"] == "participants who gave a value"
    attributes = {a["name"]: a for a in table["attributes"]}
    assert (attributes["age"]["kind"], attributes["age"]["n"], attributes["age"]["missing"]) == ("numeric", 7, 1)
    assert attributes["age"]["mean"] == pytest.approx((34 + 41 + 24 + 52 + 38 + 29 + 45) / 7)
    gender = attributes["gender"]
    assert (gender["n"], gender["missing"]) == (7, 1)
    # NA is no value: F and M are shown, and there is no pool for it to join.
    assert [(lv["value"], lv["count"]) for lv in gender["levels"]] == [("F", 4), ("M", 3)]
    assert gender["levels"][0]["percent"] == pytest.approx(100 * 4 / 7)
    assert (attributes["site"]["n"], attributes["site"]["missing"]) == (5, 3)
    assert (attributes["years"]["n"], attributes["years"]["missing"]) == (7, 1)
    # diploma: P7, P8 (P9 left out), a pool of 2 that "None 3, degree 3" of 8 would give away: degree joins it.
    assert {lv["value"]: lv["count"] for lv in attributes["qualification"]["levels"]} == {"None": 3, "Other": 5}


@pytest.mark.parametrize("cell", ["NA", "na", " N/A ", "#N/A", "NaN", ".", "-", "–", "—", "missing", "", None,
                                  float("nan")])
def test_missing_markers(cell):
    from qualflow.pipeline.participants_file import is_missing

    assert is_missing(cell)


@pytest.mark.parametrize("cell", ["None", "无", "0", 0, "unknown", "prefer not to say", "Nancy", "-1", "N"])
def test_answers_that_look_empty_are_answers(cell):
    from qualflow.pipeline.participants_file import is_missing

    assert not is_missing(cell)
