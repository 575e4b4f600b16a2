"""qualflow's themes as a REFI-QDA project (.qdpx) or codebook (.qdc), for NVivo, ATLAS.ti,
MAXQDA, QualCoder and Taguette.

- Sources are the stored, de-identified transcripts (`sources/<guid>.txt`, UTF-8, `\\n`), with the
  header's values replaced (`exported_source`): an interview's date, time or place is no name, so
  de-identification keeps it, and it can single out the interview. Positions are code points into
  the exported text, as qualflow counts (a character beyond the BMP is one position, where a
  UTF-16 tool would count two), each shifted past the replaced values.
- Themes are parent codes that cannot be coded (`isCodable="false"`), subcategories are the
  codes under them; each statement's place is a PlainTextSelection coded with its subcategory.
- Every coding is made by the User "qualflow", so a tool's coder comparison can set qualflow
  against the team's own users. With `include_manual`, imported human codings go in too,
  each under its coder's User and its own codebook branch.
- Reviewers' memos become Notes, referenced from their theme or statement.

GUIDs are derived from stable ids (uuid5), so exporting twice gives the same project and a
re-import into a QDA tool updates rather than duplicates. Every export is validated against
the REFI-QDA schema before it is written.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from xml.etree.ElementTree import Element, SubElement, tostring

from qualflow.models import Statement, Transcript, Turn
from qualflow.models import records as model_records
from qualflow.models.coding import ManualCode, ManualCoding
from qualflow.models.queries import current_themes, live_transcripts
from qualflow.pipeline.coding.records import (
    GUID_NAMESPACE,
    QUALFLOW_CODER,
    QUALFLOW_USER_GUID,
)
from qualflow.pipeline.deid.replace import OffsetMap, apply_replacements
from qualflow.pipeline.report import assignment_rows, export_names
from qualflow.pipeline.turns import HEADER_LINE, header_key
from sqlalchemy import select
from sqlalchemy.orm import Session

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_GUIDS = GUID_NAMESPACE
HIDDEN_STATUSES = {"rejected", "merged", "withdrawn"}


# Header values kept, each only in its expected form: a participant's or interviewer's respondent code or
# placeholder (ingest de-identified them), so a QDA tool still shows whose interview a source is, and a
# language tag. Every other header value (date, time, place, site, duration) is replaced, as is a header
# comment that is no `key: value` line ("# Ward 7, 3 March 2024").
_PERSON_VALUE = re.compile(r"[A-Za-z]{0,12}[\s_\-#.]?\d{1,10}[A-Za-z]?|(?:\[[A-Z]+_\d+\](?:-\d+)?[\s,;、，]*)+")
KEPT_HEADER_VALUES = {"participant": _PERSON_VALUE, "interviewer": _PERSON_VALUE,
                      "language": re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?")}
_DATE_KEY = re.compile(r"date|time|day|日期|时间|時間|日子")
DATE_PLACEHOLDER, REMOVED_PLACEHOLDER = "[DATE]", "[REMOVED]"


class ExportInvalid(RuntimeError):
    """An export failed the REFI-QDA schema: a bug in qualflow, never the user's input."""


def guid(*parts) -> str:
    return str(uuid.uuid5(_GUIDS, ":".join(map(str, parts))))


@cache
def schema(name: str):
    import xmlschema

    with resources.as_file(resources.files("qualflow.pipeline.coding") / "schemas" / name) as path:
        return xmlschema.XMLSchema(str(path))


def validate(xml: bytes, name: str) -> None:
    errors = list(schema(name).iter_errors(xml.decode("utf-8")))
    if errors:
        raise ExportInvalid(f"export does not validate against {name}: {errors[0].reason}")


def _codebook(parent: Element, session: Session, study: str, coded: set[str] = frozenset()) -> dict[str, str]:
    """Themes and their subcategories as Code elements; returns codable code -> guid.

    Themes cannot be coded, except one a reviewer placed statements in directly (`coded`):
    it must be codable for those codings to exist in the project."""
    themes = [t for t in current_themes(session) if t.status not in HIDDEN_STATUSES]
    by_parent: dict[int | None, list] = {}
    for theme in themes:
        by_parent.setdefault(theme.parent_id if theme.level == "subcategory" else None, []).append(theme)
    codes = SubElement(parent, "Codes")
    guids = {}
    if not themes:
        raise ExportInvalid("no themes to export")
    for theme in by_parent.get(None, []):
        element = _code(codes, theme, study, codable=theme.code in coded)
        if theme.code in coded:
            guids[theme.code] = guid(study, "theme", theme.id)
        for sub in by_parent.get(theme.id, []):
            _code(element, sub, study, codable=True)
            guids[sub.code] = guid(study, "theme", sub.id)
    return guids


