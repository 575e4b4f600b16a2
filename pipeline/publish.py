"""`qualflow report`: saturation, the participants and themes tables and the figures, written as one
self-contained HTML file, a DOCX with real Word tables, and Markdown, into one folder.

Everything shown comes from the store (de-identified statement text, P-numbers) or is an aggregate of the
researcher's participants file. Interview file names are left out of the shared report: they may carry
real names; interviews are named by position and participant instead. Interview dates order them but are not
shown (a date beside a participant code can identify them), only the months the study spanned, unless
`qualflow report --with-dates` asks for a private working copy.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from qualflow.models.queries import current_theme_set, study_participants
from qualflow.pipeline.figures import all_figures, label_note
from qualflow.pipeline.markdown_text import markdown_text
from qualflow.pipeline.participants_file import read_participants_file
from qualflow.pipeline.placements import live_codebook
from qualflow.pipeline.saturation import (
    data_collection,
    data_collection_sentence,
    saturation,
    saturation_sentence,
    without_interview_dates,
)
from qualflow.pipeline.tables import (
    MIN_CELL_SIZE,
    coverage_cell,
    fewest_numbers,
    has_questions,
    participant_table,
    question_groups,
    themes_table,
)
from sqlalchemy.orm import Session

REPORT_FOLDER = "report"
HTML_NAME, DOCX_NAME, MARKDOWN_NAME, SATURATION_JSON = "report.html", "report.docx", "report.md", "saturation.json"
FIGURE_TITLES = {
    "saturation.png": "Figure 1. Data saturation: themes and subcategories found as interviews were added.",
    "statement_map.png": "Figure 2. Statements by theme (principal components of the sentence vectors).",
    "theme_sizes.png": "Figure 3. Statements and participants per theme.",
    "participants_by_theme.png": "Figure 4. Statements per participant and theme.",
}
_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


# `qualflow report --with-dates` says this at the top of every file it writes, and in saturation.json.
PRIVATE_COPY = ("Private working copy, not for publication: each interview's date is shown beside its participant "
                "(qualflow report --with-dates), and a date can identify who was interviewed. Write the report "
                "again without --with-dates to share it.")
DATES_LEFT_OUT = ("left out: a date beside a participant can identify them (qualflow report --with-dates adds them "
                  "for a private working copy)")


# Table 2's question cell for themes of units that had no question, in a study where others had one.
NO_QUESTION = "(no question)"


def question_label(question: str | None) -> str:
    """A question as Table 2 shows it: the researcher's text from the units file, spaces made single."""
    return " ".join(question.split()) if question is not None else NO_QUESTION


def report_path(data_dir: Path) -> Path:
    """Where `qualflow report` puts the HTML report by default (for the review app to link to)."""
    return Path(data_dir) / REPORT_FOLDER / HTML_NAME


