"""The Finding record and how overlapping findings are resolved."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("PERSON", "PLACE", "ORG", "PHONE", "EMAIL", "ID", "DOB", "URL", "HANDLE")
# "speaker-label": a name used as a speaker label ("Mary Smith: …"); "header": the value of a
# "# participant: …" line that is no respondent code; "name-part": a first or last name alone of a
# person named in full in the same file ("Mary" of "Mary Smith"). All three added by pipeline.redact.
SOURCES = ("ner", "jieba", "title-rule", "pattern", "user-list", "speaker-label", "header", "name-part")

# On equal length, the more specific evidence wins.
_SOURCE_RANK = {"speaker-label": 0, "header": 0, "user-list": 1, "pattern": 2, "title-rule": 3, "name-part": 4,
                "ner": 5, "jieba": 6}
_KIND_RANK = {"ID": 0, "EMAIL": 1, "DOB": 2, "PHONE": 3, "URL": 4, "HANDLE": 5, "PERSON": 6, "ORG": 7, "PLACE": 8}


@dataclass(frozen=True)
class Finding:
    """One identifier: code-point offsets into the text given to `Deidentifier.find`."""

    start: int
    end: int
    kind: str  # one of KINDS
    text: str  # text[start:end]
    source: str  # one of SOURCES: what found it

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}")
        if not 0 <= self.start < self.end or len(self.text) != self.end - self.start:
            # Never the text itself: it is an identifier, and this message can reach a log.
            raise ValueError(f"bad span {self.start}:{self.end} for a text of {len(self.text)} characters")


def make(text: str, start: int, end: int, kind: str, source: str) -> Finding:
    return Finding(start, end, kind, text[start:end], source)


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Sorted, non-overlapping findings: the longest wins; ties go to the more specific source."""
    ranked = sorted(
        set(findings),
        key=lambda f: (-(f.end - f.start), _SOURCE_RANK[f.source], _KIND_RANK[f.kind], f.start),
    )
    taken: list[Finding] = []
    occupied: list[tuple[int, int]] = []
    for finding in ranked:
        if any(finding.start < end and start < finding.end for start, end in occupied):
            continue
        taken.append(finding)
        occupied.append((finding.start, finding.end))
    return sorted(taken, key=lambda f: (f.start, f.end))
