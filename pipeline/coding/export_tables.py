"""qualflow's codings and codebook as tables (CSV or XLSX), and a codebook Taguette imports.

The codings table uses the column names `qualflow import-coding` reads (document, start,
end, text, code, parent_code, coder), so it goes back in unchanged. Taguette's codebook
import wants a `tag` column and reads `description` and `parent` when present; themes are
listed before their subcategories so a parent always exists first. Text is the stored,
de-identified statement text.
"""

from __future__ import annotations

import csv
import io

from qualflow.models.queries import current_themes
from qualflow.pipeline.coding.export_refi import HIDDEN_STATUSES
from qualflow.pipeline.coding.records import QUALFLOW_CODER
from qualflow.pipeline.report import assignment_rows
from sqlalchemy.orm import Session

CODING_COLUMNS = ["document", "participant", "start", "end", "text", "code", "parent_code", "coder", "similarity"]
CODEBOOK_COLUMNS = ["code", "label", "level", "parent", "status", "statements", "keywords", "description"]
TAGUETTE_COLUMNS = ["tag", "description", "parent"]


def _name(theme) -> str:
    return f"{theme.code} {theme.label}"


def _visible_themes(session: Session) -> list:
    return [t for t in current_themes(session) if t.status not in HIDDEN_STATUSES]


def coding_rows(session: Session) -> list[dict]:
    names = {t.code: _name(t) for t in _visible_themes(session)}
    return [{"document": r["document"], "participant": r["participant"], "start": r["start"], "end": r["end"],
             "text": r["text"], "code": names[r["theme_id"]],
             "parent_code": names.get(r["parent_theme_id"], r["parent_theme_id"]), "coder": QUALFLOW_CODER,
             "similarity": round(r["similarity"], 4) if r["similarity"] is not None else None}
            for r in assignment_rows(session) if r["theme_id"] in names]


def codebook_rows(session: Session) -> list[dict]:
    themes = _visible_themes(session)
    by_id = {t.id: t for t in themes}
    ordered = [t for t in themes if t.level != "subcategory"]
    ordered = [x for t in ordered for x in [t] + [s for s in themes if s.parent_id == t.id and s.level == "subcategory"]]
    return [{"code": t.code, "label": t.label, "level": t.level,
             "parent": by_id[t.parent_id].code if t.parent_id in by_id else None, "status": t.status,
             "statements": t.size, "keywords": ", ".join(t.keywords or []),
             "description": getattr(t, "description", None) or ""} for t in ordered]


def taguette_codebook_rows(session: Session) -> list[dict]:
    rows = codebook_rows(session)
    names = {r["code"]: f"{r['code']} {r['label']}" for r in rows}
    return [{"tag": names[r["code"]], "description": r["description"] or (f"Keywords: {r['keywords']}"
                                                                            if r["keywords"] else ""),
             "parent": names.get(r["parent"], "")} for r in rows]


# A cell starting with one of these opens as a formula in Excel, LibreOffice and Google Sheets
# (CSV injection): "=HYPERLINK(…)" typed as a theme name, "@home_visit_p3.txt" as a file name,
# "- and then…" as a statement.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A text cell a spreadsheet shows as text: one that would start a formula gets a leading
    apostrophe (OWASP's advice). Numbers and other values are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: list[dict], columns: list[str]) -> str:
    """The table as CSV text without a byte-order mark: what goes to stdout, where a BOM would end up
    in the first column's name for `head`, `cut` or pandas reading the pipe."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({column: spreadsheet_safe(row.get(column)) for column in columns} for row in rows)
    return buffer.getvalue()


def to_csv(rows: list[dict], columns: list[str]) -> bytes:
    """A CSV file's bytes: UTF-8 with a byte-order mark. Without one, Excel double-clicked on Windows
    reads the file in the locale's code page and shows Chinese (and accented) text as mojibake.
    qualflow's own CSV readers and Taguette's codebook import skip the mark."""
    return csv_text(rows, columns).encode("utf-8-sig")


def to_xlsx(rows: list[dict], columns: list[str], sheet: str) -> bytes:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # Write-only: each row is written as it comes. A normal worksheet found the row just appended through
    # `max_row`, which openpyxl works out by scanning every cell: 20,000 rows took minutes (CSV: seconds).
    workbook = openpyxl.Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(columns)
    for row in rows:
        cells = []
        for value in (row.get(column) for column in columns):
            # A worksheet cannot hold most control characters; a transcript can (a form feed at a page
            # break): each becomes a space, so lengths and offsets still agree with the stored text.
            cell = WriteOnlyCell(worksheet, value=ILLEGAL_CHARACTERS_RE.sub(" ", value) if isinstance(value, str) else value)
            # openpyxl stores a string starting with "=" as a formula: text stays text, exactly as stored.
            if cell.data_type == "f":
                cell.data_type = "s"
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
