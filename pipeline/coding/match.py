"""Which stored transcript is the document a tool coded?

By name first (exact, then the same file name without folder or extension, ignoring case:
tools rename `P3.docx` to `P3.txt` or `sources/P3.txt`), under the name the study stores or
the name qualflow's exports give the file (identifiers replaced: a team codes the export and
sends it back as "[PERSON_4] interview.txt"), then by text: the transcript
whose word shingles the document's text (or its coded quotes) shares most. A transcript is
matched to one document at most, except that one file named two ways in the same coding file
(`P1.txt`, `P1`) is one document.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

_TOKEN = re.compile(r"[\u3400-\u9fff]|\w+", re.UNICODE)
MIN_SIMILARITY = 0.3


@dataclass(frozen=True)
class StoredTranscript:
    id: int
    source_name: str
    text: str
    exported_name: str | None = None  # the name exports give it, when it differs (report.export_names)
    # The name exports gave it before they left dates out (until 2026-11-27), so that a coding of an
    # older export still imports by name.
    dated_export_name: str | None = None

    @property
    def names(self) -> set[str]:
        return {self.source_name, self.exported_name or self.source_name, self.dated_export_name or self.source_name}


def _stem(name: str) -> str:
    name = name.replace("\\", "/").removeprefix("internal://")
    return PurePosixPath(name).stem.casefold()


def shingles(text: str, size: int = 4) -> set[tuple[str, ...]]:
    tokens = [t.casefold() for t in _TOKEN.findall(text)]
    return {tuple(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1))}


def match_documents(documents: dict[str, str], transcripts: list[StoredTranscript]) -> dict[str, tuple[int, str]]:
    """document name -> (transcript id, how it was matched: "name" | "file name" | "text 0.83").

    `documents` maps each document name to the text known for it (its own text, or its
    quotes joined), "" when none.
    """
    matched: dict[str, tuple[int, str]] = {}
    taken: set[int] = set()
    for how, key in (("name", lambda n: n.casefold()), ("file name", _stem)):
        by_key: dict[str, list[StoredTranscript]] = {}
        for transcript in transcripts:
            for known_key in {key(name) for name in transcript.names}:
                by_key.setdefault(known_key, []).append(transcript)
        # One file written two ways in the same coding file ("P1.txt" on one row, "P1" on the next) is one
        # document: a name with the key of one matched already goes where that one went. Before, the
        # transcript counted as taken, and the second spelling was matched by its quotes to another one.
        went = {}
        for name, (transcript_id, _) in matched.items():
            went.setdefault(key(name), set()).add(transcript_id)
        for name in documents:
            if name in matched:
                continue
            if len(went.get(key(name), ())) == 1:
                matched[name] = (next(iter(went[key(name)])), how)
                continue
            free = [t for t in by_key.get(key(name), []) if t.id not in taken]
            if len(free) == 1:
                matched[name] = (free[0].id, how)
                taken.add(free[0].id)
                went.setdefault(key(name), set()).add(free[0].id)
    remaining = [t for t in transcripts if t.id not in taken]
    stored_shingles = {t.id: shingles(t.text) for t in remaining}
    for name, text in documents.items():
        if name in matched or not text.strip():
            continue
        own = shingles(text)
        # Containment, not Jaccard: quotes cover only part of a transcript.
        best = max(((len(own & stored_shingles[t.id]) / max(len(own), 1), t.id) for t in remaining
                    if t.id not in taken), default=(0.0, None))
        if best[1] is not None and best[0] >= MIN_SIMILARITY:
            matched[name] = (best[1], f"text {best[0]:.2f}")
            taken.add(best[1])
    return matched


def closest_names(name: str, shown_as: dict[str, str], limit: int = 3) -> list[str]:
    """The transcripts whose file name (without folder or extension, ignoring case) is most like
    `name`'s: what to suggest when a coded document matches no transcript. `shown_as` maps each
    name a transcript is known by (stored, exported) to the one to show."""
    by_stem: dict[str, list[str]] = {}
    for known, shown in shown_as.items():
        by_stem.setdefault(_stem(known), []).append(shown)
    close = difflib.get_close_matches(_stem(name), list(by_stem), n=limit * 2, cutoff=0.6)
    return list(dict.fromkeys(shown for stem in close for shown in by_stem[stem]))[:limit]
