"""Untrusted coding files: zip archives (.qdpx) and XML (.qde inside, .qdc) from outside.

A project file can come from anyone, so before any parser sees it:

- the file itself must be under `MAX_FILE_MB`;
- an archive is never unpacked to disk; members are read into memory by name, and a name
  that is absolute, has a drive letter or climbs out with `..` is refused (a path-traversal
  archive says something about its maker even when we would not write it anywhere);
- the declared sizes bound what can be inflated (zipfile never returns more bytes than a
  member declares): each member under `MAX_MEMBER_MB`, all of them under `MAX_UNPACKED_MB`,
  and the zip-bomb ratio and DTD checks of `readers._archive.check_archive` on top;
- XML is parsed by defusedxml with DTDs forbidden, so no external entity, no entity
  expansion ("billion laughs") and no network or file access can happen.

Every refusal is an UnreadableFile with one line that starts with the file's name.
"""

from __future__ import annotations

import codecs
import io
import posixpath
import re
import zipfile
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException
from qualflow.pipeline.readers import check_archive, unreadable

_MB = 1024 * 1024
MAX_FILE_MB = 200
MAX_MEMBER_MB = 50
MAX_UNPACKED_MB = 500
_DRIVE = re.compile(r"^[A-Za-z]:")


def read_limited(path, max_mb: float = MAX_FILE_MB) -> bytes:
    """The file's bytes, refusing files over the limit before reading them."""
    from pathlib import Path

    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_mb * _MB:
            raise unreadable(path.name, f"refused: {size / _MB:.1f} MB is over the {max_mb} MB limit")
        return path.read_bytes()
    except OSError as error:
        raise unreadable(path.name, f"cannot read ({error.strerror or type(error).__name__})") from None


def safe_member_name(raw: str) -> str | None:
    """The member's normalised name, or None when it is absolute or climbs out of the archive."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        return None
    normal = posixpath.normpath(name)
    if normal == ".." or normal.startswith("../"):
        return None
    return normal


class SafeArchive:
    """A zip archive checked member by member; `read(name)` returns a member's bytes."""

    def __init__(self, data: bytes, name: str, kind: str, max_member_mb: float = MAX_MEMBER_MB,
                 max_unpacked_mb: float = MAX_UNPACKED_MB):
        self.name = name
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            members = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
            raise unreadable(name, f"not a readable .{kind} file ({type(error).__name__})") from None
        self._members: dict[str, zipfile.ZipInfo] = {}
        for member in members:
            safe = safe_member_name(member.filename)
            if safe is None:
                raise unreadable(name, f"refused: member {member.filename!r} would be written outside the "
                                       "archive's folder (path traversal)")
            if member.file_size > max_member_mb * _MB:
                raise unreadable(name, f"refused: member {member.filename!r} unpacks to "
                                       f"{member.file_size / _MB:.1f} MB, over the {max_member_mb} MB limit")
            self._members[safe] = member
        # The total, the inflation ratio and DTDs in any member: the transcript readers' checks.
        check_archive(data, name, kind, max_unpacked_mb)

    def names(self) -> list[str]:
        return list(self._members)

    def find(self, wanted: str) -> str | None:
        """A member by its normalised name, case-insensitively as Windows tools write them."""
        safe = safe_member_name(wanted)
        if safe is None:
            return None
        if safe in self._members:
            return safe
        folded = {key.casefold(): key for key in self._members}
        return folded.get(safe.casefold())

    def read(self, member: str) -> bytes:
        info = self._members[member]
        with self._zip.open(info) as stream:
            # Never more than declared (zipfile enforces it); the size was checked above.
            return stream.read(info.file_size + 1)


def parse_xml(data: bytes, name: str) -> Element:
    """Parse untrusted XML: a BOM or blank lines before the declaration are tolerated,
    DTDs and entities are refused."""
    data = data.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    try:
        return safe_et.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise unreadable(name, f"refused: the XML declares a DTD or entities ({type(error).__name__}); "
                               "REFI-QDA files never need them") from None
    except safe_et.ParseError as error:
        raise unreadable(name, f"not well-formed XML (line {error.position[0]})") from None
