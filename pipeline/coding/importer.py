"""`qualflow import-coding FILE`: read a coding file, place its spans in the stored
transcripts, and keep them in the study database.

A file none of whose spans could be placed is refused and nothing is stored: it is nearly always
the wrong file, or documents named unlike the transcripts, and kept it would follow every later
`compare`. Importing the same file again (same bytes) replaces what it imported before, so a re-import
after a new run re-aligns instead of doubling the codings. A corrected file (same name, other
bytes) replaces its earlier imports only when asked (`replace`): two coders' files may share a
tool's default name, so otherwise both are kept and the stats say so. Logs carry counts and
file names only; no coded text is logged or stored.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections import defaultdict
from pathlib import Path

import numpy as np
from qualflow.models import Pseudonym, Replacement, Store, Transcript
from qualflow.models.coding import ManualCode, ManualCoding, ManualCodingImport
from qualflow.models.queries import live_transcripts
from qualflow.pipeline.coding.align import char_alignment, locate_quote, locate_quote_nearly, map_span
from qualflow.pipeline.coding.csv_import import read_coding_table
from qualflow.pipeline.coding.match import StoredTranscript, closest_names, match_documents
from qualflow.pipeline.coding.offsets import choose_convention, converter
from qualflow.pipeline.coding.records import (
    CodedSpan,
    CodePath,
    ImportedCoding,
    is_qualflow_coder,
    stored_path,
)
from qualflow.pipeline.coding.refi import read_project, read_qdpx
from qualflow.pipeline.coding.safety import SafeArchive, parse_xml, read_limited
from qualflow.pipeline.coding.taguette import SQLITE_MAGIC, read_taguette_database
from qualflow.pipeline.deid.typed import TypedRedactor
from qualflow.pipeline.errors import QualflowError
from qualflow.pipeline.persist import load_key_map
from qualflow.pipeline.readers import unreadable
from qualflow.pipeline.report import export_names
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
GOOD_QUALITY = 0.9  # a span counts as well aligned when this share of its characters was found
DEFAULT_CODER = "coder"  # the coder of a file that names none, unless `--coder` says otherwise
CODING_FORMATS = ".csv, .tsv, .xlsx, REFI-QDA .qdpx or .qde, and a Taguette .sqlite3 database"
QDPX_SUFFIXES = (".qdpx", ".zip", "")  # a REFI-QDA project is a zip, renamed by some or stripped of its name
TAGUETTE_SUFFIXES = (".sqlite3", ".sqlite", ".db")


def read_coding_file(path: Path, default_coder: str = DEFAULT_CODER) -> tuple[ImportedCoding, str]:
    """The file's coding and the SHA-256 of its bytes."""
    path = Path(path)
    data = read_limited(path)
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if data.startswith(SQLITE_MAGIC):
        return read_taguette_database(path, default_coder), digest
    if suffix == ".xlsx":  # a zip of XML like any .qdpx: the same bomb and DTD checks first
        SafeArchive(data, path.name, "xlsx")
    if suffix in (".csv", ".tsv", ".xlsx"):
        return read_coding_table(data, path.name, ".xlsx" if suffix == ".xlsx" else ".csv", default_coder), digest
    if suffix == ".qdc":
        raise unreadable(path.name, "a .qdc file holds a codebook but no codings; import the project (.qdpx)")
    if data.startswith(b"PK") and suffix in QDPX_SUFFIXES:
        return read_qdpx(data, path.name, default_coder), digest
    if suffix in (".qde", ".xml"):
        return read_project(parse_xml(data, path.name), path.name, default_coder), digest
    if suffix in QDPX_SUFFIXES or suffix in TAGUETTE_SUFFIXES:
        raise unreadable(path.name, f"not a coding file qualflow reads ({CODING_FORMATS})")
    # A .docx is a zip as a .qdpx is: say it is no coding format, not that it is a broken project.
    raise unreadable(path.name, f"a {suffix} file is not a coding format; qualflow reads {CODING_FORMATS}")


def original_text(session: Session, transcript: Transcript) -> str:
    """The stored text with each placeholder put back to what it replaced: the closest we have
    to the text a human coded when the coding file does not ship it. Kept in memory only."""
    real = {p.placeholder: p.real for p in session.scalars(select(Pseudonym))}
    pieces, position = [], 0
    for replacement in session.scalars(select(Replacement).where(Replacement.transcript_id == transcript.id)
                                       .order_by(Replacement.start)):
        if replacement.start < position:
            continue
        pieces += [transcript.text[position:replacement.start],
                   real.get(replacement.placeholder, replacement.placeholder)]
        position = replacement.end
    pieces.append(transcript.text[position:])
    return "".join(pieces)


