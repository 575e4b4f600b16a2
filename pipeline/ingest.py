"""Reading interview files into normalised text.

Stored text is NFC-normalised with `\\n` line endings; every offset qualflow keeps counts
Unicode code points in that text. A file is identified by the SHA-256 of it, so the
same interview under two names, or read twice, is one transcript.

Prose formats (.txt, .md, .docx, .odt, .rtf) become text with one paragraph per line; their
turns are found later from speaker labels. Formats that say who speaks (.vtt, .srt, .csv,
.xlsx) also keep those turns as `Document.source_turns`, and their text is written as one
`Speaker: words` line per turn so label-based parsing reads them the same way.
The per-format readers live in `qualflow.pipeline.readers`.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qualflow.pipeline.readers import (
    RawTurn,
    check_archive,
    decode_bytes,
    read_csv,
    read_docx,
    read_odt,
    read_rtf,
    read_srt,
    read_vtt,
    read_xlsx,
    unreadable,
)

__all__ = ["Document", "SourceTurn", "broken_link", "content_hash", "decode_bytes", "discover", "normalise_text",
           "read_document"]


@dataclass(frozen=True)
class SourceTurn:
    speaker: str | None  # as written in the source ("Interviewer", "P3", "Mary Smith"); None if it has none
    start: int  # code-point offsets of the turn's WORDS in Document.text (speaker label not included)
    end: int
    # e.g. {"start_time": "00:01:02.000", "end_time": "00:01:05.500"}. Left out of the hash
    # (a dict is unhashable) so turns and documents stay hashable like other frozen records.
    meta: dict = field(hash=False)


@dataclass(frozen=True)
class Document:
    source_name: str
    text: str  # NFC, "\n" line ends, no BOM
    content_hash: str  # sha256 of text (utf-8)
    format: str  # "txt" | "md" | "docx" | "odt" | "rtf" | "vtt" | "srt" | "csv" | "xlsx"
    source_turns: tuple[SourceTurn, ...] | None = None  # only for vtt, srt, csv, xlsx


# extension -> (format, reader). Prose readers return str, turn readers list[RawTurn].
_PROSE = {
    ".txt": ("txt", decode_bytes),
    ".md": ("md", decode_bytes),
    ".docx": ("docx", read_docx),
    ".odt": ("odt", read_odt),
    ".rtf": ("rtf", read_rtf),
}
_TURNS = {
    ".vtt": ("vtt", read_vtt),
    ".srt": ("srt", read_srt),
    ".csv": ("csv", read_csv),
    ".xlsx": ("xlsx", read_xlsx),
}
_ZIP_BASED = {".docx", ".odt", ".xlsx"}
UNIT_EXTENSIONS = [".csv", ".xlsx"]  # what `qualflow run --units` reads
# Common formats a transcript may come in that qualflow does not read, and what to save them as. Any
# other unknown extension is still read as plain text, as it always was; these are not text: they failed
# as "binary", which does not say what to do, or a text file of that name was taken in.
NOT_READ = {
    ".pdf": ".docx or .txt", ".doc": ".docx", ".pages": ".docx", ".xls": ".xlsx or .csv",
    ".ppt": ".docx or .txt", ".pptx": ".docx or .txt",
}


def type_not_read(path: Path) -> str | None:
    """Why a file of this type is not read, and what to do, or None when it may be read."""
    suffix = Path(path).suffix.lower()
    if suffix not in NOT_READ:
        return None
    return f"{suffix} files are not read by qualflow: save the transcript as {NOT_READ[suffix]} and run again"


def normalise_text(raw: str) -> str:
    text = raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_document(path: Path, max_file_mb: float = 20.0, max_unpacked_mb: float = 200.0,
                  name: str | None = None) -> Document:
    """Read one transcript file, stored under `name` (default: the file's name; see `source_name`).
    Raises UnreadableFile with a one-line reason."""
    path = Path(path)
    name = name or path.name
    limit = max_file_mb * 1024 * 1024
    try:
        size = path.stat().st_size
        if size > limit:
            raise _too_big(name, size, max_file_mb)
        data = path.read_bytes()
    except OSError as error:
        raise unreadable(name, f"cannot read ({error.strerror or type(error).__name__})") from None
    if len(data) > limit:  # the file grew between stat and read
        raise _too_big(name, len(data), max_file_mb)
    if not data.strip():
        raise unreadable(name, "the file is empty")

    if type_not_read(path):
        raise unreadable(name, type_not_read(path))
    suffix = path.suffix.lower()
    if suffix in _ZIP_BASED:
        check_archive(data, name, suffix[1:], max_unpacked_mb)
    if suffix in _TURNS:
        format_name, read_turns = _TURNS[suffix]
        text, turns = _join_turns(read_turns(data, name))
    else:
        # Other unknown extensions are read as plain text, as before; binary ones fail in decoding.
        format_name, read_prose = _PROSE.get(suffix, ("txt", decode_bytes))
        text, turns = normalise_text(read_prose(data, name)), None
    if not text.strip():
        raise unreadable(name, "the file is empty")
    return Document(source_name=name, text=text, content_hash=content_hash(text), format=format_name,
                    source_turns=turns)


def _join_turns(raw_turns: list[RawTurn]) -> tuple[str, tuple[SourceTurn, ...]]:
    """Write turns as `Speaker: words` lines, recording where each turn's words are.

    Each piece is normalised BEFORE its offsets are taken, so text[start:end] == words holds
    exactly. Joining NFC pieces with ": " and "\\n" keeps the whole NFC, because NFC never
    combines across a space or a line break.
    """
    lines: list[str] = []
    turns: list[SourceTurn] = []
    position = 0
    for raw in raw_turns:
        words = normalise_text(raw.words).strip()
        if not words:
            continue
        speaker = " ".join(normalise_text(raw.speaker).split()) if raw.speaker else ""
        prefix = f"{speaker}: " if speaker else ""
        if lines:
            position += 1  # the "\n" before this line
        start = position + len(prefix)
        position = start + len(words)
        lines.append(prefix + words)
        turns.append(SourceTurn(speaker=speaker or None, start=start, end=position, meta=dict(raw.meta)))
    return "\n".join(lines), tuple(turns)


_MB = 1024 * 1024  # ingest.max_file_mb counts MB of 1,048,576 bytes, and so do the messages


def _too_big(name: str, size: int, max_file_mb: float):
    """The error for a file over ingest.max_file_mb, in one unit and precise enough that the size shown is
    visibly over the limit: in bytes under a limit below 1 MB, else in MB with as many decimals as needed."""
    limit = int(max_file_mb * _MB)
    if limit < _MB:
        return unreadable(name, f"{size:,} bytes is over the {limit:,} byte limit "
                                f"(ingest.max_file_mb = {max_file_mb:g} MB of 1,048,576 bytes)")
    digits = 1
    while digits < 6 and round(size / _MB, digits) <= max_file_mb:
        digits += 1
    return unreadable(name, f"{size / _MB:.{digits}f} MB is over the {max_file_mb:g} MB limit "
                            f"(ingest.max_file_mb; 1 MB = 1,048,576 bytes)")


def discover(source: Path, extensions: list[str], skip: Path | None = None,
             unreadable_folder: Callable[[Path, str], None] | None = None,
             other_type: Callable[[Path], None] | None = None) -> list[Path]:
    """The transcript files under `source` (a file or a folder), in a stable order, leaving out
    anything under `skip`: the study's own data folder, when it lies inside the source, holds
    qualflow's report and its quarantined copies, which must not come back as interviews.
    A link whose target is missing is kept (is_file() is False for it), so the run can name it
    instead of dropping it without a word: see `broken_link`. So is a folder that cannot be listed
    (no permission, removed meanwhile): `unreadable_folder(folder, reason)` is told of it and the
    search goes on; without that callback, its OSError is raised. A file left out only for its type
    (a PDF beside the transcripts) goes to `other_type`, so the run can say so: a researcher who keeps
    .doc or .pdf interviews in the folder would otherwise lose them without a word. Hidden files and
    folders, Office lock files, README.md and the system's own files are not interviews: not reported."""
    source = Path(source)
    if source.is_file():
        return [source]
    wanted = {extension.lower() for extension in extensions}
    skip = skip.resolve() if skip is not None else None

    def not_listed(error: OSError) -> None:
        if unreadable_folder is None:
            raise error
        unreadable_folder(Path(error.filename), error.strerror or type(error).__name__)

    found = []
    for path in _files_below(source, not_listed):
        if not (path.is_file() or path.is_symlink()) or _not_an_interview(path):
            continue
        if skip is not None and skip in path.resolve().parents:
            continue
        if path.suffix.lower() in wanted:
            found.append(path)
        elif other_type is not None and not _in_hidden_folder(path, source):  # .git, .Trash: not the user's files
            other_type(path)
    return sorted(found)


_SYSTEM_FILES = {"thumbs.db", "desktop.ini"}  # Windows' own files in a shared folder


def _not_an_interview(path: Path) -> bool:
    """Files no one means as a transcript: hidden ones, Office's `~$` lock files, a folder's README.md
    and the system's own files."""
    return path.name.startswith((".", "~$")) or path.name.lower() in {"readme.md", *_SYSTEM_FILES}


def _in_hidden_folder(path: Path, source: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(source).parts[:-1])


# File types named when a run skips files of them. Any other ending is shown as "other": what follows a
# dot in a file name may be a name ("interview Mary.Smith"), and the run's record goes to Prefect.
_NAMED_TYPES = {*NOT_READ, *_PROSE, *_TURNS, ".odp", ".ods", ".key", ".numbers", ".docm", ".dotx", ".xlsm", ".tsv",
                ".json", ".xml", ".html", ".htm", ".log", ".zip", ".7z", ".rar", ".png", ".jpg", ".jpeg", ".gif",
                ".heic", ".tif", ".tiff", ".mp3", ".m4a", ".wav", ".ogg", ".mp4", ".mov", ".msg", ".eml", ".epub"}


def type_label(path: Path) -> str:
    """What a skipped file's type is called in the run's summary: ".pdf", "no extension" or "other"."""
    suffix = Path(path).suffix.lower()
    return suffix if suffix in _NAMED_TYPES else "other" if suffix else "no extension"


def other_types_line(counts: dict[str, int], reader: str = "qualflow") -> str:
    """"2 files of types qualflow does not read (.doc, .pdf)", from `discover`'s other_type files counted
    by `type_label`. `reader` is what does not read them (`--units` reads only tables)."""
    files = sum(counts.values())
    types = ", ".join(sorted(counts))
    return f"{files} file of a type {reader} does not read ({types})" if files == 1 \
        else f"{files} files of types {reader} does not read ({types})"


def _files_below(folder: Path, not_listed: Callable[[OSError], None]):
    """Every file under `folder`, following links to folders (Path.rglob does not, so the interviews
    in a linked folder were left out without a word), each real folder once, so a link back up
    cannot loop. A folder that cannot be listed goes to `not_listed` (os.walk would skip it silently)."""
    seen: set[str] = set()
    for root, folders, files in os.walk(folder, onerror=not_listed, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            folders[:] = []
            continue
        seen.add(real)
        folders.sort()
        yield from (Path(root) / name for name in files)


def broken_link(path: Path) -> str | None:
    """Why `path`, a symbolic link, cannot be read through ("a link to …, which does not exist"),
    or None when it can or is no link. Such a file is reported but not quarantined: there is
    nothing to copy."""
    path = Path(path)
    if not path.is_symlink():
        return None
    target = os.readlink(path)
    try:
        os.stat(path)  # follows the whole chain of links
    except FileNotFoundError:
        return f"a link to {target}, which does not exist"
    except OSError as error:  # a loop of links, a folder on the way that cannot be entered
        return f"a link to {target}, which cannot be followed ({error.strerror or type(error).__name__})"
    if not path.is_file():
        return f"a link to {target}, which is not a file"
    if not os.access(path, os.R_OK):
        return f"a link to {target}, which cannot be read (permission denied)"
    return None


def source_name(path: Path, source: Path) -> str:
    """What a file is known by in the study: its path below the folder given to `qualflow run`
    ("site_a/interview.txt"), so two files of one name in different folders stay two transcripts
    (by bare name, each would be taken for a new version of the other). A file given on its own,
    or at the top of the folder, is known by its name, as before."""
    path, source = Path(path), Path(source)
    if source.is_dir():
        try:
            return path.relative_to(source).as_posix()
        except ValueError:
            pass
    return path.name