def _code(parent: Element, theme, study: str, codable: bool) -> Element:
    element = SubElement(parent, "Code", guid=guid(study, "theme", theme.id), name=f"{theme.code} {theme.label}",
                         isCodable="true" if codable else "false")
    words = ", ".join(theme.keywords or [])
    description = getattr(theme, "description", None) or (f"Keywords: {words}" if words else "")
    if description:
        SubElement(element, "Description").text = description
    return element


def _manual_codebook(codes: Element, session: Session, study: str) -> dict[int, str]:
    guids = {}
    root = SubElement(codes, "Code", guid=guid(study, "manual"), name="Imported manual coding", isCodable="false")
    elements = {}
    for code in session.scalars(select(ManualCode).order_by(ManualCode.import_id, ManualCode.path)):
        parent = elements.get(code.parent_id, root)
        elements[code.id] = SubElement(parent, "Code", guid=guid(study, "manual-code", code.id), name=code.name,
                                       isCodable="true")
        guids[code.id] = guid(study, "manual-code", code.id)
    return guids


def project_xml(session: Session, include_manual: bool = False) -> tuple[bytes, dict[str, str]]:
    """project.qde and the sources it points to (member name -> de-identified text)."""
    study = "qualflow"
    qualflow_user = QUALFLOW_USER_GUID  # import-coding recognises it: qualflow's codings are not a coder's
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    project = Element("Project", xmlns=PROJECT_NS, name="qualflow study", origin="qualflow",
                      creatingUserGUID=qualflow_user, creationDateTime=now)
    users = SubElement(project, "Users")
    SubElement(users, "User", guid=qualflow_user, name=QUALFLOW_CODER)
    codebook = SubElement(project, "CodeBook")
    all_rows = assignment_rows(session)
    code_guids = _codebook(codebook, session, study, {r["theme_id"] for r in all_rows if not r["parent_theme_id"]})
    # Codings aligned to a replaced transcript version stay out: re-importing the file puts them on the live one.
    manual = list(session.scalars(select(ManualCoding).where(
        ManualCoding.start.is_not(None), ManualCoding.transcript_id.in_(live_transcripts())))) if include_manual \
        else []
    manual_guids = _manual_codebook(codebook.find("Codes"), session, study) if manual else {}
    for coder in sorted({m.coder for m in manual}):
        SubElement(users, "User", guid=guid(study, "user", "human", coder), name=coder)

    rows = [r for r in all_rows if r["theme_id"] in code_guids]
    statements = {s.id: s for s in session.scalars(select(Statement).where(
        Statement.id.in_([r["statement_id"] for r in rows])))}
    # Only memos on what the project holds: a memo on a rejected or merged theme, on one of an older
    # run, or on a statement left out would be a note about something the project does not contain.
    code_elements = {code.get("guid") for code in codebook.iter("Code")}
    exported_themes = {t.id for t in current_themes(session) if guid(study, "theme", t.id) in code_elements}
    exported_statements = {r["statement_id"] for r in rows}
    memos = {key: items for key, items in _memos(session).items()
             if (key[0] == "theme" and key[1] in exported_themes)
             or (key[0] == "statement" and key[1] in exported_statements)}
    sources = SubElement(project, "Sources")
    export_name = export_names(session)
    files: dict[str, str] = {}
    transcript_ids = sorted({s.transcript_id for s in statements.values()} | {m.transcript_id for m in manual})
    turn_spans: dict[int, list[tuple[int, int]]] = {}
    for transcript_id, start, end in session.execute(select(Turn.transcript_id, Turn.start, Turn.end).where(
            Turn.transcript_id.in_(transcript_ids))):
        turn_spans.setdefault(transcript_id, []).append((start, end))
    for transcript in session.scalars(select(Transcript).where(Transcript.id.in_(transcript_ids))
                                      .order_by(Transcript.id)):
        source_guid = guid(study, "source", transcript.content_hash)
        source = SubElement(sources, "TextSource", guid=source_guid, name=export_name(transcript.source_name),
                            plainTextPath=f"internal://{source_guid}.txt", creatingUser=qualflow_user)
        text, moved = exported_source(transcript.text, turn_spans.get(transcript.id, []))
        files[f"sources/{source_guid}.txt"] = text
        # Every position moves past the replaced header values, so a selection still covers its words.
        selections = [(moved.start(statements[r["statement_id"]].start), moved.end(statements[r["statement_id"]].end),
                       "qf", r) for r in rows if statements[r["statement_id"]].transcript_id == transcript.id]
        selections += [(moved.start(m.start), moved.end(m.end), "human", m) for m in manual
                       if m.transcript_id == transcript.id]
        for start, end, kind, item in sorted(selections, key=lambda s: (s[0], s[1], s[2])):
            if kind == "qf":
                user, target, key = qualflow_user, code_guids[item["theme_id"]], ("statement", item["statement_id"])
            else:
                user, target, key = guid(study, "user", "human", item.coder), manual_guids[item.code_id], \
                    ("manual", item.id)
            selection = SubElement(source, "PlainTextSelection", guid=guid(study, "selection", *key),
                                   name=f"{key[0]} {key[1]}", startPosition=str(start), endPosition=str(end),
                                   creatingUser=user)
            coding = SubElement(selection, "Coding", guid=guid(study, "coding", *key), creatingUser=user)
            SubElement(coding, "CodeRef", targetGUID=target)
            if kind == "qf":
                for memo in memos.get(("statement", item["statement_id"]), []):
                    SubElement(selection, "NoteRef", targetGUID=guid(study, "memo", memo.id))
    if not len(sources):  # the schema wants at least one source in <Sources>
        project.remove(sources)
    _notes(project, codebook, memos, study, qualflow_user)
    xml = b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(project, encoding="utf-8", xml_declaration=False)
    validate(xml, "Project.xsd")
    return xml, files


