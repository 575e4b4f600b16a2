"""Reading interview files into normalised text.

Stored text is NFC-normalised with `\\n` line endings; every offset qualflow keeps counts
Unicode code points in that text. A file is identified by the SHA-256 of it, so the
same interview under two names, or read twice, is one transcript.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes
from qualflow.pipeline.errors import UnreadableFile


@dataclass(frozen=True)
class Document:
    source_name: str
    text: str
    content_hash: str


def normalise_text(raw: str) -> str:
    text = raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode_bytes(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) first, because it is by far the commonest; then detection."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise UnreadableFile(f"{name}: looks like a binary file, not text")
    best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile(f"{name}: cannot tell which text encoding this file uses")
    return str(best)


def _read_docx(path: Path) -> str:
    import docx  # python-docx; imported here because plain-text runs never need it

    try:
        document = docx.Document(str(path))
    except Exception as error:  # python-docx raises zip, XML and package errors alike for a bad file
        raise UnreadableFile(f"{path.name}: not a readable .docx file ({type(error).__name__})") from None
    # One paragraph per line, so speaker labels at a paragraph's start are found as in .txt.
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def read_document(path: Path, max_file_mb: float = 20.0) -> Document:
    """Read one transcript file. Raises UnreadableFile with a one-line reason."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise UnreadableFile(f"{path.name}: cannot read ({error.strerror})") from None
    if size > max_file_mb * 1024 * 1024:
        raise UnreadableFile(f"{path.name}: {size / 1e6:.1f} MB is over the {max_file_mb} MB limit (ingest.max_file_mb)")
    suffix = path.suffix.lower()
    try:
        raw = _read_docx(path) if suffix == ".docx" else decode_bytes(path.read_bytes(), path.name)
    except OSError as error:
        raise UnreadableFile(f"{path.name}: cannot read ({error.strerror})") from None
    text = normalise_text(raw)
    if not text.strip():
        raise UnreadableFile(f"{path.name}: the file is empty")
    return Document(source_name=path.name, text=text, content_hash=content_hash(text))


def discover(source: Path, extensions: list[str]) -> list[Path]:
    """The transcript files under `source` (a file or a folder), in a stable order."""
    source = Path(source)
    if source.is_file():
        return [source]
    wanted = {extension.lower() for extension in extensions}
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file() and path.suffix.lower() in wanted and not path.name.startswith((".", "~$"))
        and path.name.lower() != "readme.md"
    )
