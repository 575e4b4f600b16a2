"""Saturation, the participants and themes tables, the figures and the report files, on a small study
stored directly as records (tests/fixtures/publish/study.yaml), so which interview brings which theme is known."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import statistics
import struct
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import yaml
from qualflow.models import (
    Embedding,
    Statement,
    Store,
    Suggestion,
    Theme,
    ThemeSet,
    Transcript,
    Turn,
)
from qualflow.pipeline.errors import QualflowError
from qualflow.pipeline.participants_file import read_participants
from qualflow.pipeline.placements import live_codebook
from qualflow.pipeline.saturation import saturation
from qualflow.pipeline.tables import participant_table, themes_table

FIXTURES = Path(__file__).parent / "fixtures" / "publish"
SPEC = yaml.safe_load((FIXTURES / "study.yaml").read_text("utf-8"))
NAMES_IN_PARTICIPANTS_FILE = ("Mary Smith", "John Doe", "Ann Lee", "Bo Chen", "Cy Wu")


def build_study(url: str, spec: dict = SPEC) -> Store:
    """Store the fixture's interviews, themes, placements and (seeded, random) vectors."""
    store = Store(url)
    rng = np.random.default_rng(7)
    with store.session() as session:
        theme_set = ThemeSet(fingerprint="fixture", encoder_id=spec["encoder"], settings={}, n_statements=0)
        session.add(theme_set)
        session.flush()
        themes = {}
        for number, item in enumerate(spec["themes"], start=1):
            parent = themes.get(item.get("parent"))
            theme = Theme(theme_set_id=theme_set.id, number=number, code=item["code"], label=item["label"],
                          level="subcategory" if parent else "theme", parent_id=parent.id if parent else None,
                          status=item.get("status", "candidate"), size=0, cohesion=0.5)
            session.add(theme)
            session.flush()
            themes[item["code"]] = theme
        for interview in spec["interviews"]:
            texts = [s["text"] for s in interview["statements"]]
            text = "\n".join(texts)
            transcript = Transcript(content_hash=hashlib.sha256(interview["file"].encode()).hexdigest(),
                                    source_name=interview["file"], language=interview["language"],
                                    participant=interview["participant"], text=text,
                                    meta={"date": interview["date"]} if interview.get("date") else {})
            session.add(transcript)
            session.flush()
            turn = Turn(transcript_id=transcript.id, index=0, role="participant", participant=interview["participant"],
                        start=0, end=len(text), meta={})
            session.add(turn)
            session.flush()
            start = 0
            for index, item in enumerate(interview["statements"]):
                text_hash = hashlib.sha256(item["text"].encode()).hexdigest()
                statement = Statement(transcript_id=transcript.id, turn_id=turn.id, index=index, start=start,
                                      end=start + len(item["text"]), text=item["text"], text_hash=text_hash,
                                      language=interview["language"], tokens=item["text"].split(),
                                      participant=interview["participant"],
                                      significant=item.get("significant", True),
                                      excluded_reason=None if item.get("significant", True) else "back-channel")
                start += len(item["text"]) + 1
                session.add(statement)
                session.flush()
                session.add(Embedding(encoder_id=spec["encoder"], text_hash=text_hash, dim=16,
                                      vector=rng.normal(size=16).astype("<f4").tobytes()))
                if "theme" in item:
                    session.add(Suggestion(theme_id=themes[item["theme"]].id, statement_id=statement.id,
                                           similarity=item["similarity"], status=item.get("assignment", "suggested")))
    return store


@pytest.fixture
def store(tmp_path) -> Store:
    return build_study(f"sqlite:///{tmp_path / 'study.sqlite'}")


def test_saturation_follows_interview_dates_and_counts_first_appearances(store):
    with store.session() as session:
        result = saturation(session)
    assert result["order"] == "interview date"
    steps = result["interviews"]
    assert [s["participant"] for s in steps] == ["P2", "P1", "P3", "P4", "P5"]
    assert [s["new_themes"] for s in steps] == [["T1", "T2"], [], ["T3"], [], []]
    # T1.1's statement in P3 was rejected by the reviewer, so P3 brings no subcategory.
    assert [s["new_subcategories"] for s in steps] == [["T1.1", "T2.1"], ["T1.2"], [], [], []]
    assert [s["themes_so_far"] for s in steps] == [2, 2, 3, 3, 3]
    # Rejected (T4) and merged (T5) themes are not in the codebook: P5 brings nothing.
    assert result["themes"] == 3 and result["subcategories"] == 3
    assert result["themes_saturation"] == {"after_interview": 3, "confirmed_by": 2, "reached": True}
    assert result["subcategories_saturation"] == {"after_interview": 2, "confirmed_by": 3, "reached": True}