def exported_source(text: str, turns: list[tuple[int, int]]) -> tuple[str, OffsetMap]:
    """A transcript's text as the project ships it, and the map of its positions into that text.

    The header is the `#` lines the turn parser read as no one's words: before the first speaker label,
    inside no turn. Each keeps its key (`# date: [DATE]`) so the file still reads as a transcript; its value
    is replaced unless `KEPT_HEADER_VALUES` keeps it. The statements lie in turns, so none of them moves
    but as a whole; a coder's span over a header value comes to cover its placeholder."""
    replacements, offset = [], 0
    for line in text.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        if not line.lstrip().startswith("#") or any(s < end and start < e for s, e in turns):
            continue
        match = HEADER_LINE.match(line)
        if match is None:  # a comment, "# Ward 7, 3 March 2024": all of it after the "#"
            words = line.split("#", 1)[1].strip()
            if words:
                at = start + line.index(words, line.index("#"))
                replacements.append((at, at + len(words), REMOVED_PLACEHOLDER))
            continue
        key, value = header_key(match.group("key")), match.group("value")
        if not value or (key in KEPT_HEADER_VALUES and KEPT_HEADER_VALUES[key].fullmatch(value)):
            continue
        replacements.append((start + match.start("value"), start + match.end("value"),
                             DATE_PLACEHOLDER if _DATE_KEY.search(key) else REMOVED_PLACEHOLDER))
    return apply_replacements(text, replacements)


def _memos(session: Session) -> dict[tuple[str, int], list]:
    """Live memos by what they are about; none when this study's schema has no memo table."""
    memo_record = getattr(model_records, "Memo", None)
    if memo_record is None:
        return {}
    found: dict[tuple[str, int], list] = {}
    # A memo on a replaced transcript version was copied onto the live version's statement.
    replaced = set(session.scalars(select(Statement.id).where(Statement.transcript_id.not_in(live_transcripts()))))
    for memo in session.scalars(select(memo_record)):
        if getattr(memo, "withdrawn", False) or not getattr(memo, "text", None):
            continue
        if getattr(memo, "statement_id", None) in replaced:
            continue
        if getattr(memo, "statement_id", None):
            found.setdefault(("statement", memo.statement_id), []).append(memo)
        elif getattr(memo, "theme_id", None):
            found.setdefault(("theme", memo.theme_id), []).append(memo)
    return found


def _notes(project: Element, codebook: Element, memos: dict, study: str, user: str) -> None:
    if not memos:
        return
    notes = Element("Notes")
    for (kind, target), items in sorted(memos.items()):
        for memo in items:
            note = SubElement(notes, "Note", guid=guid(study, "memo", memo.id),
                              name=f"memo on {kind} {target} by {getattr(memo, 'reviewer', 'reviewer')}",
                              creatingUser=user)
            SubElement(note, "PlainTextContent").text = memo.text
            if kind == "theme":  # NoteRef goes after Description and before child codes
                code = codebook.find(f".//Code[@guid='{guid(study, 'theme', target)}']")
                if code is not None:
                    ref = Element("NoteRef", targetGUID=guid(study, "memo", memo.id))
                    code.insert(1 if code.find("Description") is not None else 0, ref)
    # Notes come right after Users, CodeBook and Sources in the schema's sequence.
    earlier = [child for child in project if child.tag in ("Users", "CodeBook", "Sources")]
    project.insert(list(project).index(earlier[-1]) + 1, notes)


def qdpx_bytes(session: Session, include_manual: bool = False) -> bytes:
    xml, files = project_xml(session, include_manual)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml)
        for member, text in files.items():
            archive.writestr(member, text.encode("utf-8"))
    return buffer.getvalue()


def qdc_bytes(session: Session) -> bytes:
    book = Element("CodeBook", xmlns=CODEBOOK_NS, origin="qualflow")
    _codebook(book, session, "qualflow")
    xml = b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(book, encoding="utf-8", xml_declaration=False)
    validate(xml, "Codebook.xsd")
    return xml
