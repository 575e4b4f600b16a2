"""A theme whose statements all come from one participant is flagged wherever reviewers see themes.

Real flow runs (`qualflow run FILE --units`, Prefect, SQLite): four participants talk about night shifts,
families and paperwork, and P5 alone talks about parking, which forms a theme of its own.
"""

import csv
import json
import re
import shutil

import pytest
from fastapi.testclient import TestClient
from qualflow.flows.cli import app
from qualflow.models import Statement, Store, default_database_url
from qualflow.models.queries import theme_by_code
from qualflow.pipeline.describe import rests_on_one_participant
from qualflow.review.server import create_app
from sqlalchemy import select
from typer.testing import CliRunner

runner = CliRunner()

SHARED = {
    "nights": ["Night shifts leave me exhausted for days afterwards",
               "After a run of night shifts I cannot sleep properly",
               "The night shift rota is the hardest part of this job",
               "Working nights has wrecked my sleep pattern"],
    "family": ["Families ring the ward constantly asking for updates",
               "Talking to worried families takes a lot of my time",
               "Relatives get angry when nobody calls them back",
               "I spend ages explaining the care plan to family members"],
    "paperwork": ["The paperwork takes longer than the patient care",
                  "Every admission means filling in the same forms twice",
                  "Documentation eats into the time I have for patients",
                  "The electronic records system keeps crashing on us"],
}
PARKING = ["The staff car park is full by seven every morning",
           "Parking fees take a big chunk out of my wages each month",
           "I circle the car park for twenty minutes looking for a space",
           "They raised the parking charges for staff again this year",
           "I got a parking fine while I was covering an extra shift",
           "Finding somewhere to park my car before a shift stresses me out"]


def write_units(path, shared_by=("P1", "P2", "P3", "P4"), parking_by=("P5",) * len(PARKING)):
    """`shared_by`: who says the shared topics' statements; `parking_by`: who says each parking one
    ("" for a units row with an empty participant cell)."""
    rows = [{"id": f"{topic}-{i}", "participant": who, "document": who or "anonymous", "text": texts[i] + "."}
            for topic, texts in SHARED.items() for i, who in enumerate(shared_by)]
    rows += [{"id": f"parking-{i}", "participant": who, "document": who or "anonymous", "text": text + "."}
             for i, (text, who) in enumerate(zip(PARKING, parking_by, strict=True))]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "participant", "document", "text"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_units(folder, **who):
    data = folder / "data"
    result = runner.invoke(app, ["run", str(write_units(folder / "units.csv", **who)), "--units", "--data", str(data)])
    assert result.exit_code == 0, result.output
    return data


def qualflow(data, *args):
    result = runner.invoke(app, [*args, "--data", str(data)])
    assert result.exit_code == 0, result.output
    return result.output


def theme_json(data) -> list[dict]:
    """Every theme and subcategory of `qualflow themes --json`, flat."""
    return [item for row in json.loads(qualflow(data, "themes", "--json")) for item in [row] + row["subcategories"]]


def table_line(output: str, code: str) -> str:
    """The first line of a theme's row in a printed table (its code in the first column)."""
    return next(line for line in output.splitlines() if re.match(rf"[│|]\s*{re.escape(code)}\s*[│|]", line))


def page(data, path: str) -> str:
    client = TestClient(create_app(data, login=False), base_url="http://127.0.0.1:8765")
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.text


def theme_row_html(html: str, code: str) -> str:
    return re.search(rf'<tr class="[^"]*"[^>]*>\s*<td class="code">{re.escape(code)}</td>.*?</tr>', html, re.S).group(0)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """One run shared by the tests that only read; a test that decides works on a copy."""
    return run_units(tmp_path_factory.mktemp("one-participant-theme"))


def test_cli_flags_only_the_themes_resting_on_one_participant(study):
    items = theme_json(study)
    flagged = [item["code"] for item in items if item["single_participant"]]
    assert flagged, "P5's parking statements should form a theme or subcategory of their own"
    for item in items:  # the flag says exactly: every statement from one participant
        assert item["single_participant"] == (item["participants"] == ["P5"]), item
    assert any(len(item["participants"]) > 1 for item in items)

    listing = qualflow(study, "themes")
    for item in items:
        assert ("⚑" in table_line(listing, item["code"])) == item["single_participant"], item["code"]
    # A legend for the marked rows, not a finding about the whole study (a researcher's audit read it so).
    assert "⚑ one participant: every statement of a theme so marked comes from one participant" in " ".join(
        listing.split())

    shared = next(item["code"] for item in items if not item["single_participant"])
    assert "⚑" in qualflow(study, "show", flagged[0]) and "⚑" not in qualflow(study, "show", shared)
    assert json.loads(qualflow(study, "show", flagged[0], "--json"))["single_participant"] is True
    assert json.loads(qualflow(study, "show", shared, "--json"))["single_participant"] is False
    assert "⚑ one participant" in qualflow(study, "audit", flagged[0]).splitlines()[0]
    report = (study / "report.md").read_text("utf-8")
    assert f"| {flagged[0]} |" in report and "1 of 5 (one participant)" in report