def _reading(texts: list[str], spans: list[CodedSpan], unit: str) -> tuple[str, str]:
    """Which text the spans were coded on, and in which offset convention.

    A file that ships no text may have coded the original (names and all) or, like
    qualflow's own exports, the stored de-identified text: the reading under which more
    span ends fall right, or more quotes are found, wins (ties: the first, the original).
    """
    best = None
    for order, text in enumerate(texts):
        convention, score = choose_convention(text, spans, unit)
        score += sum(2 for s in spans if s.start is None and s.quote and locate_quote(s.quote, text))
        if best is None or score > best[0]:
            best = (score, text, convention)
    return best[1], best[2]


def _place_spans(spans: list[CodedSpan], texts: list[str], stored: str, unit: str) -> tuple[list, set[int]]:
    """Each span in the stored text: (start, end, quality), or None; and the indices of the spans whose
    quote was placed where the text differs from it by a few characters (`locate_quote_nearly`)."""
    text, convention = _reading(texts, spans, unit)
    convert = converter(text, convention)
    mapping = char_alignment(text, stored)
    placed, nearly, cursor = [], set(), 0
    for index, span in enumerate(spans):
        start = convert(span.start) if span.start is not None else None
        end = convert(span.end) if span.end is not None else None
        if (start is None or end is None) and span.quote:
            found = locate_quote(span.quote, text, cursor)
            if found is None and (found := locate_quote_nearly(span.quote, text, cursor)):
                nearly.add(index)
            start, end = found if found else (None, None)
        if start is None or end is None or end <= start:
            placed.append(None)
            continue
        cursor = start
        placed.append(map_span(mapping, start, end, stored))
    return placed, nearly


def import_coding(store: Store, path: Path, default_coder: str = DEFAULT_CODER, offset_unit: str | None = None,
                  replace: bool = False) -> dict:
    """Import one coding file into the study; returns the alignment figures.

    `replace`: also replace every earlier import of a file with this file's name (a corrected
    re-export); without it they stay and are counted in "same_name_imports"."""
    path = Path(path)
    if is_qualflow_coder(default_coder):
        raise QualflowError(f'--coder "{default_coder}" is the name of qualflow\'s own codings; give the human '
                            "coder's name")
    imported, digest = read_coding_file(path, default_coder)
    unit = offset_unit or imported.offset_unit
    with store.session() as session:
        # Codings land on each file's live version; replaced versions are history.
        transcripts = list(session.scalars(select(Transcript).where(Transcript.id.in_(live_transcripts()))))
        if not transcripts:
            raise unreadable(path.name, "the study has no transcripts yet; run `qualflow run` on the interviews first")
        spans_by_document: dict[str, list[CodedSpan]] = defaultdict(list)
        for span in imported.spans:
            spans_by_document[span.document].append(span)
        known_text = {name: doc.text or " ".join(s.quote or "" for s in spans_by_document[name])
                      for name, doc in imported.documents.items()}
        exported = export_names(session)
        exported_name = {t.id: exported(t.source_name) for t in transcripts}
        matched = match_documents(known_text, [StoredTranscript(t.id, t.source_name, t.text, exported_name[t.id],
                                                                exported.with_dates(t.source_name))
                                               for t in transcripts])
        by_id = {t.id: t for t in transcripts}

        previous = session.scalar(select(ManualCodingImport).where(ManualCodingImport.file_hash == digest))
        if previous is not None:
            _forget(session, previous.id)
        # Ids and dates first: forgetting expires every loaded record.
        same_name = session.execute(select(ManualCodingImport.id, ManualCodingImport.imported_at)
                                    .where(ManualCodingImport.file_name == path.name)
                                    .order_by(ManualCodingImport.imported_at)).all()
        if replace:
            for earlier_id, _ in same_name:
                _forget(session, earlier_id)
        same_name_dates = [] if replace else [_date(when) for _, when in same_name]
        shared_coder = _sharing_default_coder(session, imported, default_coder)
        record = ManualCodingImport(file_hash=digest, file_name=path.name, file_format=imported.file_format)
        session.add(record)
        session.flush()
        code_ids, renamed = _store_codes(session, record, imported)

        qualities, unmatched, unplaced_rows, nearly_placed = [], [], [], []
        for name, spans in spans_by_document.items():
            transcript = by_id.get(matched[name][0]) if name in matched else None
            if transcript is None:
                unmatched.append(name)
            document_text = imported.documents[name].text if name in imported.documents else None
            if transcript is not None:
                texts = [document_text] if document_text else [original_text(session, transcript), transcript.text]
                placed, nearly = _place_spans(spans, texts, transcript.text, unit)
            else:
                placed, nearly = [None] * len(spans), set()
            for index, (span, where) in enumerate(zip(spans, placed, strict=True)):
                qualities.append(where[2] if where else 0.0)
                if where is None and transcript is not None and span.source_row is not None:
                    unplaced_rows.append(span.source_row)  # its document matched; its text was not found
                if where is not None and index in nearly:
                    nearly_placed.append(span.source_row if span.source_row is not None else f"{name}: {index + 1}")
                session.add(ManualCoding(
                    import_id=record.id, code_id=code_ids[span.code_path], coder=span.coder, document=name,
                    source_start=span.start, source_end=span.end,
                    transcript_id=transcript.id if transcript is not None else None,
                    start=where[0] if where else None, end=where[1] if where else None,
                    quality=where[2] if where else 0.0))
        quality = np.array(qualities) if qualities else np.zeros(0)
        record.stats = {
            "spans": len(imported.spans), "aligned": int((quality > 0).sum()),
            "well_aligned": int((quality >= GOOD_QUALITY).sum()),
            "mean_quality_of_aligned": round(float(quality[quality > 0].mean()), 4) if (quality > 0).any() else 0.0,
            "documents": len(spans_by_document), "documents_matched": len(spans_by_document) - len(unmatched),
            "unmatched_documents": sorted(unmatched),
            "unplaced_rows": sorted(set(unplaced_rows)),
            # Quotes placed where the transcript differs from them by a letter or two (a typo, an edit since):
            # row numbers of a CSV/XLSX, else "document: n", the n-th coded passage of that document.
            "nearly_placed": sorted(set(nearly_placed), key=lambda r: (isinstance(r, str), str(r).zfill(9))),
            "matched_by": {name: how for name, (_, how) in sorted(matched.items())},
            "codes": len(imported.codes), "coders": sorted({s.coder for s in imported.spans}),
            "replaced_previous_import": previous is not None or (replace and bool(same_name)),
            "replaced_same_name_imports": len(same_name) if replace else 0,
            "same_name_imports": len(same_name_dates), "same_name_import_dates": same_name_dates,
            # Earlier files whose codings by `default_coder` now count as the same coder as this file's.
            "default_coder_shared_with": shared_coder,
            # qualflow's own codings (its exports, imported back): kept, so they round-trip, never a coder in compare.
            "qualflow_codings": sum(1 for span in imported.spans if is_qualflow_coder(span.coder)),
            "codes_differing_only_in_case": codes_differing_only_in_case(session, record.id),
            # Code names de-identification changed, as stored (never the originals: stats are stored).
            "code_names_deidentified": renamed,
        }
        # Suggestions show names as exports give them: the stored one may hold a participant's name.
        shown_as: dict[str, str] = {}
        for transcript in transcripts:
            shown = exported_name[transcript.id]
            shown_as |= {transcript.source_name: shown, shown: shown}
        hints = {name: unmatched_hint(name, shown_as) for name in unmatched}
        if record.stats["aligned"] == 0:
            raise QualflowError(_nothing_placed(path.name, record.stats, hints))  # rolls the import back
        stats = dict(record.stats, file=path.name, format=imported.file_format, unmatched_hints=hints)
    log.info("imported %s: %d spans, %d aligned", path.name, stats["spans"], stats["aligned"])
    return stats


