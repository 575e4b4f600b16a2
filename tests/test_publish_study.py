"""Saturation, the participants and themes tables, the figures and the report files, on a small study
stored directly as records (tests/fixtures/publish/study.yaml), so which interview brings which theme is known;
and Table 2's question column on a units file with a question column, through the real `run --units`."""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import warnings
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
                          status=item.get("status", "candidate"), size=0, cohesion=0.5,
                          question=item.get("question"))
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
                        start=0, end=len(text), meta={"question": interview["question"]} if "question" in interview else {})
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


def test_themes_holding_no_statement_are_left_out_of_tables_figures_and_saturation_with_a_note(tmp_path):
    """All of a theme's statements moved out, or their participant withdrew: a row of "0 of 5" says nothing
    about the data, so it is left out, and the report's notes name it."""
    from qualflow.pipeline.publish import report_content

    spec = dict(SPEC, themes=[*SPEC["themes"], {"code": "T6", "label": "Nobody said this"},
                              {"code": "T2.2", "parent": "T2", "label": "Emptied by a move"}])
    store = build_study(f"sqlite:///{tmp_path / 'study.sqlite'}", spec)
    with store.session() as session:
        codebook = live_codebook(session)
        assert sorted(t.code for t in codebook.empty) == ["T2.2", "T6"]
        rows = themes_table(session, codebook)
        result = saturation(session)
        notes = report_content(session)["notes"]
    shown = [item["code"] for row in rows for item in [row, *row["subcategories"]]]
    assert "T6" not in shown and "T2.2" not in shown and "T2.1" in shown
    assert (result["themes"], result["subcategories"]) == (3, 3)  # as without the empty ones
    assert any("holding no statement: T6, T2.2" in note or "holding no statement: T2.2, T6" in note for note in notes)


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
    # P7 is in the file but has no interview in the study: left out of N and every summary.
    assert table["n"] == 4 and set(attributes) == set()
    assert table["in_file_without_statements_left_out"] == 1
    # Four ages: their mean and SD would come close to showing them (tests/test_table1_numbers.py).
    reasons = dict(note.split(": ", 1) for note in table["left_out"])
    assert reasons["age"].startswith("given by fewer than 5 participants")
    # One participant's "M" is below the minimum cell size, and "F 3 of 4" would give it away (4 - 3): the
    # column is left out. Sites North 2, South 2: every value under the minimum, and a line "Other 4 (100%)"
    # would read as everyone's site: left out too.
    reasons = dict(note.split(": ", 1) for note in table["left_out"])
    assert reasons["sex"].startswith("no value held by 3 or more participants could be shown")
    assert reasons["site"].startswith("every value is held by fewer than 3")
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
        content = report_content(session, named, with_figures=False)
    notes = content["notes"] + content["table1_notes"]
    assert table["in_file_without_statements"] == ["P8"] and table["in_file_without_statements_not_shown"] == 1
    assert table["n"] == 1 and table["in_file_without_statements_left_out"] == 2
    assert "Mary Smith" not in str(table) + str(notes)
    assert ("N = 1: the participants with an interview in the study. Left out of Table 1 (N and every summary): "
            "2 rows of the participants file with no interview in the study: P8 and 1 id that is not a study id "
            "like P3 (not shown: it may be a name).") in content["table1_notes"]


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
    assert not any(row[0].startswith("age") for row in characteristics)  # four ages: fewer than 5
    assert not any(row[0] in {"F", "M", "sex, n (%)"} for row in characteristics)  # F 3 of 4 gives M away
    themes = next(t for t in tables if t[0][:4] == ["Theme", "Subcategory", "Statements", "Participants"])
    assert ["T1 <b>Workload</b> & stress (confirmed)", "", "5", "3 of 5"] == themes[1][:4]
    assert themes[2][1:4] == ["T1.1 Paperwork", "3", "2 of 5"]
    assert "(P2)" in themes[2][4] and "eleven times" in themes[2][4]
    assert len(document.inline_shapes) == 4  # the figures

    markdown = written["markdown"].read_text("utf-8")
    assert "age, mean (SD)" not in markdown and "Left out of Table 1: age: given by fewer than 5" in markdown
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


# ---------------------------------------------------------------------------------------------------------------
# Table 2 and survey questions. Units ingested with a question column (`qualflow run FILE --units`) have their
# themes found per question, so Table 2 names the question of each theme; a study without questions keeps the
# table it always had.