def test_review_pages_flag_only_the_themes_resting_on_one_participant(study):
    items = theme_json(study)
    listing = page(study, "/")
    for item in items:
        row = theme_row_html(listing, item["code"])
        assert ("one-participant" in row) == item["single_participant"], item["code"]
    flagged = next(item["code"] for item in items if item["single_participant"])
    shared = next(item["code"] for item in items if not item["single_participant"])
    assert 'class="badge one-participant"' in page(study, f"/themes/{flagged}")
    assert "one-participant" not in page(study, f"/themes/{shared}")
    assert "one-participant" in page(study, "/search?q=parking")
    assert 'id="one-participant-study"' not in listing


def test_the_flag_follows_a_move_and_its_undo(study, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(study, data)
    flagged = next(item for item in theme_json(data) if item["single_participant"])
    with Store(default_database_url(data)).session() as session:
        from_p1 = session.scalar(select(Statement.id).where(Statement.participant == "P1").order_by(Statement.id))
        assert theme_by_code(session, flagged["code"]) is not None
    qualflow(data, "review", "move", str(from_p1), flagged["code"], "--as", "alice")
    moved = {item["code"]: item for item in theme_json(data)}[flagged["code"]]
    assert moved["participants"] == ["P1", "P5"] and not moved["single_participant"]
    assert "one-participant" not in theme_row_html(page(data, "/"), flagged["code"])

    qualflow(data, "review", "undo", "--as", "alice")
    assert {item["code"]: item for item in theme_json(data)}[flagged["code"]]["single_participant"]


def test_statements_without_a_participant_are_not_one_participant(tmp_path):
    # P5 says one parking statement; five units rows about parking have an empty participant cell:
    # they may be anyone's, so the parking theme does not rest on one participant.
    data = run_units(tmp_path, parking_by=("P5", "", "", "", "", ""))
    items = theme_json(data)
    parking = [item for item in items if item["participants"] == ["P5"]]
    assert parking and not any(item["single_participant"] for item in items)
    assert "one-participant" not in page(data, "/")


def test_a_study_of_one_participant_flags_no_theme(tmp_path):
    data = run_units(tmp_path, shared_by=("P5",) * 4)
    items = theme_json(data)
    assert items and all(item["participants"] == ["P5"] for item in items)
    assert not any(item["single_participant"] for item in items)
    assert "⚑" not in qualflow(data, "themes")
    listing = page(data, "/")
    assert "one-participant" not in listing.replace('id="one-participant-study"', "")
    assert 'id="one-participant-study"' in listing


def test_the_rule():
    assert rests_on_one_participant(["P5"], 0, 9)
    assert not rests_on_one_participant(["P5"], 0, 1)  # the study itself has one participant
    assert not rests_on_one_participant(["P5"], 2, 9)  # two statements name no participant
    assert not rests_on_one_participant([], 6, 9)  # coverage unknown, not "one"
    assert not rests_on_one_participant(["P1", "P5"], 0, 9)


def test_the_published_table_2_flags_only_the_themes_resting_on_one_participant(study, tmp_path):
    """`qualflow report`: Table 2 in Markdown, HTML and DOCX says "(one participant)" beside the coverage of
    exactly the flagged themes."""
    from docx import Document

    items = theme_json(study)
    out = tmp_path / "report"
    qualflow(study, "report", "--out", str(out))
    markdown = (out / "report.md").read_text("utf-8")
    html = (out / "report.html").read_text("utf-8")
    docx_rows = [[cell.text for cell in row.cells] for table in Document(out / "report.docx").tables
                 for row in table.rows]
    for item in items:
        line = next(line for line in markdown.splitlines() if f"{item['code']} {item['label']}" in line)
        assert ("(one participant)" in line) == item["single_participant"], line
        cells = next(row for row in docx_rows if any(cell.startswith(f"{item['code']} ") for cell in row))
        assert any(cell.endswith("(one participant)") for cell in cells) == item["single_participant"], cells
    assert html.count("(one participant)") == sum(item["single_participant"] for item in items)
