"""What reviewers type (theme names, descriptions, memos), with the study's identifiers replaced.

Reviewers read pseudonymised statements, but they know the people: a memo may say "Rebecca
Hargreaves said the same on the phone, call her on 07700 900123". Such text leaves the study in
exports (REFI-QDA notes and codes, codebooks, reports), so it is stored with the replacements the
transcripts got: each identifier in the study's key map becomes its placeholder, and e-mail
addresses, phone numbers, ID numbers and dates of birth become [EMAIL], [PHONE], [ID], [DOB].

A name that is in no transcript is not known here. The name models are not run on a few typed
words, where they take ordinary capitalised words ("Overtime", "Night Shifts") for names.
"""

from __future__ import annotations

from qualflow.pipeline.deid.findings import resolve_overlaps
from qualflow.pipeline.deid.patterns import find_patterns
from qualflow.pipeline.deid.pseudonym import NameRedactor
from qualflow.pipeline.deid.replace import apply_replacements


class TypedRedactor:
    """`redact_typed` for many texts: the key map's patterns are compiled once (one per identifier),
    not once per text, which an import of hundreds of code names would otherwise do."""

    def __init__(self, key_map: dict[tuple[str, str], str]):
        self._names = NameRedactor(key_map)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        findings = resolve_overlaps(find_patterns(text))
        text, _ = apply_replacements(text, [(f.start, f.end, f"[{f.kind}]") for f in findings])
        return self._names(text)


def redact_typed(text: str, key_map: dict[tuple[str, str], str]) -> str:
    """`text` with its patterns replaced by their kind and the key map's identifiers by their placeholders."""
    return TypedRedactor(key_map)(text)