TABLE_2_MARKDOWN_WITHOUT_QUESTIONS = """\
## Table 2. Themes, subcategories and representative quotes

| theme | subcategory | statements | participants | representative quotes |
|---|---|---|---|---|
| **T1 &lt;b&gt;Workload&lt;/b&gt; &amp; stress (confirmed)** |  | 5 | 3 of 5 |  |
|  | T1.1 Paperwork | 3 | 2 of 5 | “I wrote the same history eleven times in one month for different agencies.” (P2)\
<br>“Every visit means another form to fill in before I can go home at night.” (P1)\
<br>“The portal times out after ten minutes and I lose everything I typed.” (P2) |
|  | T1.2 Out-of-hours calls (confirmed) | 2 | 2 of 5 | “The phone rings at ten at night and I still answer it \
because nobody else will.” (P1)<br>“On call every other weekend, so my own family barely sees me on Sundays.” (P4) |
| **T2 Families** |  | 2 | 2 of 5 |  |
|  | T2.1 家属的负担 | 2 | 2 of 5 | “Families carry everything between our visits and they are exhausted by it.” (P2)\
<br>“家属这么多年都不敢跟亲戚说孩子的病，一坐下来就哭。” (P3) |
| **T3 Safety on visits** |  | 2 | 2 of 5 | “I always sit nearest the door and keep my car keys in my pocket.” (P4)\
<br>“第一次一个人上门的时候，我在车里坐了十分钟才敢去敲门。” (P3) |
"""
# sha256 of the HTML report's Table 2 (from its <h2> to its </table>) for the fixture study, taken from the
# report as it was before Table 2 learnt about questions: a study without questions renders it byte for byte.
TABLE_2_HTML_WITHOUT_QUESTIONS_SHA256 = "8ae0281f1911ec00ce89305a77f0b36a7216d4e7ba777862bb6877fd2786ae5e"


def _section(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin: text.index(end, begin) + len(end)]


def test_a_study_without_questions_renders_table_2_as_before(store, tmp_path):
    from docx import Document
    from qualflow.pipeline.publish import write_report
    from qualflow.pipeline.tables import has_questions, question_groups

    with store.session() as session:
        rows = themes_table(session, live_codebook(session))
        written = write_report(session, tmp_path / "report", FIXTURES / "participants.csv")
    assert [item["question"] for row in rows for item in [row, *row["subcategories"]]] == [None] * 6
    assert not has_questions(rows) and [g["question"] for g in question_groups(rows)] == [None]

    markdown = written["markdown"].read_text("utf-8")
    assert _section(markdown, "## Table 2.", "\n\n## ") == TABLE_2_MARKDOWN_WITHOUT_QUESTIONS + "\n## "
    html = written["html"].read_text("utf-8")
    table2 = _section(html, "<h2>Table 2.", "</table>")
    assert "<th>Question</th>" not in table2 and 'class="question"' not in html and "td.question" not in html
    assert hashlib.sha256(table2.encode()).hexdigest() == TABLE_2_HTML_WITHOUT_QUESTIONS_SHA256
    document = Document(str(written["docx"]))
    themes = next(t for t in document.tables if t.rows[0].cells[0].text in ("Theme", "Question"))
    assert [cell.text for cell in themes.rows[0].cells] == [
        "Theme", "Subcategory", "Statements", "Participants", "Representative quotes"]
    assert [[cell.text for cell in row.cells][:4] for row in themes.rows[1:]] == [
        ["T1 <b>Workload</b> & stress (confirmed)", "", "5", "3 of 5"], ["", "T1.1 Paperwork", "3", "2 of 5"],
        ["", "T1.2 Out-of-hours calls (confirmed)", "2", "2 of 5"], ["T2 Families", "", "2", "2 of 5"],
        ["", "T2.1 家属的负担", "2", "2 of 5"], ["T3 Safety on visits", "", "2", "2 of 5"]]


