"""Pre-segmented input: a CSV/XLSX with one unit per row (open survey answers, or statements
someone already cut). Units skip segmentation; each becomes one statement.

Columns are found by header name, case-insensitively (with the same table reader as turn
tables): text (required), and optional id, participant, document and question. Units of one document are stored as one transcript
whose text is the units separated by blank lines, so offsets still point at exact words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.ingest import (
    Document,
    SourceTurn,
    _too_big,
    content_hash,
    normalise_text,
)
from qualflow.pipeline.readers import check_archive
from qualflow.pipeline.readers._tables import cell, find_column, read_table

# "comment": what many survey tools call an open answer's column.
TEXT = ("text", "answer", "response", "statement", "content", "comment", "comments", "内容", "文本", "回答", "意见")
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


def read_units(path: Path, max_file_mb: float = 20.0, max_unpacked_mb: float = 200.0) -> list[Unit]:
    """The units of a .csv/.xlsx table, with the same size limit and archive checks as `read_document`.

    Each unit's id is its id cell. Ids must be unique (per question, when there is a question column:
    a respondent's id may head each of their answers): a file naming one id twice is refused (the error
    lists the ids, never any text). A unit with an empty id cell gets "row N", N counting the rows below
    the header from 1; should the file also use that as a real id, "(no id)" is added, so a fallback never
    collides with a given id. Raises UnreadableFile with a one-line reason."""
    path = Path(path)
    name = path.name
    limit = max_file_mb * 1024 * 1024
    try:
        size = path.stat().st_size
        if size > limit:
            raise _too_big(name, size, max_file_mb)
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"{name}: cannot read ({error.strerror or type(error).__name__})") from None
    if len(data) > limit:  # the file grew between stat and read
        raise _too_big(name, len(data), max_file_mb)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        check_archive(data, name, "xlsx", max_unpacked_mb)
    header, rows = read_table(data, name, suffix, TEXT)
    if header is None:
        raise UnreadableFile(f"{name}: the file is empty")
    at = {column: find_column(header, names) for column, names in
          (("text", TEXT), ("id", ID), ("participant", PARTICIPANT), ("document", DOCUMENT), ("question", QUESTION))}
    found = []  # (row number, id or "", text, row)
    for number, row in enumerate(rows, start=1):
        text = " ".join(normalise_text(cell(row, at["text"])).split())
        if text:
            found.append((number, cell(row, at["id"]).strip(), text, row))
    if not found:
        raise UnreadableFile(f"{name}: no units with text")
    given = Counter(unit_id for _, unit_id, _, _ in found if unit_id)
    # In a long survey table the id is often the respondent's, once per question: an id repeats
    # harmlessly across questions, never within one.
    per_question = Counter((unit_id, cell(row, at["question"]).strip()) for _, unit_id, _, row in found if unit_id)
    duplicated = list(dict.fromkeys(unit_id for (unit_id, _), count in per_question.items() if count > 1))
    if duplicated:
        listed = ", ".join(repr(unit_id) for unit_id in duplicated[:5])
        more = f" and {len(duplicated) - 5} more" if len(duplicated) > 5 else ""
        where = " for one question" if at["question"] is not None else ""
        raise UnreadableFile(f"{name}: {len(duplicated)} unit id{'s' if len(duplicated) != 1 else ''} "
                             f"used more than once{where} ({listed}{more}); give each unit its own id")
    units = []
    for number, unit_id, text, row in found:
        if not unit_id:
            unit_id = f"row {number}"
            while unit_id in given:
                unit_id += " (no id)"
        units.append(Unit(unit_id, text, cell(row, at["participant"]).strip() or None,
                          cell(row, at["document"]).strip() or path.stem, cell(row, at["question"]).strip() or None))
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
