"""A units file without a participant column names no one. The review app said "0 participants ()" on a theme's
page and "0 of 0" in the list, as if nobody had said what the theme holds; it says "participant not recorded".

A real run (`qualflow run FILE --units`, Prefect, SQLite), then the review app's pages over HTTP."""

import csv
import re

import pytest
from fastapi.testclient import TestClient
from qualflow.flows.cli import app
from qualflow.models import Store, Theme, default_database_url
from qualflow.models.queries import current_themes
from qualflow.review.server import create_app
from typer.testing import CliRunner

pytestmark = pytest.mark.slow

TOPICS = {
    "nights": ["Night shifts leave me exhausted for days afterwards", "After a run of nights I cannot sleep properly",
               "The night shift rota is the hardest part of this job", "Working nights has wrecked my sleep pattern"],
    "parking": ["The staff car park is full by seven every morning", "Parking fees take a chunk out of my wages",
                "I circle the car park for twenty minutes looking for a space", "They raised staff parking charges"],
    "paperwork": ["The paperwork takes longer than the patient care", "Every admission means filling in forms twice",
                  "Documentation eats into the time I have for patients", "The records system keeps crashing on us"],
}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("participant-not-recorded")
    units = folder / "answers.csv"
    with units.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])  # no participant column
        writer.writerows([f"{topic}-{i}", f"{text}."]
                         for topic, texts in TOPICS.items() for i, text in enumerate(texts))
    data = folder / "data"
    result = CliRunner().invoke(app, ["run", str(units), "--units", "--data", str(data)])
    assert result.exit_code == 0, result.output
    return data


def page(data, path: str) -> str:
    client = TestClient(create_app(data, login=False), base_url="http://127.0.0.1:8765")
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.text


def test_themes_without_a_named_participant_say_it_was_not_recorded(study):
    with Store(default_database_url(study)).session() as session:
        themes = [(t.id, t.code) for t in current_themes(session) if t.size]
        assert themes and all(not session.get(Theme, theme_id).participants for theme_id, _ in themes)
    listing = page(study, "/")
    for theme_id, code in themes:
        row = re.search(rf'<tr class="[^"]*" data-theme-id="{theme_id}">.*?</tr>', listing, re.S).group(0)
        assert "participant not recorded" in row and " of 0" not in row, row
        meta = re.search(r'<p class="meta">.*?</p>', page(study, f"/themes/{theme_id}"), re.S).group(0)
        assert "participant not recorded" in meta and "0 participants" not in meta and "()" not in meta, meta
