"""Manual coding as a table (.csv, .tsv, .xlsx): one row per coded passage.

Columns are found by header name (English or Chinese, any case): a code column is required;
a document column, and start/end offsets or the quoted text (or both) place the passage.
Optional: parent code, coder, description. Offsets in columns named `*_byte`/`*_bytes` are
UTF-8 bytes; others are characters. Taguette's highlight export (id, document, tag, content)
is such a table. A `codes`/`tags` column may hold several codes separated by `;`.
"""

from __future__ import annotations

from qualflow.pipeline.coding.records import (
    STORED_SEPARATOR,
    CodedSpan,
    ImportedCoding,
    SourceDocument,
)
from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.readers import unreadable
from qualflow.pipeline.readers._tables import cell, find_column, read_table

CODE_COLUMNS = ("code", "codes", "tag", "tags", "code name", "编码", "代码", "标签")
MULTI_CODE_COLUMNS = ("codes", "tags")
DOCUMENT_COLUMNS = ("document", "doc", "file", "filename", "file name", "source", "transcript", "document name",
                    "文档", "文件", "访谈")
START_COLUMNS = ("start", "start_char", "start char", "startposition", "start position", "begin", "起始", "开始")
END_COLUMNS = ("end", "end_char", "end char", "endposition", "end position", "stop", "结束")
START_BYTE_COLUMNS = ("start_byte", "start_bytes", "start byte")
END_BYTE_COLUMNS = ("end_byte", "end_bytes", "end byte")
QUOTE_COLUMNS = ("text", "quote", "quotation", "content", "segment", "excerpt", "coded text", "coded segment",
                 "snippet", "highlight", "引文", "文本", "内容", "原文")
PARENT_COLUMNS = ("parent", "parent code", "parent_code", "category", "theme", "父编码", "类属", "主题")
CODER_COLUMNS = ("coder", "user", "annotator", "creator", "owner", "编码者", "编码员")
DESCRIPTION_COLUMNS = ("description", "definition", "memo", "说明", "定义")
MAX_OFFSET = 2**31 - 1  # far past any document's length, and storable


def _offset(value: str, name: str, row_number: int, column: str) -> int | None:
    """The offset in a cell. The error names the row and column, never the cell: it may hold
    someone's words (a quote pasted into the wrong column)."""
    value = value.strip()
    if not value:
        return None
    try:
        offset = int(float(value))
    except (ValueError, OverflowError):  # "inf" overflows int()
        raise unreadable(name, f"row {row_number}, column {column!r}: the offset is not a number") from None
    if not 0 <= offset <= MAX_OFFSET:
        raise unreadable(name, f"row {row_number}, column {column!r}: the offset is out of range "
                               f"(0 to {MAX_OFFSET:,})")
    return offset


def _path(parent: str, code: str) -> tuple[str, ...]:
    """The code's path: under its parent, unless the code is written as a full path already
    ("Care / Caregiver burden" beside parent "Care"; the parent itself). Names stay whole:
    "Caregiver burden" is not "Care" + something."""
    if not parent or code == parent:
        return (code,)
    if code.startswith(parent + STORED_SEPARATOR):
        return parent, code[len(parent) + len(STORED_SEPARATOR):]
    return parent, code


def read_coding_table(data: bytes, name: str, suffix: str, default_coder: str) -> ImportedCoding:
    try:
        header, rows = read_table(data, name, suffix, CODE_COLUMNS)
    except UnreadableFile as error:
        # The table reader is shared with transcript tables, whose key column is the text; here it is the code.
        raise UnreadableFile(str(error).replace("text column", "code column")) from None
    if header is None:
        raise unreadable(name, "the table is empty")
    at = {key: find_column(header, names) for key, names in (
        ("code", CODE_COLUMNS), ("document", DOCUMENT_COLUMNS), ("start", START_COLUMNS), ("end", END_COLUMNS),
        ("start_byte", START_BYTE_COLUMNS), ("end_byte", END_BYTE_COLUMNS), ("quote", QUOTE_COLUMNS),
        ("parent", PARENT_COLUMNS), ("coder", CODER_COLUMNS), ("description", DESCRIPTION_COLUMNS))}
    in_bytes = at["start"] is None and at["start_byte"] is not None
    start_at, end_at = (at["start_byte"], at["end_byte"]) if in_bytes else (at["start"], at["end"])

    def column_name(index: int | None) -> str:  # a header cell: a column's name, not someone's words
        return str(header[index]).strip() if index is not None else ""

    if at["quote"] is None and (start_at is None or end_at is None):
        found = ", ".join(repr(column_name(index)) for index in range(len(header)))
        raise unreadable(name, "needs start and end offsets or a column with the coded text "
                               f"(one of: {', '.join(QUOTE_COLUMNS[:6])}); columns found: {found}")
    code_label = str(header[at["code"]]).strip().casefold()

    imported = ImportedCoding(file_format=suffix.lstrip("."), offset_unit="bytes" if in_bytes else "auto")
    for row_number, row in enumerate(rows, start=2):
        raw_codes = cell(row, at["code"]).strip()
        if not raw_codes:
            continue
        codes = [c.strip() for c in raw_codes.split(";")] if code_label in MULTI_CODE_COLUMNS else [raw_codes]
        document = cell(row, at["document"]).strip() or "(document)"
        parent = cell(row, at["parent"]).strip()
        start = _offset(cell(row, start_at), name, row_number, column_name(start_at))
        end = _offset(cell(row, end_at), name, row_number, column_name(end_at))
        quote = cell(row, at["quote"]) or None
        if quote is None and (start is None or end is None):
            continue  # a codebook row (code and description only)
        imported.documents.setdefault(document, SourceDocument(document))  # a table ships no full text
        for code in filter(None, codes):
            path = imported.add_code(_path(parent, code), cell(row, at["description"]).strip() or None)
            coder = cell(row, at["coder"]).strip()
            imported.default_coder_used |= not coder
            imported.spans.append(CodedSpan(document, path, coder or default_coder, start, end, quote, row_number))
    return imported

