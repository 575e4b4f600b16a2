"""What an importer hands on: the tool's documents, its codebook and its coded spans.

Offsets here are still the TOOL's: characters (or bytes) into the tool's copy of the
document, which is the original text, not qualflow's de-identified one. `offsets.py`
turns them into character offsets into `SourceDocument.text`; `align.py` then maps them
onto the stored transcript.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PATH_SEPARATOR = " / "


@dataclass
class SourceDocument:
    name: str
    text: str | None = None  # the tool's copy of the text; None when the tool did not ship one


@dataclass
class CodeInfo:
    path: str  # names from the root joined by PATH_SEPARATOR; the code's identity
    name: str
    parent_path: str | None = None
    description: str | None = None


@dataclass
class CodedSpan:
    document: str
    code_path: str
    coder: str
    start: int | None = None  # in the tool's unit (see ImportedCoding.offset_unit)
    end: int | None = None
    quote: str | None = None  # the coded text as the tool gave it, when it did


@dataclass
class ImportedCoding:
    file_format: str
    # "chars", "bytes", or "auto" (decide from the text); tools differ, see offsets.py.
    offset_unit: str = "auto"
    documents: dict[str, SourceDocument] = field(default_factory=dict)
    codes: dict[str, CodeInfo] = field(default_factory=dict)
    spans: list[CodedSpan] = field(default_factory=list)

    def add_code(self, path: str, description: str | None = None) -> None:
        """Add a code and any missing ancestors (path "A / B" also adds "A")."""
        parts = [part.strip() for part in path.split(PATH_SEPARATOR) if part.strip()]
        for depth in range(1, len(parts) + 1):
            key = PATH_SEPARATOR.join(parts[:depth])
            if key not in self.codes:
                parent = PATH_SEPARATOR.join(parts[: depth - 1]) or None
                self.codes[key] = CodeInfo(key, parts[depth - 1], parent)
        if description and parts:
            self.codes[PATH_SEPARATOR.join(parts)].description = description