def report_content(session: Session, participants_file: Path | None = None, order: list[str] | None = None,
                   with_figures: bool = True, min_cell_size: int = MIN_CELL_SIZE, with_dates: bool = False) -> dict:
    """Everything the report shows, as plain data (the JSON a script could use, plus PNG bytes).

    Interviews are ordered by date, but no date is shown unless `with_dates`: only the months the study's
    interviews spanned (saturation.data_collection). The figures are drawn from the same undated result."""
    codebook = live_codebook(session)
    participants = read_participants_file(participants_file) if participants_file else None
    participant_rows = participants.rows if participants else None
    result = saturation(session, order)
    span = data_collection(result["interviews"], min_cell_size)
    if not with_dates:
        result = without_interview_dates(result)
    table2 = themes_table(session, codebook)
    theme_set = current_theme_set(session)
    notes = [note for note in [label_note(codebook)] if note]
    if codebook.empty:
        notes.append("Left out of Table 2 and the figures, holding no statement: "
                     + ", ".join(theme.code for theme in codebook.empty) + ".")
    table1 = participant_table(session, codebook, participant_rows, min_cell_size)
    # Who was left out of Table 1's N (withdrawn, or no interview) is said under the table: see table1_notes.
    if table1["in_study_not_in_file"]:
        notes.append("With statements in the study but not in the participants file: "
                     + ", ".join(table1["in_study_not_in_file"]) + ".")
    notes += [f"Left out of Table 1: {reason}." for reason in table1["left_out"] + (participants.left_out if participants else [])]
    if table1.get("deidentified"):
        notes.append(f"In Table 1, {', '.join(table1['deidentified'])}: names the transcripts' de-identification "
                     "replaced are shown as its placeholders, as in the quotes.")
    return {
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "encoder": theme_set.encoder_id if theme_set else None,
        "interviews": len(result["interviews"]), "participants": len(study_participants(session)),
        "statements_in_themes": len(codebook.placements),
        "confirmed_themes": sum(1 for row in table2 if row["status"] == "confirmed"),
        "saturation": result, "saturation_sentence": saturation_sentence(result),
        "data_collection": span, "data_collection_sentence": data_collection_sentence(span),
        "with_dates": with_dates, "private_note": PRIVATE_COPY if with_dates else None,
        "participant_table": table1, "participant_lines": participant_lines(table1),
        "table1_notes": table1_notes(table1),
        "themes_table": table2, "notes": notes,
        "figures": all_figures(session, codebook, result, table2) if with_figures else {},
    }


def participant_lines(table: dict) -> list[dict]:
    """Table 1 as rows of (characteristic, value, indent), the way papers lay it out."""
    lines = [{"label": "Participants", "value": f"N = {table['n']}", "indent": 0}]
    for attribute in table["attributes"]:
        missing = f"; not given: {attribute['missing']}" if attribute["missing"] else ""
        if attribute["kind"] == "numeric":
            lines.append({"label": f"{attribute['name']}, mean (SD)", "indent": 0,
                          "value": f"{attribute['mean']:.1f} ({attribute['sd']:.1f}){missing}"})
        else:
            lines.append({"label": f"{attribute['name']}, n (%)", "value": missing.lstrip("; "), "indent": 0})
            lines += [{"label": level["value"], "indent": 1, "value": f"{level['count']} ({level['percent']:.1f}%)"}
                      for level in attribute["levels"]]
    return lines


def table1_notes(table: dict) -> list[str]:
    """The notes under Table 1: who N leaves out (rows of the file with no interview, withdrawn
    participants), what the percentages are of, and which columns had small groups pooled,
    and why, by column name only (the values stay unnamed)."""
    return [*_sample_notes(table), *_percent_note(table), *_number_note(table), *_small_group_notes(table)]


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _sample_notes(table: dict) -> list[str]:
    notes = []
    without = table.get("in_file_without_statements_left_out", 0)
    if without:
        shown, hidden = table["in_file_without_statements"], table["in_file_without_statements_not_shown"]
        # Study ids (P9) are named; an id that is not one may be a real name, so it is only counted.
        which = ", ".join(shown)
        if hidden:
            which += (" and " if shown else "") + (
                f"{_plural(hidden, 'id that is not a study id like P3', 'ids that are not study ids like P3')} "
                f"(not shown: {'it' if hidden == 1 else 'they'} may be {'a name' if hidden == 1 else 'names'})")
        notes.append(f"N = {table['n']}: the participants with an interview in the study. Left out of Table 1 "
                     f"(N and every summary): {_plural(without, 'row', 'rows')} of the participants file with no "
                     f"interview in the study: {which}.")
    if table.get("withdrawn_left_out"):
        count = table["withdrawn_left_out"]
        notes.append(f"{_plural(count, 'participant', 'participants')} in the participants file withdrew consent "
                     f"(qualflow withdraw): left out of Table 1.")
    return notes


def _percent_note(table: dict) -> list[str]:
    if not any(a["kind"] == "categorical" for a in table["attributes"]):
        return []
    return ["n (%): percentages are of the participants who gave a value for that characteristic; those who "
            "gave none (an empty cell, NA, N/A, a dash…) are counted as \"not given\" and left out of the percentages."]


