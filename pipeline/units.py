"""Pre-segmented input: a CSV/XLSX with one unit per row (open survey answers, or statements
someone already cut). Units skip segmentation; each becomes one statement.

Columns are found by header name, case-insensitively: text (required), and optional id,
participant, document and question. Units of one document are stored as one transcript
whose text is the units separated by blank lines, so offsets still point at exact words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.ingest import Document, SourceTurn, content_hash, normalise_text

TEXT = ("text", "answer", "response", "statement", "content", "内容", "文本", "回答")
ID = ("id", "unit_id", "编号")
PARTICIPANT = ("participant", "respondent", "speaker", "参与者", "受访者")
DOCUMENT = ("document", "doc", "file", "文档")
QUESTION = ("question", "item", "问题")


@dataclass(frozen=True)
class Unit:
    unit_id: str
    text: str
    participant: str | None
    document: str
    question: str | None


def _rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # zip, XML and value errors alike for a broken workbook
            raise UnreadableFile(f"{path.name}: not a readable .xlsx file ({type(error).__name__})") from None
        try:
            sheet = workbook.worksheets[0]
            return [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    import csv
    import io

    from qualflow.pipeline.ingest import decode_bytes

    text = decode_bytes(path.read_bytes(), path.name)
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
    return list(csv.reader(io.StringIO(text, newline=""), dialect))


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [cell.strip().casefold() for cell in header]
    return next((lowered.index(name) for name in names if name in lowered), None)


def read_units(path: Path) -> list[Unit]:
    path = Path(path)
    try:
        rows = [row for row in _rows(path) if any(cell.strip() for cell in row)]
    except OSError as error:
        raise UnreadableFile(f"{path.name}: cannot read ({error.strerror})") from None
    if not rows:
        raise UnreadableFile(f"{path.name}: the file is empty")
    header, body = rows[0], rows[1:]
    at = {name: _column(header, names) for name, names in
          (("text", TEXT), ("id", ID), ("participant", PARTICIPANT), ("document", DOCUMENT), ("question", QUESTION))}
    if at["text"] is None:
        raise UnreadableFile(f"{path.name}: no text column (columns: {', '.join(header)}; expected one of: "
                             f"{', '.join(TEXT)})")

    def cell(row, name):
        index = at[name]
        return row[index].strip() if index is not None and index < len(row) else ""

    units = []
    for number, row in enumerate(body, start=1):
        text = " ".join(normalise_text(cell(row, "text")).split())
        if text:
            units.append(Unit(cell(row, "id") or str(number), text, cell(row, "participant") or None,
                              cell(row, "document") or path.stem, cell(row, "question") or None))
    if not units:
        raise UnreadableFile(f"{path.name}: no units with text")
    return units


def units_as_documents(units: list[Unit], source_name: str) -> list[tuple[Document, list[Unit]]]:
    """One Document per document column value, each unit a turn (speaker = participant)."""
    grouped: dict[str, list[Unit]] = {}
    for unit in units:
        grouped.setdefault(unit.document, []).append(unit)
    documents = []
    for name, members in grouped.items():
        pieces, turns, offset = [], [], 0
        for unit in members:
            turns.append(SourceTurn(unit.participant, offset, offset + len(unit.text),
                                    {"unit_id": unit.unit_id, **({"question": unit.question} if unit.question else {})}))
            pieces.append(unit.text)
            offset += len(unit.text) + 2
        text = "\n\n".join(pieces)
        documents.append((Document(f"{source_name}#{name}", text, content_hash(text), "units", tuple(turns)), members))
    return documents
