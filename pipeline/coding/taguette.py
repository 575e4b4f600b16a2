"""Taguette's project database (.sqlite3), as Taguette's "export project" writes it.

Taguette keeps each document as HTML (`documents.contents`) and each highlight as
`start_offset/end_offset` in UTF-8 BYTES into that HTML's text with the tags stripped and
entities unescaped. So the document text here is exactly that, and the offsets stay
bytes (offsets.py converts them). Tags may be nested by `parent_id` in newer versions.

The file is opened read-only and immutable: SQLite neither writes to it nor creates a
journal beside it. (Taguette's highlight CSV/XLSX exports go through csv_import.py.)
"""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path

from qualflow.pipeline.coding.records import PATH_SEPARATOR, CodedSpan, ImportedCoding, SourceDocument
from qualflow.pipeline.coding.safety import MAX_FILE_MB, read_limited
from qualflow.pipeline.readers import unreadable

SQLITE_MAGIC = b"SQLite format 3\x00"
_TAG = re.compile(r"<[^>]*>")
_NEEDED = {"documents", "highlights", "tags", "highlight_tags"}


def document_text(contents: str) -> str:
    return html.unescape(_TAG.sub("", contents))


def read_taguette_database(path: Path, default_coder: str) -> ImportedCoding:
    path = Path(path)
    head = read_limited(path, MAX_FILE_MB)[:16]
    if head != SQLITE_MAGIC:
        raise unreadable(path.name, "not a SQLite database (a Taguette project export is one)")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as error:
        raise unreadable(path.name, f"cannot open the database ({type(error).__name__})") from None
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not _NEEDED <= tables:
            raise unreadable(path.name, f"not a Taguette project database (no {', '.join(sorted(_NEEDED - tables))} "
                                        "table)")
        return _read(connection, default_coder)
    except sqlite3.Error as error:
        raise unreadable(path.name, f"not a readable Taguette database ({type(error).__name__})") from None
    finally:
        connection.close()


def _read(connection: sqlite3.Connection, default_coder: str) -> ImportedCoding:
    imported = ImportedCoding(file_format="taguette", offset_unit="bytes")
    members = []
    if "project_members" in {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}:
        members = [row[0] for row in connection.execute("SELECT user_login FROM project_members")]
    coder = members[0] if len(members) == 1 else default_coder
    imported.default_coder_used = len(members) != 1
    documents = {}
    for doc_id, name, contents in connection.execute("SELECT id, name, contents FROM documents ORDER BY id"):
        documents[doc_id] = name
        imported.documents[name] = SourceDocument(name, document_text(contents))
    columns = {row[1] for row in connection.execute("PRAGMA table_info(tags)")}
    rows = connection.execute(
        f"SELECT id, path, description, {'parent_id' if 'parent_id' in columns else 'NULL'} FROM tags").fetchall()
    by_id = {tag_id: (tag_path, description, parent) for tag_id, tag_path, description, parent in rows}

    def full_path(tag_id: int, seen: frozenset = frozenset()) -> str:
        tag_path, _, parent = by_id[tag_id]
        if parent in by_id and parent not in seen:
            return full_path(parent, seen | {tag_id}) + PATH_SEPARATOR + tag_path
        return tag_path

    paths = {tag_id: full_path(tag_id) for tag_id in by_id}
    for tag_id, (_, description, _) in by_id.items():
        imported.add_code(paths[tag_id], description or None)
    for document_id, start, end, tag_id in connection.execute(
            "SELECT h.document_id, h.start_offset, h.end_offset, ht.tag_id FROM highlights h "
            "JOIN highlight_tags ht ON ht.highlight_id = h.id ORDER BY h.document_id, h.start_offset, h.id"):
        if document_id in documents and tag_id in paths:
            imported.spans.append(CodedSpan(documents[document_id], paths[tag_id], coder, start, end))
    return imported