def _number_note(table: dict) -> list[str]:
    if not any(a["kind"] == "numeric" for a in table["attributes"]):
        return []
    fewest = fewest_numbers(table.get("min_cell_size", MIN_CELL_SIZE))
    return [f"mean (SD): of the participants who gave a number, at least {fewest}; no range is shown, "
            "since its ends are single participants' own values. A whole-number column of few different values "
            "(codes such as 1 and 2) is counted as categories."]


def _small_group_notes(table: dict) -> list[str]:
    size = table.get("min_cell_size", MIN_CELL_SIZE)
    pooled = [a["name"] for a in table["attributes"] if a.get("pooled")]
    if not pooled:
        return []
    lines = sorted({level["value"] for a in table["attributes"] for level in a.get("levels", [])
                    if level.get("pooled")})
    note = (f"Values held by fewer than {size} participants are not shown, since so few can be recognised: "
            f"in {', '.join(pooled)} they are pooled, unnamed, into one line ({', '.join(lines)}).")
    widened = [a["name"] for a in table["attributes"] if a.get("widened")]
    if widened:
        # Keeping a small pool's count back would not hide it: N and the other counts give it.
        note += (f" Where that line would have held fewer than {size}, the next smallest values joined it, so "
                 f"that no smaller count can be worked out from N and the counts shown: {', '.join(widened)}.")
    return [note + f" Smallest group shown: {size} (qualflow report --min-cell-size)."]


def markdown_report(content: dict, figure_files: dict[str, str] | None = None) -> str:
    """The report as Markdown; figures are linked as the PNG files written beside it."""
    esc = _markdown_cell
    summary = (f"Made {content['created']}. {content['interviews']} interviews, {content['participants']} "
               f"participants, {len(content['themes_table'])} themes ({content['confirmed_themes']} confirmed by a "
               f"reviewer), {content['statements_in_themes']} statements in themes. "
               f"{_and_space(content.get('data_collection_sentence'))}{content['saturation_sentence']}")
    private = [f"**{content['private_note']}**", ""] if content.get("private_note") else []
    lines = ["# Study report: participants, themes and saturation", "", *private, summary, "",
             "## Table 1. Participant characteristics", "", "| characteristic | value |", "|---|---|"]
    lines += [f"| {'&nbsp;&nbsp;' * line['indent']}{esc(line['label'])} | {esc(line['value'])} |"
              for line in content["participant_lines"]]
    lines += [line for note in content.get("table1_notes", []) for line in ("", f"*{esc(note)}*")]
    lines += ["", "Statements contributed per participant:", "",
              "| participant | significant statements | in themes | themes |", "|---|---|---|---|"]
    lines += [f"| {esc(p['id'])} | {p['statements']} | {p['in_themes']} | {p['themes']} |"
              for p in content["participant_table"]["participants"]]
    # Themes found per survey question get a first column naming the question, on its group's first row.
    asked = has_questions(content["themes_table"])
    lines += ["", "## Table 2. Themes, subcategories and representative quotes", "",
              ("| question " if asked else "") + "| theme | subcategory | statements | participants | representative quotes |",
              "|---" * (6 if asked else 5) + "|"]
    for group in question_groups(content["themes_table"]):
        for row in group["rows"]:
            for item in [row, *row["subcategories"]]:
                is_theme = item is row
                name = f"{item['code']} {esc(item['label'])}" + (" (confirmed)" if item["status"] == "confirmed" else "")
                quotes = "<br>".join(f"“{esc(q['text'])}” ({esc(q['participant'])})" for q in item["quotes"])
                # A theme's quotes are shown under its subcategories; a theme without any shows its own.
                if is_theme and row["subcategories"]:
                    quotes = ""
                question = ""
                if asked:
                    first = item is group["rows"][0]
                    question = f"| {esc(question_label(group['question'])) if first else ''} "
                lines.append(f"{question}| {f'**{name}**' if is_theme else ''} | {'' if is_theme else name} "
                             f"| {item['statements']} | {coverage_cell(item)} | {quotes} |")
    order = content["saturation"]["order"]
    lines += ["", "## Saturation", "", f"{content['saturation_sentence']} Order of interviews: {order}.", "",
              f"| # | participant |{' date |' if content.get('with_dates') else ''} new themes | new subcategories "
              "| themes so far | subcategories so far |", "|---" * (7 if content.get("with_dates") else 6) + "|"]
    for step in content["saturation"]["interviews"]:
        date = f" {step.get('date') or ''} |" if content.get("with_dates") else ""
        lines.append(f"| {step['position']} | {esc(step['participant'] or '')} |{date} "
                     f"{', '.join(step['new_themes'])} | {', '.join(step['new_subcategories'])} | "
                     f"{step['themes_so_far']} | {step['subcategories_so_far']} |")
    for name, path in (figure_files or {}).items():
        lines += ["", f"![{FIGURE_TITLES[name]}]({path})", "", f"*{FIGURE_TITLES[name]}*"]
    if content["notes"]:
        lines += ["", "## Notes", ""] + [f"- {esc(note)}" for note in content["notes"]]
    return "\n".join(lines).rstrip() + "\n"


