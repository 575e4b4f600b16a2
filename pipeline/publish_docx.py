"""The report as a Word document whose tables are real Word tables, ready to paste into a manuscript."""

from __future__ import annotations

import io
import re

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Inches, Pt
from qualflow.pipeline.tables import has_questions, question_groups

TABLE_1_TITLE = "Table 1. Participant characteristics"
TABLE_2_TITLE = "Table 2. Themes, subcategories and representative quotes"
SATURATION_TITLE = "Table 3. New themes and subcategories per interview"
# What XML 1.0 cannot hold (python-docx refuses it): C0 controls other than tab, line feed and carriage
# return, lone surrogates, U+FFFE and U+FFFF. A label a reviewer typed or a participants-file value may hold one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: object) -> str:
    """Text as a Word document can hold it: the characters XML forbids are left out."""
    return _NOT_XML.sub("", str(text))


def docx_report(content: dict) -> Document:
    from qualflow.pipeline.publish import FIGURE_TITLES, question_label

    document = Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(10)
    # Word picks this font for Chinese characters; without it some versions show boxes.
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    document.add_heading("Study report: participants, themes and saturation", level=1)
    document.add_paragraph(_xml(
        f"Made {content['created']}. {content['interviews']} interviews, {content['participants']} participants, "
        f"{len(content['themes_table'])} themes ({content['confirmed_themes']} confirmed by a reviewer). "
        f"{content['saturation_sentence']}"))

    document.add_heading(TABLE_1_TITLE, level=2)
    table = _table(document, ["Characteristic", "Value"])
    for line in content["participant_lines"]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = _xml(line["label"]), _xml(line["value"])
        if line["indent"]:
            cells[0].paragraphs[0].paragraph_format.left_indent = Inches(0.25)
    document.add_paragraph("Statements contributed per participant:")
    table = _table(document, ["Participant", "Significant statements", "In themes", "Themes"])
    for p in content["participant_table"]["participants"]:
        _add_row(table, [p["id"], str(p["statements"]), str(p["in_themes"]), str(p["themes"])])

    document.add_heading(TABLE_2_TITLE, level=2)
    # Themes found per survey question get a first column naming the question, merged down its themes' rows.
    asked = has_questions(content["themes_table"])
    first = 1 if asked else 0  # the column of the theme names
    table = _table(document, (["Question"] if asked else [])
                   + ["Theme", "Subcategory", "Statements", "Participants", "Representative quotes"])
    for group in question_groups(content["themes_table"]):
        top = len(table.rows)
        for row in group["rows"]:
            for item in [row, *row["subcategories"]]:
                is_theme = item is row
                name = f"{item['code']} {item['label']}" + (" (confirmed)" if item["status"] == "confirmed" else "")
                cells = table.add_row().cells
                cells[first if is_theme else first + 1].text = _xml(name)
                cells[first + 2].text, cells[first + 3].text = str(item["statements"]), item["participants_covered"]
                if is_theme:
                    cells[first].paragraphs[0].runs[0].bold = True
                # A theme's quotes are given under its subcategories; a theme without any gives its own.
                quotes = [] if is_theme and row["subcategories"] else item["quotes"]
                for number, quote in enumerate(quotes):
                    paragraph = cells[first + 4].paragraphs[0] if number == 0 else cells[first + 4].add_paragraph()
                    paragraph.add_run(_xml(f"“{quote['text']}”")).italic = True
                    paragraph.add_run(_xml(f" ({quote['participant']})"))
        if asked:
            question = table.cell(top, 0)
            if len(table.rows) - 1 > top:
                question = question.merge(table.cell(len(table.rows) - 1, 0))
            question.text = _xml(question_label(group["question"]))

    document.add_heading("Data saturation", level=2)
    document.add_paragraph(f"{content['saturation_sentence']} Order of interviews: {content['saturation']['order']}.")
    table = _table(document, ["#", "Participant", "Date", "New themes", "New subcategories", "Themes so far",
                              "Subcategories so far"])
    for step in content["saturation"]["interviews"]:
        _add_row(table, [str(step["position"]), step["participant"] or "", step["date"] or "",
                         ", ".join(step["new_themes"]), ", ".join(step["new_subcategories"]),
                         str(step["themes_so_far"]), str(step["subcategories_so_far"])])

    for name, png in content["figures"].items():
        document.add_picture(io.BytesIO(png), width=Inches(6))
        document.add_paragraph(FIGURE_TITLES[name]).runs[0].italic = True
    if content["notes"]:
        document.add_heading("Notes", level=2)
        for note in content["notes"]:
            document.add_paragraph(_xml(note), style="List Bullet")
    return document


def _table(document, header: list[str]):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    return table


def _add_row(table, values: list[str]) -> None:
    for cell, value in zip(table.add_row().cells, values):
        cell.text = _xml(value)
