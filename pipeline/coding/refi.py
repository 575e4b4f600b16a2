"""REFI-QDA projects (.qdpx: a zip of project.qde and sources/) as NVivo, ATLAS.ti, MAXQDA,
QualCoder and qc export them.

What differs between tools, and is handled here:

- `plainTextPath` is `internal://<guid>.txt` (the standard), a bare `board_2017.txt` (qc),
  or a path with folders; the text is looked up under `sources/`, then as written, then by
  its file name. `PlainTextContent` inline is read too.
- The XML may start with a BOM or blank lines; sources may be UTF-8 with or without BOM.
- Positions count characters, but CRLF may count as one or two: the text is kept exactly
  as shipped and offsets.py decides.
- A `Coding` directly under a `TextSource` codes the whole document.
- The coder is the `creatingUser` of the Coding, else of the selection, resolved to the
  User's name; qualflow's own User GUID (its `export qdpx`) always resolves to "qualflow",
  whose codings `compare` never takes for a human coder's.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

from qualflow.pipeline.coding.csv_import import MAX_OFFSET
from qualflow.pipeline.coding.records import (
    QUALFLOW_CODER,
    QUALFLOW_USER_GUID,
    UNNAMED,
    CodedSpan,
    CodePath,
    ImportedCoding,
    SourceDocument,
)
from qualflow.pipeline.coding.safety import SafeArchive, parse_xml
from qualflow.pipeline.readers import decode_bytes, unreadable

NS = "urn:QDA-XML:project:1.0"
Q = f"{{{NS}}}"


def read_qdpx(data: bytes, name: str, default_coder: str) -> ImportedCoding:
    archive = SafeArchive(data, name, "qdpx")
    project_member = next((m for m in archive.names() if m.casefold().endswith(".qde")), None)
    if project_member is None:
        raise unreadable(name, "not a REFI-QDA project (no project.qde inside)")
    root = parse_xml(archive.read(project_member), name)
    return read_project(root, name, default_coder, archive)


def read_project(root: Element, name: str, default_coder: str, archive: SafeArchive | None = None) -> ImportedCoding:
    if root.tag != f"{Q}Project":
        raise unreadable(name, f"not a REFI-QDA project (root element {root.tag.split('}')[-1]!r})")
    imported = ImportedCoding(file_format="qdpx", offset_unit="chars")
    users = {u.get("guid", "").strip("{}").lower(): (u.get("name") or u.get("id") or "unknown")
             for u in root.iter(f"{Q}User")}
    # qualflow's own user, by GUID: a QDA tool may show it under another name, it is still qualflow.
    users[QUALFLOW_USER_GUID] = QUALFLOW_CODER
    code_paths: dict[str, CodePath] = {}
    codebook = root.find(f"{Q}CodeBook/{Q}Codes")
    if codebook is not None:
        _read_codes(codebook, (), code_paths, imported)

    def coder_of(*elements: Element) -> str:
        for element in elements:
            guid = (element.get("creatingUser") or "").strip("{}").lower()
            if guid:
                return users.get(guid, guid)
        imported.default_coder_used = True
        return default_coder

    sources = root.find(f"{Q}Sources")
    for source in (sources.findall(f"{Q}TextSource") if sources is not None else []):
        document = _unique_name(source, imported)
        text = _source_text(source, archive, name)
        imported.documents[document] = SourceDocument(document, text)
        for selection in source.findall(f"{Q}PlainTextSelection"):
            start, end = _int(selection.get("startPosition")), _int(selection.get("endPosition"))
            for coding in selection.findall(f"{Q}Coding"):
                path = _code_of(coding, code_paths)
                if path and start is not None and end is not None:
                    imported.spans.append(CodedSpan(document, path, coder_of(coding, selection), start, end))
        for coding in source.findall(f"{Q}Coding"):  # the whole document
            path = _code_of(coding, code_paths)
            if path and text:
                imported.spans.append(CodedSpan(document, path, coder_of(coding, source), 0, len(text)))
    return imported


def _read_codes(parent: Element, parent_path: CodePath, code_paths: dict, imported: ImportedCoding) -> None:
    for code in parent.findall(f"{Q}Code"):
        name = (code.get("name") or "").strip() or UNNAMED  # one name, "/" and all
        description = (code.findtext(f"{Q}Description") or "").strip() or None
        path = imported.add_code((*parent_path, name), description)
        code_paths[(code.get("guid") or "").strip("{}").lower()] = path
        _read_codes(code, path, code_paths, imported)


def _code_of(coding: Element, code_paths: dict) -> CodePath | None:
    ref = coding.find(f"{Q}CodeRef")
    return code_paths.get((ref.get("targetGUID") or "").strip("{}").lower()) if ref is not None else None


def _int(value: str | None) -> int | None:
    """A position, or None (the selection is left out) when it is none a document can have."""
    try:
        number = int(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number <= MAX_OFFSET else None


def _unique_name(source: Element, imported: ImportedCoding) -> str:
    name = source.get("name") or PurePosixPath((source.get("plainTextPath") or "").split("://")[-1]).name
    name = name or source.get("guid", "source")
    return name if name not in imported.documents else f"{name} ({source.get('guid')})"


def _source_text(source: Element, archive: SafeArchive | None, name: str) -> str | None:
    inline = source.findtext(f"{Q}PlainTextContent")
    if inline:
        return inline
    path = source.get("plainTextPath")
    if not path or archive is None:
        return None
    scheme, _, rest = path.partition("://")
    if not rest:  # a plain path, no scheme
        rest, scheme = path, ""
    elif scheme.lower() != "internal":
        return None  # absolute:// or relative:// point outside the project: not read
    rest = rest.replace("\\", "/").lstrip("/")
    for candidate in (f"sources/{rest}", rest, f"sources/{PurePosixPath(rest).name}"):
        member = archive.find(candidate)
        if member is not None:
            data = archive.read(member)
            if not data.strip():
                return None  # NVivo ships empty .txt files beside its .docx sources
            text = data.decode("utf-8-sig") if _is_utf8(data) else decode_bytes(data, name)
            return text.lstrip("\ufeff")
    return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