def _and_space(sentence: str | None) -> str:
    return f"{sentence} " if sentence else ""


def _markdown_cell(text: str) -> str:
    return markdown_text(text)


def html_report(content: dict) -> str:
    """One HTML file that needs nothing else: styles inline, figures as data: URIs, no scripts."""
    figures = [{"title": FIGURE_TITLES[name], "data": base64.b64encode(png).decode("ascii")}
               for name, png in content["figures"].items()]
    # Jinja escapes every value in the .html template: labels, quotes and the units file's questions alike.
    groups = question_groups(content["themes_table"])
    for group in groups:
        group["label"] = question_label(group["question"])
    return _TEMPLATES.get_template("report.html").render(c=content, figures=figures, table2_groups=groups,
                                                         table2_questions=has_questions(content["themes_table"]))


def study_report_html(session: Session, participants_file: Path | None = None,
                      min_cell_size: int = MIN_CELL_SIZE) -> str:
    """The HTML report of the study as it stands, for a web page (the review app) to serve without a file."""
    return html_report(report_content(session, participants_file, min_cell_size=min_cell_size))


def write_report(session: Session, out_dir: Path, participants_file: Path | None = None,
                 order: list[str] | None = None, min_cell_size: int = MIN_CELL_SIZE,
                 with_dates: bool = False) -> dict[str, Path]:
    """Write the HTML, DOCX and Markdown reports, the figures and saturation.json into `out_dir`;
    interview dates only `with_dates` (a private working copy)."""
    from qualflow.pipeline.publish_docx import docx_report

    content = report_content(session, participants_file, order, min_cell_size=min_cell_size, with_dates=with_dates)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, png in content["figures"].items():
        (out_dir / name).write_bytes(png)
        written[name] = out_dir / name
    (out_dir / HTML_NAME).write_text(html_report(content), encoding="utf-8")
    (out_dir / MARKDOWN_NAME).write_text(markdown_report(content, {n: n for n in content["figures"]}), encoding="utf-8")
    docx_report(content).save(out_dir / DOCX_NAME)
    # File names stay out of the shared folder (they may carry names): interviews go by position and participant.
    # So do the study's own transcript ids: their gaps show which interview was withdrawn, their order the
    # order files were read in (privacy audit of 2026-11-27).
    private = {"interview", "transcript_id"}
    shared = content["saturation"] | {"interviews": [{k: v for k, v in step.items() if k not in private}
                                                     for step in content["saturation"]["interviews"]],
                                      "data_collection": content["data_collection"],
                                      "interview_dates": PRIVATE_COPY if with_dates else DATES_LEFT_OUT}
    (out_dir / SATURATION_JSON).write_text(json.dumps(shared, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    written |= {"html": out_dir / HTML_NAME, "docx": out_dir / DOCX_NAME, "markdown": out_dir / MARKDOWN_NAME,
                "saturation": out_dir / SATURATION_JSON}
    return written