def unmatched_hint(document: str, shown_as: dict[str, str], shown: int = 5) -> str:
    """What to say of a coded document no transcript matches: the names most like its own, else
    the study's names (a few). `shown_as`: each name a transcript is known by -> the one to show."""
    close = closest_names(document, shown_as)
    if close:
        return f"closest: {', '.join(repr(name) for name in close)}"
    transcript_names = sorted(set(shown_as.values()))
    listed = ", ".join(repr(name) for name in transcript_names[:shown])
    if len(transcript_names) <= shown:
        return f"the study's transcripts are {listed}"
    return f"none of the study's {len(transcript_names)} transcripts is named like it, e.g. {listed}"


def _nothing_placed(file_name: str, stats: dict, hints: dict[str, str]) -> str:
    """Why no span of a file could be placed, in one line."""
    if stats["spans"] == 0:
        return f"nothing imported from {file_name}: it holds no coded passages (a codebook alone compares with nothing)"
    spans = f"none of its {stats['spans']} coded spans could be placed in a transcript"
    if stats["documents_matched"] == 0 and hints:
        first = stats["unmatched_documents"][0]
        others = len(hints) - 1
        more = f" (nor {others} other document{'s' if others != 1 else ''})" if others else ""
        return (f"nothing imported from {file_name}: {spans}: no transcript matches {first!r}{more}; "
                f"{hints[first]}")
    return (f"nothing imported from {file_name}: {spans}: {stats['documents_matched']} of its documents matched "
            "a transcript, but neither the spans' offsets nor their text fit it (coded on another version of the "
            "file? --offsets chars or bytes says what the offsets count)")


