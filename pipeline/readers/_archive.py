"""Safety checks for .docx/.odt/.xlsx, which are zip archives of XML, before any parser sees them.

Transcripts can come from anyone, so an archive is refused when:

- its members would unpack past `max_unpacked_mb` in total. Python's zipfile never returns
  more bytes for a member than its declared size (it truncates and then fails the CRC), and
  python-docx, odfpy and openpyxl all read through zipfile, so the declared sizes are a
  real bound on what the parsers can be made to inflate;
- a member over 1 MB inflates more than 200:1 (the shape of a zip bomb; real documents
  compress 2-20:1);
- any member carries a document type declaration that could declare entities or pull in
  an external DTD. OOXML and ODF never use DTDs, so refusing costs nothing, and it means
  safety does not rest on each library's parser settings (python-docx's lxml parser does
  set resolve_entities=False, odfpy 1.4 parses through defusedxml, openpyxl uses
  defusedxml only when it is installed).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from qualflow.pipeline.readers._common import unreadable

_MB = 1024 * 1024
MAX_RATIO = 200
RATIO_CHECK_FROM = 1 * _MB  # small members can compress extremely well and are harmless

# "<!ENTITY" anywhere, or "<!DOCTYPE" unless it is exactly the HTML5 one (no entities, no
# external id), which Word may keep in an embedded HTML chunk. Also the same markers in
# UTF-16/32, which an XML parser would accept too; there no exception is made.
_WIDE = [marker.encode(encoding) for marker in ("<!ENTITY", "<!DOCTYPE")
         for encoding in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")]
_DTD = re.compile(
    rb"<!ENTITY|<!DOCTYPE(?![ \t\r\n]{1,16}html[ \t\r\n]{0,16}>)|" + b"|".join(map(re.escape, _WIDE)),
    re.IGNORECASE,
)
_CHUNK = 1 * _MB
# Longer than any match plus the look-ahead, so a marker split across two chunks is seen
# whole in the next round.
_OVERLAP = 64

# An encrypted Office document is an OLE compound file, not a zip; say so instead of
# only "not a zip".
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_archive(data: bytes, name: str, kind: str, max_unpacked_mb: float) -> None:
    """Raise UnreadableFile unless `data` is a zip archive that is safe to hand to a parser.

    `kind` is the extension without its dot ("docx", "odt", "xlsx") for the messages.
    """
    not_readable = f"not a readable .{kind} file"
    if data.startswith(_OLE_MAGIC):
        raise unreadable(name, f"{not_readable} (it is a password-protected or old-format Office file; "
                               f"save it as an unprotected .{kind})")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            total = sum(member.file_size for member in members)
            if total > max_unpacked_mb * _MB:
                raise unreadable(name, f"refused: it would unpack to {total / _MB:.1f} MB, over the "
                                       f"{max_unpacked_mb} MB limit (ingest.max_unpacked_mb); a likely zip bomb")
            for member in members:
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > RATIO_CHECK_FROM and ratio > MAX_RATIO:
                    raise unreadable(name, f"refused: member {member.filename!r} inflates {ratio:.0f}:1 "
                                           f"(over {MAX_RATIO}:1), a likely zip bomb")
            for member in members:
                with archive.open(member) as stream:
                    if _has_dtd(stream):
                        raise unreadable(name, f"refused: member {member.filename!r} has an XML DOCTYPE or "
                                               f"ENTITY declaration, which {kind} files never need")
    # BadZipFile: not a zip, truncated, or a CRC mismatch found while reading; the rest are
    # an unsupported compression method, encryption (RuntimeError) and corrupt deflate data.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, zlib.error, ValueError, OSError) as error:
        if isinstance(error, zipfile.BadZipFile) and not data.startswith(b"PK"):
            raise unreadable(name, f"{not_readable} (not a zip archive, as every .{kind} is: damaged, or another "
                                   "kind of file renamed)") from None
        raise unreadable(name, f"{not_readable} ({type(error).__name__})") from None


def _has_dtd(stream) -> bool:
    carry = b""
    while True:
        chunk = stream.read(_CHUNK)
        buffer = carry + chunk
        # Matches starting in the last _OVERLAP bytes are judged next round, with the bytes
        # that follow them, unless this is the end of the member.
        settled = len(buffer) if not chunk else len(buffer) - _OVERLAP
        for match in _DTD.finditer(buffer):
            if match.start() < settled:
                return True
        if not chunk:
            return False
        carry = buffer[settled:]