def test_saturation_in_an_order_the_user_gives(store):
    with store.session() as session:
        result = saturation(session, ["e_interview", "P4", "c_interview.txt", "b_interview", "P1"])
    assert result["order"] == "as given in the order file"
    assert [s["new_themes"] for s in result["interviews"]] == [[], ["T1", "T3"], ["T2"], [], []]
    assert [s["new_subcategories"] for s in result["interviews"]] == [[], ["T1.2"], ["T2.1"], ["T1.1"], []]
    assert result["subcategories_saturation"] == {"after_interview": 4, "confirmed_by": 1, "reached": True}


def test_saturation_is_not_claimed_when_the_last_interview_brings_a_theme(tmp_path):
    from qualflow.pipeline.saturation import saturation_sentence

    spec = yaml.safe_load((FIXTURES / "study.yaml").read_text("utf-8"))
    spec["themes"].append({"code": "T6", "label": "Only in the last interview"})
    spec["interviews"].append({"file": "f_interview.txt", "participant": "P6", "date": "2026-03-01", "language": "en",
                               "statements": [{"text": "Something nobody else said.", "theme": "T6",
                                               "similarity": 0.8}]})
    with build_study(f"sqlite:///{tmp_path / 'late.sqlite'}", spec).session() as session:
        result = saturation(session)
    assert [s["new_themes"] for s in result["interviews"]][-1] == ["T6"]
    assert result["themes_saturation"] == {"after_interview": 6, "confirmed_by": 0, "reached": False}
    assert saturation_sentence(result).startswith("Saturation was not reached")


def test_an_order_file_that_misses_or_misnames_interviews_is_refused(store):
    with store.session() as session:
        with pytest.raises(QualflowError, match="leaves out 1 interview"):
            saturation(session, ["P1", "P2", "P3", "P4"])
        with pytest.raises(QualflowError, match="'P9' matches no interview"):
            saturation(session, ["P1", "P2", "P3", "P4", "P9"])


def test_without_dates_interviews_keep_ingest_order(tmp_path):
    spec = yaml.safe_load((FIXTURES / "study.yaml").read_text("utf-8"))
    del spec["interviews"][3]["date"]
    with build_study(f"sqlite:///{tmp_path / 'undated.sqlite'}", spec).session() as session:
        result = saturation(session)
    assert result["order"] == "ingest order (1 of 5 interviews have no date)"
    assert [s["participant"] for s in result["interviews"]] == ["P1", "P2", "P3", "P4", "P5"]
    assert [s["new_subcategories"] for s in result["interviews"]] == [["T1.1", "T1.2"], ["T2.1"], [], [], []]


def test_confirmed_only_counts_the_themes_a_reviewer_confirmed(store):
    with store.session() as session:
        result = saturation(session, confirmed_only=True)
    assert result["themes"] == 1 and result["subcategories"] == 1  # T1 and its confirmed T1.2
    assert [s["new_themes"] for s in result["interviews"]] == [["T1"], [], [], [], []]
    assert [s["new_subcategories"] for s in result["interviews"]] == [[], ["T1.2"], [], [], []]


def test_themes_table_counts_statements_and_participants_from_live_assignments(store):
    with store.session() as session:
        rows = themes_table(session, live_codebook(session))
    assert [r["code"] for r in rows] == ["T1", "T2", "T3"]
    by_code = {item["code"]: item for row in rows for item in [row, *row["subcategories"]]}
    assert {code: by_code[code]["statements"] for code in by_code} == {
        "T1": 5, "T1.1": 3, "T1.2": 2, "T2": 2, "T2.1": 2, "T3": 2}
    assert by_code["T1"]["participants_covered"] == "3 of 5"
    assert by_code["T1"]["participants"] == ["P1", "P2", "P4"]
    assert by_code["T1"]["label"] == "<b>Workload</b> & stress" and by_code["T1"]["status"] == "confirmed"
    # The reviewer-confirmed statement leads, though another is closer to the centre.
    assert [q["participant"] for q in by_code["T1.2"]["quotes"]] == ["P1", "P4"]
    assert by_code["T1.2"]["quotes"][0]["confirmed"] is True
    # Different voices first: P2's second statement (closer to the centre than P1's) comes after P1's.
    assert [q["participant"] for q in by_code["T1.1"]["quotes"]] == ["P2", "P1", "P2"]


