"""What an importer hands on: the tool's documents, its codebook and its coded spans.

Offsets here are still the TOOL's: characters (or bytes) into the tool's copy of the
document, which is the original text, not qualflow's de-identified one. `offsets.py`
turns them into character offsets into `SourceDocument.text`; `align.py` then maps them
onto the stored transcript.

A code's path is a tuple of names from the root: a name may hold "/" ("Work / life
balance") and stays one name. Only the stored `ManualCode.path` is a string (`stored_path`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

CodePath = tuple[str, ...]
# Joins names in a path given as one string (taguette.py builds them so): a control character
# no tool puts in a code name, so a name with " / " in it is never split.
PATH_SEPARATOR = "\x1f"
STORED_SEPARATOR = " / "  # between names in ManualCode.path (compare.py splits on it)
SLASH_IN_NAME = "\u2215"  # DIVISION SLASH: a "/" inside a name, in ManualCode.path only
UNNAMED = "(unnamed code)"
# qualflow's own exports code as this user (`export codings`' coder column, the REFI-QDA User of
# `export qdpx`): re-imported, such codings are qualflow's themes, not a human coder's.
QUALFLOW_CODER = "qualflow"
GUID_NAMESPACE = uuid.UUID("5d7c1f43-2a0e-4c55-9f0b-6a1f3a0c9e11")  # of every GUID export_refi writes
QUALFLOW_USER_GUID = str(uuid.uuid5(GUID_NAMESPACE, f"qualflow:user:{QUALFLOW_CODER}"))


def is_qualflow_coder(coder: str) -> bool:
    """Whether a coder name is qualflow's own (any case, surrounding spaces ignored)."""
    return coder.strip().casefold() == QUALFLOW_CODER


def as_path(path: str | Sequence[str]) -> CodePath:
    """A code path as a tuple of names, without blank names or surrounding spaces (never empty)."""
    names = path.split(PATH_SEPARATOR) if isinstance(path, str) else path
    return tuple(name.strip() for name in names if name and name.strip()) or (UNNAMED,)


def stored_path(path: Sequence[str]) -> str:
    """The path as ManualCode.path stores it: names joined by " / ", a "/" inside a name written
    as "∕" so that splitting on " / " gives the names back (`--code-depth`)."""
    return STORED_SEPARATOR.join(name.replace("/", SLASH_IN_NAME) for name in path)


@dataclass
class SourceDocument:
    name: str
    text: str | None = None  # the tool's copy of the text; None when the tool did not ship one


@dataclass
class CodeInfo:
    path: CodePath  # names from the root; the code's identity
    name: str
    parent_path: CodePath | None = None
    description: str | None = None


@dataclass
class CodedSpan:
    document: str
    code_path: CodePath  # a string is read with as_path
    coder: str
    start: int | None = None  # in the tool's unit (see ImportedCoding.offset_unit)
    end: int | None = None
    quote: str | None = None  # the coded text as the tool gave it, when it did
    source_row: int | None = None  # a table's row number (the header is row 1), so a researcher can find it

    def __post_init__(self) -> None:
        self.code_path = as_path(self.code_path)


@dataclass
class ImportedCoding:
    file_format: str
    # "chars", "bytes", or "auto" (decide from the text); tools differ, see offsets.py.
    offset_unit: str = "auto"
    documents: dict[str, SourceDocument] = field(default_factory=dict)
    codes: dict[CodePath, CodeInfo] = field(default_factory=dict)
    spans: list[CodedSpan] = field(default_factory=list)
    # Set by a reader that gave some span the default coder because the file names none: two
    # such files would otherwise merge into one coder unnoticed (the importer warns).
    default_coder_used: bool = False

    def add_code(self, path: str | Sequence[str], description: str | None = None) -> CodePath:
        """Add a code and any missing ancestors (path ("A", "B") also adds ("A",)); returns its path."""
        parts = as_path(path)
        for depth in range(1, len(parts) + 1):
            key = parts[:depth]
            if key not in self.codes:
                self.codes[key] = CodeInfo(key, parts[depth - 1], parts[: depth - 1] or None)
        if description:
            self.codes[parts].description = description
        return parts