def test_themes_go_by_question_in_the_order_the_questions_first_appear(tmp_path):
    """The fixture study with a question per interview: T1 answers the question asked last, T3 the one asked
    first, T2 has none (units without a question). Neither code order nor alphabetical order would give this."""
    from qualflow.pipeline.publish import markdown_report, report_content
    from qualflow.pipeline.tables import question_groups

    spec = yaml.safe_load((FIXTURES / "study.yaml").read_text("utf-8"))
    asked = {"P1": "Zoned out: what is | hardest?", "P3": "Anything else?", "P4": "Zoned out: what is | hardest?"}
    for interview in spec["interviews"]:
        if interview["participant"] in asked:
            interview["question"] = asked[interview["participant"]]
    answers = {"T1": "Anything else?", "T2": None, "T3": "Zoned out: what is | hardest?"}
    for theme in spec["themes"]:
        theme["question"] = answers.get(theme.get("parent") or theme["code"])
    with build_study(f"sqlite:///{tmp_path / 'asked.sqlite'}", spec).session() as session:
        rows = themes_table(session, live_codebook(session))
        content = report_content(session, with_figures=False)
    assert [(row["code"], row["question"]) for row in rows] == [
        ("T3", "Zoned out: what is | hardest?"), ("T2", None), ("T1", "Anything else?")]
    assert [sub["question"] for sub in rows[2]["subcategories"]] == ["Anything else?", "Anything else?"]
    assert [(g["question"], g["span"]) for g in question_groups(rows)] == [
        ("Zoned out: what is | hardest?", 1), (None, 2), ("Anything else?", 3)]
    table = _section(markdown_report(content), "## Table 2.", "\n\n## ").splitlines()
    assert table[2] == "| question | theme | subcategory | statements | participants | representative quotes |"
    assert table[3] == "|---|---|---|---|---|---|"
    assert table[4].startswith("| Zoned out: what is \\| hardest? | **T3 Safety on visits** |  | 2 | 2 of 5 |")
    assert table[5].startswith("| (no question) | **T2 Families** |")
    assert table[6].startswith("|  |  | T2.1 家属的负担 |")
    assert table[7].startswith("| Anything else? | **T1 &lt;b&gt;Workload")
    assert [line.startswith("|  | ") for line in table[8:10]] == [True, True]


SURVEY = {  # question → answers; the first question comes first in the file but last alphabetically
    "What & who takes <most> of your week?": [
        "Home visits take most of my week", "Driving between home visits eats the day",
        "I visit patients at home twice a month", "The home visit schedule is too full",
        "I do not feel safe visiting alone at night", "We go in pairs because of safety worries",
        "A patient once threatened me with a knife", "Personal alarms make us feel a bit safer"],
    "How could we help? (training | pay)": [
        "The training course was far too short", "I never had training in crisis work",
        "New staff need more supervision and teaching", "Training days are always cancelled",
        "The pay is low for this kind of work", "My salary has not risen in five years",
        "Better pay would keep people in the job", "We earn less than hospital nurses"],
}