@pytest.mark.parametrize("name", ["participants.csv", "participants.yaml", "participants.xlsx"])
def test_participant_table_from_csv_yaml_and_xlsx(store, tmp_path, name):
    path = FIXTURES / name
    if name.endswith(".xlsx"):  # written here from the CSV, so the three files say the same
        from openpyxl import Workbook

        workbook = Workbook()
        for line in (FIXTURES / "participants.csv").read_text("utf-8").splitlines():
            workbook.active.append([int(v) if v.isdigit() and len(v) > 1 else v or None for v in line.split(",")])
        path = tmp_path / name
        workbook.save(path)
    with store.session() as session:
        table = participant_table(session, live_codebook(session), read_participants(path)[1])
    attributes = {a["name"]: a for a in table["attributes"]}
    assert table["n"] == 5 and set(attributes) == {"age", "sex", "site"}
    ages = [30, 40, 50, 60, 70]
    assert attributes["age"]["mean"] == pytest.approx(statistics.fmean(ages))
    assert attributes["age"]["sd"] == pytest.approx(math.sqrt(sum((a - 50) ** 2 for a in ages) / 4))
    assert (attributes["age"]["min"], attributes["age"]["max"]) == (30, 70)
    assert [(lv["value"], lv["count"], lv["percent"]) for lv in attributes["sex"]["levels"]] == [
        ("F", 3, 60.0), ("M", 1, 20.0)]
    assert attributes["sex"]["missing"] == 1
    assert any(note.startswith("name:") for note in table["left_out"])  # names are never summarised
    assert table["in_file_without_statements"] == ["P7"] and table["in_study_not_in_file"] == ["P5"]
    per = {p["id"]: (p["statements"], p["in_themes"], p["themes"]) for p in table["participants"]}
    # P1's back-channel is not significant; P3's rejected and P5's retired placements are not in themes.
    assert per == {"P1": (2, 2, 1), "P2": (3, 3, 2), "P3": (3, 2, 2), "P4": (2, 2, 2), "P5": (2, 0, 0),
                   "P7": (0, 0, 0)}


def test_unmatched_ids_that_may_be_names_are_counted_not_shown(store, tmp_path):
    from qualflow.pipeline.publish import report_content

    named = tmp_path / "named.csv"
    named.write_text("id,age\nP1,30\nMary Smith,40\nP8,50\n", encoding="utf-8")
    with store.session() as session:
        table = participant_table(session, live_codebook(session), read_participants(named)[1])
        notes = report_content(session, named, with_figures=False)["notes"]
    assert table["in_file_without_statements"] == ["P8"] and table["in_file_without_statements_not_shown"] == 1
    assert "Mary Smith" not in str(table) + str(notes)
    assert any(note.startswith("Ids in the participants file that match no") and ": 1 (not shown" in note
               for note in notes)


