"""Pre-segmented input: a CSV/XLSX with one unit per row (open survey answers, or statements
someone already cut). Units skip segmentation; each becomes one statement.

Columns are found by header name, case-insensitively (with the same table reader as turn
tables): text (required), and optional id, participant, document and question. Units of one document are stored as one transcript
whose text is the units separated by blank lines, so offsets still point at exact words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.ingest import Document, SourceTurn, content_hash, normalise_text
from qualflow.pipeline.readers._tables import cell, find_column, read_table

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


def read_units(path: Path) -> list[Unit]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"{path.name}: cannot read ({error.strerror})") from None
    header, rows = read_table(data, path.name, path.suffix.lower(), TEXT)
    if header is None:
        raise UnreadableFile(f"{path.name}: the file is empty")
    at = {name: find_column(header, names) for name, names in
          (("text", TEXT), ("id", ID), ("participant", PARTICIPANT), ("document", DOCUMENT), ("question", QUESTION))}
    units = []
    for number, row in enumerate(rows, start=1):
        text = " ".join(normalise_text(cell(row, at["text"])).split())
        if text:
            units.append(Unit(cell(row, at["id"]).strip() or str(number), text,
                              cell(row, at["participant"]).strip() or None,
                              cell(row, at["document"]).strip() or path.stem, cell(row, at["question"]).strip() or None))
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