@pytest.fixture(scope="module")
def survey_study(tmp_path_factory) -> dict:
    """A units file with a question column, through the real `qualflow run --units` and `qualflow report`."""
    import csv

    from qualflow.flows.cli import app
    from qualflow.models import default_database_url
    from typer.testing import CliRunner

    folder = tmp_path_factory.mktemp("survey")
    rows = []
    for question, answers in SURVEY.items():
        for n, ending in enumerate([".", ", honestly.", ", really."]):  # three respondents' variations
            rows += [{"id": f"{len(rows) + i}", "participant": f"R{n * 8 + i + 1}", "question": question,
                      "answer": f"{text}{ending}"} for i, text in enumerate(answers)]
    with (folder / "survey.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "participant", "question", "answer"])
        writer.writeheader()
        writer.writerows(rows)
    data = folder / "data"
    result = CliRunner().invoke(app, ["run", str(folder / "survey.csv"), "--units", "--data", str(data)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["report", "--data", str(data)])
    assert result.exit_code == 0, result.output
    return {"store": Store(default_database_url(data)), "report": data / "report",
            "question_of": {row["answer"]: row["question"] for row in rows}}


def test_survey_themes_table_rows_carry_the_question_they_were_found_in(survey_study):
    from qualflow.pipeline.tables import has_questions, question_groups

    question_of = survey_study["question_of"]
    with survey_study["store"].session() as session:
        codebook = live_codebook(session)
        rows = themes_table(session, codebook)
    by_code = {item["code"]: item for row in rows for item in [row, *row["subcategories"]]}
    assert has_questions(rows) and {item["question"] for item in by_code.values()} == set(SURVEY)
    # Every statement placed in a theme or subcategory answers the question its row names.
    assert codebook.placements
    for placement in codebook.placements:
        asked = question_of[placement.statement.text]
        assert by_code[placement.theme.code]["question"] == asked
        if placement.subcategory is not None:
            assert by_code[placement.subcategory.code]["question"] == asked
    for item in by_code.values():
        assert {question_of[q["text"]] for q in item["quotes"]} <= {item["question"]}
    # One group per question, in the units file's order, which is also how the codes number them.
    assert [g["question"] for g in question_groups(rows)] == list(SURVEY)
    prefixes = [row["code"].split("-")[0] for row in rows]
    assert prefixes == sorted(prefixes) and len(set(prefixes)) == len(SURVEY)


def test_survey_report_shows_the_question_in_html_docx_and_markdown(survey_study):
    import html as html_module

    from docx import Document
    from qualflow.pipeline.tables import question_groups

    with survey_study["store"].session() as session:
        rows = themes_table(session, live_codebook(session))
    groups = question_groups(rows)
    question_of_code = {item["code"]: row["question"] for row in rows for item in [row, *row["subcategories"]]}
    folder = survey_study["report"]

    html = (folder / "report.html").read_text("utf-8")
    table2 = _section(html, "<h2>Table 2.", "</table>")
    assert "<thead><tr><th>Question</th><th>Theme / subcategory</th>" in table2
    cells = re.findall(r'<td class="question" rowspan="(\d+)">(.*?)</td>', table2)
    assert cells == [(str(g["span"]), html_module.escape(g["question"], quote=False)) for g in groups]
    assert "What &amp; who takes &lt;most&gt; of your week?" in table2 and "<most>" not in html  # escaped
    assert table2.count("<tr") == 1 + sum(g["span"] for g in groups)

    document = Document(str(folder / "report.docx"))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Question")
    assert [cell.text for cell in table.rows[0].cells] == [
        "Question", "Theme", "Subcategory", "Statements", "Participants", "Representative quotes"]
    body = [[cell.text for cell in row.cells] for row in table.rows[1:]]
    assert len(body) == sum(g["span"] for g in groups)
    # The question cell is merged down its themes' rows; each row reads its theme's own question, unescaped.
    assert [row[0] for row in body] == [question_of_code[(row[1] or row[2]).split(" ")[0]] for row in body]
    assert body[0][0] == "What & who takes <most> of your week?"

    markdown = (folder / "report.md").read_text("utf-8")
    lines = _section(markdown, "## Table 2.", "\n\n## ").splitlines()[2:-2]
    assert lines[0] == "| question | theme | subcategory | statements | participants | representative quotes |"
    body = lines[2:]
    assert len(body) == sum(g["span"] for g in groups)
    cells = [re.split(r"(?<!\\)\|", line)[1:-1] for line in body]
    assert {len(row) for row in cells} == {6}
    starts = [i for i, row in enumerate(cells) if row[0].strip()]
    assert [cells[i][0].strip() for i in starts] == ["What &amp; who takes &lt;most&gt; of your week?",
                                                     "How could we help? (training \\| pay)"]
    assert starts == [0, groups[0]["span"]]


# ---------------------------------------------------------------------------------------------------------------
# Audit of the publishing code: files researchers really have, labels reviewers really type, folders in the way.

def test_a_label_with_a_control_character_still_gives_every_report_file(store, tmp_path):
    """A reviewer's name for a theme pasted from elsewhere can carry a control character (a bell, a form
    feed from a PDF): Word's XML cannot hold it, and python-docx refused it, so `qualflow report` failed."""
    from docx import Document
    from qualflow.models import Theme
    from qualflow.pipeline.publish import write_report
    from qualflow.review.actions import rename
    from sqlalchemy import select

    with store.session() as session:
        theme = session.scalar(select(Theme).where(Theme.code == "T3"))
        rename(session, "reviewer", theme.id, "Safety\x07 on visits\x01")
    with store.session() as session, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = write_report(session, tmp_path / "report")
    assert not [w for w in caught if "missing from font" in str(w.message)]  # no boxes in the figures
    document = Document(str(written["docx"]))
    themes = next(t for t in document.tables if t.rows[0].cells[0].text == "Theme")
    assert [row.cells[0].text for row in themes.rows if row.cells[0].text.startswith("T3")] == [
        "T3 Safety on visits"]
    assert "Safety" in written["html"].read_text("utf-8") and "Safety" in written["markdown"].read_text("utf-8")


def test_report_into_a_file_instead_of_a_folder_is_one_line(tmp_path):
    from qualflow.flows.cli import app
    from qualflow.models import default_database_url
    from typer.testing import CliRunner

    data = tmp_path / "data"
    data.mkdir()
    build_study(default_database_url(data))
    manuscript = tmp_path / "paper.docx"
    manuscript.write_bytes(b"the researcher's own file")
    result = CliRunner().invoke(app, ["report", "--data", str(data), "--out", str(manuscript)])
    assert result.exit_code == 2, result.output
    assert "--out must be a folder" in result.output and "Traceback" not in result.output
    assert manuscript.read_bytes() == b"the researcher's own file"
    result = CliRunner().invoke(app, ["saturation", "--data", str(data), "--plot", str(tmp_path)])
    assert result.exit_code == 2 and "--plot" in result.output and "is a folder" in result.output, result.output


def test_participants_files_excel_writes_as_unicode_text_and_an_ids_only_list(store, tmp_path):
    """Excel's "Unicode Text" is UTF-16 with a BOM, tab-separated, saved as .txt; a list of ids alone (who took
    part) has one column, where the CSV sniffer gives up. Both were refused as unreadable."""
    unicode_text = tmp_path / "participants.txt"
    unicode_text.write_bytes("participant\tage\t性别\r\nP1\t30\t女\r\nP2\t40\t男\r\nP3\t50\t女\r\n"
                             .encode("utf-16"))
    assert unicode_text.read_bytes()[:2] == b"\xff\xfe"
    assert read_participants(unicode_text) == ("participant", [{"id": "P1", "age": "30", "性别": "女"},
                                                               {"id": "P2", "age": "40", "性别": "男"},
                                                               {"id": "P3", "age": "50", "性别": "女"}])
    ids_only = tmp_path / "ids.csv"
    ids_only.write_text("\ufeffid\r\nP1\r\nP2\r\n3\r\nP4\r\nP5\r\n", encoding="utf-8")
    assert read_participants(ids_only) == ("id", [{"id": f"P{n}"} for n in range(1, 6)])
    with store.session() as session:
        table = participant_table(session, live_codebook(session), read_participants(ids_only)[1])
    assert table["n"] == 5 and table["attributes"] == [] and table["in_study_not_in_file"] == []


def test_a_survey_table_reports_no_saturation_over_interviews(survey_study):
    """One table of answers by 24 respondents is no series of interviews: "interview 1 of 1" would
    read as a finding. The report says saturation is not reported, and why."""
    from qualflow.pipeline.saturation import saturation, saturation_sentence

    with survey_study["store"].session() as session:
        result = saturation(session)
    assert result["survey_tables"] == len(result["interviews"]) == 1
    sentence = saturation_sentence(result)
    assert sentence.startswith("Saturation is not reported") and "interview 1" not in sentence
    markdown = (survey_study["report"] / "report.md").read_text("utf-8")
    assert "Saturation is not reported" in markdown and "interview 1 of 1" not in markdown


def test_units_cut_from_interviews_one_participant_each_keep_their_saturation(tmp_path):
    """A units file with a document column naming interviews is interviews: each document one person."""
    from qualflow.models import Turn
    from qualflow.pipeline.saturation import _survey_tables

    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    with store.session() as session:
        made = []
        for n, speakers in enumerate((["P1", "P1"], ["P2"], ["R1", "R2"])):
            transcript = Transcript(content_hash=str(n), source_name=f"u.csv#{n}", source_format="units",
                                    language="en", text="a. b.", participant=None)
            session.add(transcript)
            session.flush()
            session.add_all([Turn(transcript_id=transcript.id, index=i, role="participant", participant=who,
                                  start=0, end=2) for i, who in enumerate(speakers)])
            made.append(transcript)
        session.flush()
        assert _survey_tables(session, made[:2]) == 0
        assert _survey_tables(session, made) == 1


def test_ids_in_the_participants_file_match_whatever_their_case(survey_study, tmp_path):
    """A spreadsheet saying r1 for the study's R1 still describes R1; r1 and R1 both listed is an error."""
    listed = tmp_path / "respondents.csv"
    listed.write_text("participant,age\nr1,30\nR2,40\n", encoding="utf-8")
    with survey_study["store"].session() as session:
        table = participant_table(session, live_codebook(session), read_participants(listed)[1])
    assert table["n"] == 2 and table["in_file_without_statements_not_shown"] == 0
    assert "R1" not in table["in_study_not_in_file"] and "R3" in table["in_study_not_in_file"]
    twice = tmp_path / "twice.csv"
    twice.write_text("participant,age\nr1,30\nR1,31\n", encoding="utf-8")
    with pytest.raises(QualflowError, match="an id appears twice"):
        read_participants(twice)
