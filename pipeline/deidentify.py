"""De-identification: find names, places, organisations, phones, e-mails, IDs and dates of birth
in English and Chinese transcripts, and replace them with consistent pseudonyms.

    from qualflow.pipeline.deidentify import Deidentifier, Pseudonymiser, apply_replacements

    finder = Deidentifier(config.deidentify, cache_dir=data_dir / "cache" / "jieba")
    findings = finder.find(text, "zh")            # sorted, non-overlapping Finding records
    names = Pseudonymiser(existing=stored_key_map)  # (kind, normalised real) -> "[PERSON_3]"
    new_text, offsets = apply_replacements(text, replacements_for(findings, names))
    # offsets.start(i) / offsets.end(i) map old offsets (e.g. statement spans) into new_text

Titles are kept and only the name is replaced, in both languages: "Dr Anil Mehra" ->
"Dr [PERSON_1]", "王医生" -> "[PERSON_2]医生", "小林" -> "小[PERSON_3]". `replacements_for` keys each
finding by its own text, so a full name and a bare surname get different placeholders ("Anil Mehra"
vs "Mehra" after "Dr"); `pipeline.redact.redact`, which stores a file, gives a first or last name alone
the placeholder of the one person the file names in full with it. Chinese title-rule findings are
surname-only keys, so 王医生 and 王主任 share a placeholder.

The code lives in the `qualflow.pipeline.deid` package; this module is the interface.
"""

from __future__ import annotations

from qualflow.pipeline.deid.detector import Deidentifier
from qualflow.pipeline.deid.findings import KINDS, SOURCES, Finding
from qualflow.pipeline.deid.pseudonym import Pseudonymiser, normalise
from qualflow.pipeline.deid.replace import OffsetMap, apply_replacements

__all__ = [
    "KINDS",
    "SOURCES",
    "Deidentifier",
    "Finding",
    "OffsetMap",
    "Pseudonymiser",
    "apply_replacements",
    "normalise",
    "replacements_for",
]


def replacements_for(findings: list[Finding], pseudonymiser: Pseudonymiser) -> list[tuple[int, int, str]]:
    """(start, end, placeholder) for each finding, ready for `apply_replacements`."""
    return [(f.start, f.end, pseudonymiser.placeholder(f.kind, f.text)) for f in findings]
