"""Consistent placeholders per study: the same real string and kind always get the same one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from qualflow.pipeline.deid.findings import KINDS
from qualflow.pipeline.language import is_cjk_word

PLACEHOLDER = re.compile(r"^\[([A-Z]+)_(\d+)\]$")  # [PERSON_1], [PLACE_2] …


def normalise(real: str) -> str:
    """NFKC, case-folded, whitespace collapsed: "Dr  ANIL Mehra" and "dr anil mehra" are one key."""
    return " ".join(unicodedata.normalize("NFKC", real).casefold().split())


class Pseudonymiser:
    """Placeholders like [PERSON_1], [PLACE_2], numbered per kind, continuing an existing key map.

    `existing` maps (kind, normalised real string) to a placeholder, as stored for the study;
    `new_entries` holds what this instance added, for the caller to store.
    """

    def __init__(self, existing: dict[tuple[str, str], str] | None = None, taken: Iterable[str] = ()):
        """`taken`: placeholders in use without a key-map entry (a withdrawn participant's id, whose entry
        was deleted): never handed out again, or a new person would take a withdrawn one's id."""
        self._map: dict[tuple[str, str], str] = {}
        self._next: dict[str, int] = {kind: 1 for kind in KINDS}
        self._new: dict[tuple[str, str], str] = {}
        for placeholder in taken:
            self._count(placeholder)
        for (kind, real), placeholder in (existing or {}).items():
            self._map[(kind, normalise(real))] = placeholder
            self._count(placeholder)

    def _count(self, placeholder: str) -> None:
        """Number new placeholders after this one."""
        match = PLACEHOLDER.match(placeholder)
        if match and match.group(1) in self._next:
            kind = match.group(1)
            self._next[kind] = max(self._next[kind], int(match.group(2)) + 1)

    def placeholder(self, kind: str, real: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        key = (kind, normalise(real))
        if not key[1]:
            raise ValueError("nothing to pseudonymise: the real string is empty")
        found = self._map.get(key)
        if found is None:
            found = f"[{kind}_{self._next[kind]}]"
            self._next[kind] += 1
            self._map[key] = found
            self._new[key] = found
        return found

    def knows(self, kind: str, real: str) -> bool:
        """Whether `real` already has a placeholder of this kind."""
        return (kind, normalise(real)) in self._map

    @property
    def new_entries(self) -> dict[tuple[str, str], str]:
        return dict(self._new)


_SEPARATOR = r"[\s_\-.]+"


def _surname_with_title(surname: str) -> re.Pattern:
    """A surname the Chinese title rules found (王 of 王医生, 小王, 老王), in a file name only where the
    same rule finds it: before a title or after 小/老, never inside another word (王府井)."""
    from qualflow.pipeline.deid.lexicon import ZH_TITLES

    titles = "|".join(re.escape(title) for title in ZH_TITLES)
    return re.compile(rf"{re.escape(surname)}(?={titles})|(?<=[小老]){re.escape(surname)}")


class NameRedactor:
    """File names with the study's known identifiers replaced: "Mary_Smith interview.txt" becomes
    "[PERSON_1] interview.txt" once "mary smith" is in the key map. A study knows a file by its
    name (versions, coding imports match on it), so the stored name stays; what leaves the study
    (exports, reports) shows this. Matching ignores case and takes _ - . for spaces; Latin
    identifiers match whole words only."""

    def __init__(self, key_map: dict[tuple[str, str], str]):
        patterns = []
        for (kind, real), placeholder in sorted(key_map.items(), key=lambda item: (-len(item[0][1]), item[0])):
            words = real.split()
            if kind == "PERSON" and len(real) == 1 and is_cjk_word(real):
                patterns.append((_surname_with_title(real), placeholder))  # 王医生访谈记录.txt
            if not words or len(real) < 2:
                continue
            pattern = _SEPARATOR.join(re.escape(word) for word in words)
            if not is_cjk_word(real):  # "_" separates words in file names: it is no word character here
                pattern = rf"(?<![^\W_]){pattern}(?![^\W_])"
            patterns.append((re.compile(pattern, re.IGNORECASE), placeholder))
        self._patterns = patterns
        self._done: dict[str, str] = {}

    def __call__(self, name: str | None) -> str | None:
        if not name:
            return name
        if name not in self._done:
            redacted = name
            for pattern, placeholder in self._patterns:
                redacted = pattern.sub(placeholder, redacted)
            self._done[name] = redacted
        return self._done[name]