def test_participant_file_problems_are_one_line_errors(tmp_path):
    twice = tmp_path / "twice.csv"
    twice.write_text("id,age\nP1,30\np01,31\n", encoding="utf-8")
    with pytest.raises(QualflowError, match="'P1' appears twice"):
        read_participants(twice)
    pdf = tmp_path / "participants.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(QualflowError, match="use .csv, .xlsx or .yaml"):
        read_participants(pdf)
    with pytest.raises(QualflowError, match="no such participants file"):
        read_participants(tmp_path / "missing.csv")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a valid PNG has right after its signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_figures_are_valid_pngs_of_sensible_size(store):
    from PIL import Image
    from qualflow.pipeline.figures import all_figures, saturation_png

    with store.session() as session:
        figures = all_figures(session)
        again = all_figures(session)
        curve = saturation_png(session)
    assert set(figures) == {"saturation.png", "statement_map.png", "theme_sizes.png", "participants_by_theme.png"}
    for name, data in figures.items():
        width, height = png_size(data)
        assert 400 <= width <= 2400 and 250 <= height <= 2400, name
        Image.open(io.BytesIO(data)).verify()
        # Not a blank canvas: a drawn figure has many colours.
        assert len(Image.open(io.BytesIO(data)).convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 20
    assert figures == again  # deterministic: the same study draws the same pictures
    assert curve == figures["saturation.png"]


def test_chinese_labels_become_codes_without_a_chinese_font():
    from qualflow.pipeline.figures import cjk_font, figure_label

    assert figure_label("T1", "Workload") == "T1 Workload"
    assert figure_label("T2.1", "家属的负担") == ("T2.1" if cjk_font() is None else "T2.1 家属的负担")


class ExternalReferences(HTMLParser):
    """Every reference an HTML page makes to something outside itself."""

    URL_ATTRIBUTES: ClassVar[set[str]] = {"src", "href", "srcset", "poster", "data", "action", "background",
                                          "xlink:href"}

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.tags: set[str] = set()
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in self.URL_ATTRIBUTES and value and not value.startswith(("data:", "#")):
                self.found.append(f"{tag} {name}={value[:60]}")
            if name == "style" and value:
                self._check_css(value)

    def handle_endtag(self, tag):
        self._in_style = self._in_style and tag != "style"

    def handle_data(self, data):
        if self._in_style:
            self._check_css(data)

    def _check_css(self, css: str) -> None:
        if "@import" in css:
            self.found.append("@import")
        for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", css):
            if not url.startswith("data:"):
                self.found.append(f"url({url})")


def test_the_reference_finder_sees_what_it_must_refuse():
    parser = ExternalReferences()
    parser.feed('<link href="style.css"><img src="https://x.org/a.png"><div style="background: url(b.png)"></div>'
                '<style>@import "c.css";</style><img src="data:image/png;base64,AA==">')
    assert len(parser.found) == 4 and parser.tags >= {"link", "img"}


def test_report_files_html_docx_markdown(store, tmp_path):
    from docx import Document
    from qualflow.pipeline.publish import write_report

    with store.session() as session:
        written = write_report(session, tmp_path / "report", FIXTURES / "participants.csv")
    html = written["html"].read_text("utf-8")
    parser = ExternalReferences()
    parser.feed(html)
    assert parser.found == []
    assert not parser.tags & {"script", "link", "iframe", "object", "embed"}
    assert html.count('src="data:image/png;base64,') == 4
    assert "&lt;b&gt;Workload&lt;/b&gt; &amp; stress" in html and "<b>Workload" not in html  # escaped
    assert "No new theme appeared after interview 3 of 5; 2 later interviews confirmed it." in html

    document = Document(str(written["docx"]))
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    characteristics = next(t for t in tables if t[0] == ["Characteristic", "Value"])
    assert ["age, mean (SD)", "50.0 (15.8); range 30–70"] in characteristics
    assert ["F", "3 (60.0%)"] in characteristics
    themes = next(t for t in tables if t[0][:4] == ["Theme", "Subcategory", "Statements", "Participants"])
    assert ["T1 <b>Workload</b> & stress (confirmed)", "", "5", "3 of 5"] == themes[1][:4]
    assert themes[2][1:4] == ["T1.1 Paperwork", "3", "2 of 5"]
    assert "(P2)" in themes[2][4] and "eleven times" in themes[2][4]
    assert len(document.inline_shapes) == 4  # the figures

    markdown = written["markdown"].read_text("utf-8")
    assert "| age, mean (SD) | 50.0 (15.8); range 30–70 |" in markdown
    assert "![Figure 1." in markdown and (tmp_path / "report" / "saturation.png").is_file()
    # Only de-identified stored text: no names from the participants file, no interview file names.
    shared = written["saturation"].read_text("utf-8")
    assert [step["participant"] for step in json.loads(shared)["interviews"]] == ["P2", "P1", "P3", "P4", "P5"]
    for text in (html, markdown, shared, "\n".join(p.text for p in document.paragraphs) + str(tables)):
        for name in NAMES_IN_PARTICIPANTS_FILE + ("Mary_Smith", "a_interview"):
            assert name not in text


def test_a_hundred_interviews_still_draw_a_readable_saturation_curve():
    from qualflow.pipeline.figures import saturation_figure

    steps = [{"position": i, "participant": f"P{i}", "new_themes": ["T1"] if i in (1, 40) else [],
              "themes_so_far": 1 if i < 40 else 2, "subcategories_so_far": 3} for i in range(1, 101)]
    result = {"interviews": steps, "order": "interview date",
              "themes_saturation": {"after_interview": 40, "confirmed_by": 60, "reached": True}}
    width, height = png_size(saturation_figure(result))
    assert 400 <= width <= 2400 and 250 <= height <= 2400
