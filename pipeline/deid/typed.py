"""What reviewers type (theme names, descriptions, memos), with the study's identifiers replaced.

Reviewers read pseudonymised statements, but they know the people: a memo may say "Rebecca
Hargreaves said the same on the phone, call her on 07700 900123". Such text leaves the study in
exports (REFI-QDA notes and codes, codebooks, reports), so it is stored with the replacements the
transcripts got: each identifier in the study's key map becomes its placeholder, and e-mail
addresses, phone numbers, ID numbers and dates of birth become [EMAIL], [PHONE], [ID], [DOB].

A first or last name alone is replaced too, as in the transcripts ("Kapoor's team history" when "Rajesh
Kapoor" is in the key map), when written with a capital and not an ordinary word (detector.propagable);
a part two people share becomes [PERSON].

A name that is in no transcript is not known here. The name models are not run on a few typed
words, where they take ordinary capitalised words ("Overtime", "Night Shifts") for names.
"""

from __future__ import annotations

import re

from qualflow.pipeline.deid.findings import resolve_overlaps
from qualflow.pipeline.deid.patterns import find_patterns
from qualflow.pipeline.deid.pseudonym import NameRedactor, is_cjk_word
from qualflow.pipeline.deid.replace import apply_replacements


class TypedRedactor:
    """`redact_typed` for many texts: the key map's patterns are compiled once (one per identifier),
    not once per text, which an import of hundreds of code names would otherwise do."""

    def __init__(self, key_map: dict[tuple[str, str], str]):
        self._names = NameRedactor(key_map)
        self._part_placeholder = _name_parts(key_map)
        self._parts = _whole_words(list(self._part_placeholder))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        findings = resolve_overlaps(find_patterns(text))
        text, _ = apply_replacements(text, [(f.start, f.end, f"[{f.kind}]") for f in findings])
        text = self._names(text)
        if self._parts is None:
            return text
        return self._parts.sub(lambda m: self._part_placeholder[m.group(0).casefold()], text)


def _name_parts(key_map: dict[tuple[str, str], str]) -> dict[str, str]:
    """The first and last names of the key map's Latin-script people (lower case) -> the placeholder
    to write for one alone: the person's, or [PERSON] for a part two people share."""
    from qualflow.pipeline.deid.detector import propagable

    owners: dict[str, set[str]] = {}
    for (kind, real), placeholder in key_map.items():
        words = real.split()
        if kind != "PERSON" or len(words) < 2 or is_cjk_word(real):
            continue
        for word in words:
            # Alone in the key map, the name redactor replaces it already, in any case.
            if propagable(word[:1].upper() + word[1:]) and ("PERSON", word) not in key_map:
                owners.setdefault(word.casefold(), set()).add(placeholder)
    return {part: next(iter(held)) if len(held) == 1 else "[PERSON]" for part, held in owners.items()}


def _whole_words(parts: list[str]) -> re.Pattern | None:
    """Each part as a name is written (Kapoor, KAPOOR), as a whole word: "kapoor" or "Kapoorian" stay."""
    if not parts:
        return None
    forms = sorted({form for part in parts for form in (part[:1].upper() + part[1:], part.upper())},
                   key=lambda form: (-len(form), form))
    return re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, forms)) + r")(?![^\W_])")


def redact_typed(text: str, key_map: dict[tuple[str, str], str]) -> str:
    """`text` with its patterns replaced by their kind and the key map's identifiers by their placeholders."""
    return TypedRedactor(key_map)(text)