def codes_differing_only_in_case(session: Session, import_id: int) -> list[list[str]]:
    """Code paths of this import equal but for case to another stored one ("Workload", "workload"):
    `compare` takes them for two codes, which a typo in one coder's codebook makes wrong, so the
    import says so."""
    groups: dict[str, set[str]] = defaultdict(set)
    for path in session.scalars(select(ManualCode.path)):
        groups[unicodedata.normalize("NFC", path).casefold()].add(path)
    ours = set(session.scalars(select(ManualCode.path).where(ManualCode.import_id == import_id)))
    return sorted(sorted(paths) for paths in groups.values() if len(paths) > 1 and paths & ours)


def _date(moment) -> str:
    """When an import was made, to the minute, in UTC (stored so; SQLite drops the zone)."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _sharing_default_coder(session: Session, imported: ImportedCoding, default_coder: str) -> list[str]:
    """Names of earlier imported files with codings by `default_coder`, when this file gave that
    name to spans it names no coder for: `compare` would take both files for one coder."""
    if not (imported.default_coder_used and any(s.coder == default_coder for s in imported.spans)):
        return []
    return sorted(set(session.scalars(select(ManualCodingImport.file_name).join(ManualCoding)
                                      .where(ManualCoding.coder == default_coder))))


def list_imports(store: Store) -> list[dict]:
    """Every import kept: id, file name, format, date, coders and spans (no text)."""
    with store.session() as session:
        coders = defaultdict(dict)
        for import_id, coder, spans in session.execute(
                select(ManualCoding.import_id, ManualCoding.coder, func.count(ManualCoding.id))
                .group_by(ManualCoding.import_id, ManualCoding.coder)):
            coders[import_id][coder] = spans
        return [{"id": record.id, "file": record.file_name, "format": record.file_format,
                 "imported_at": _date(record.imported_at), "coders": sorted(coders[record.id]),
                 "spans": sum(coders[record.id].values())}
                for record in session.scalars(select(ManualCodingImport).order_by(ManualCodingImport.id))]


def remove_import(store: Store, import_id: int) -> str | None:
    """Forget one import, codings and codes; the file name it had, or None when there is no such import."""
    with store.session() as session:
        record = session.get(ManualCodingImport, import_id)
        if record is None:
            return None
        name = record.file_name
        _forget(session, import_id)
    log.info("removed coding import %d (%s)", import_id, name)
    return name


def _forget(session: Session, import_id: int) -> None:
    """Remove an earlier import: codings, then codes (children unhooked from their parents
    first), then the import itself."""
    session.execute(delete(ManualCoding).where(ManualCoding.import_id == import_id))
    session.execute(update(ManualCode).where(ManualCode.import_id == import_id).values(parent_id=None))
    session.execute(delete(ManualCode).where(ManualCode.import_id == import_id))
    session.execute(delete(ManualCodingImport).where(ManualCodingImport.id == import_id))
    session.expire_all()


def _store_codes(session: Session, record: ManualCodingImport,
                 imported: ImportedCoding) -> tuple[dict[CodePath, int], list[str]]:
    """Store the codebook; the id of each of the file's code paths, and the stored names that
    de-identification changed (a detector's false alarm in the transcripts renames codes too).

    Names and descriptions are stored as reviewer-typed text is (deid.typed): an NVivo in-vivo
    code is named with a quote, and codes name people. Each name is redacted on its own, so the
    same name gets the same stored name in every import (codes are matched by name); names that
    become equal ("Call 07700 900123", "Call 07700 900456") become one code. Names are stored in
    Unicode NFC, so the same name in NFC and NFD is one code."""
    for span in imported.spans:  # a span whose code the codebook lacks still gets one
        if span.code_path not in imported.codes:
            imported.add_code(span.code_path)
    redact = TypedRedactor(load_key_map(session))
    redacted: dict[str, str] = {}
    renamed: set[str] = set()

    def clean(name: str) -> str:
        if name not in redacted:
            # One code whichever tool wrote it: "É" as one character (NFC) or as "E" + accent (NFD).
            name_nfc = unicodedata.normalize("NFC", name)
            redacted[name] = redact(name_nfc).strip() or name_nfc
            if redacted[name] != name_nfc:
                renamed.add(redacted[name])
        return redacted[name]

    ids: dict[CodePath, int] = {}
    stored: dict[CodePath, ManualCode] = {}
    # Parents first: sorting by depth suffices.
    for info in sorted(imported.codes.values(), key=lambda c: (len(c.path), c.path)):
        path = tuple(clean(name) for name in info.path)
        description = redact(info.description) if info.description else None
        code = stored.get(path)
        if code is None:
            code = ManualCode(import_id=record.id, name=path[-1], path=stored_path(path),
                              parent_id=ids.get(info.parent_path) if info.parent_path else None,
                              description=description)
            session.add(code)
            session.flush()
            stored[path] = code
        elif description and not code.description:
            code.description = description
        ids[info.path] = code.id
    return ids, sorted(renamed)
