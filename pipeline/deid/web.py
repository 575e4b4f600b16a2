"""Web addresses and social-media handles, found by their shape: they name people as e-mail addresses do
(https://www.linkedin.com/in/johnsmith-rn, @johnsmith_rn, www.janedoe.co.uk).

A URL is taken when it has a scheme (https://…), starts with www., or is a domain with a known top-level
domain (janedoe.blogspot.com/about, nhs.uk). File names (notes.docx), abbreviations (e.g., U.S.), decimals
and times are no domains: their last part is no known top-level domain, or is in capitals (ASP.NET). A few
top-level domains are also English words (me, in, it, to …): such a domain counts only with a path
(t.me/jane), not bare ("logged.in"). Bare domains are all taken, nhs.uk as well as a personal one: by shape
no one can tell them apart, and a study that wants one kept lists it in `deidentify.keep`.

A handle is @ right before a name (@jane.doe, @johnsmith_rn), not inside an e-mail address, not "@ the
hospital" (a space follows) and not a time ("@5pm").
"""

from __future__ import annotations

import re

from qualflow.pipeline.deid.findings import Finding, make

# Top-level domains taken on a bare domain, lower case as written in running text.
_TLDS = "com net org edu gov mil info biz dev xyz io ai uk cn hk tw mo sg au nz ca ie de fr es nl ch se dk fi pl pt jp kr ru eu"
# Top-level domains that are also words of running text, where a missing space can make "fine.so" or
# "site.no": only with a path.
_WORD_TLDS = "me in it to is at am be do go so us my no tv cc co la ly im int name pro app blog online site tech page"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_PATH = r"(?:[/?#][^\s<>\"'\[\]{}|\\^`\u3000-\u303f\u3400-\u9fff\uff00-\uffef]*)"
_NOT_BEFORE = r"(?<![A-Za-z0-9@.\-_/%+])"  # not inside an e-mail address, a path or another word

_SCHEME_URL = re.compile(r"(?<![A-Za-z])(?:https?|ftp)://[^\s<>\"'\[\]{}|\\^`\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+",
                         re.IGNORECASE)
_WWW_URL = re.compile(_NOT_BEFORE + rf"www\.(?:{_LABEL}\.)*{_LABEL}{_PATH}?", re.IGNORECASE)
_DOMAIN_URL = re.compile(
    _NOT_BEFORE
    + rf"(?:{_LABEL}\.)+(?:(?P<tld>{'|'.join(_TLDS.split())})|(?P<word_tld>{'|'.join(_WORD_TLDS.split())}))"
    + rf"(?![A-Za-z0-9\-@])(?P<path>{_PATH})?"
)
# @ and a handle: letters, digits, _ and inner dots (Instagram's @jane.doe); a final dot ends the sentence.
_HANDLE = re.compile(r"(?<![A-Za-z0-9._%+\-])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,48}[A-Za-z0-9_])?(?![A-Za-z0-9_@])")
# "me @5pm", "@10:30": a time; a handle has a letter or an underscore.
_TIME = re.compile(r"@\d{1,2}(?:[:.]\d{2})?(?:am|pm|h|hrs)?", re.IGNORECASE)
_NAME_CHARACTER = re.compile(r"[A-Za-z_]")
# What ends a sentence or a bracket rather than the address.
_TRAILING = ".,;:!?'\")]}>*"


def _trimmed_end(text: str, start: int, end: int) -> int:
    """The end of a URL without the punctuation that closes the sentence around it; a ")" stays when the
    URL opened one (https://en.wikipedia.org/wiki/Nursing_(profession))."""
    while end > start and text[end - 1] in _TRAILING:
        if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
            break
        end -= 1
    return end


def find_urls(text: str) -> list[Finding]:
    found = []
    for pattern in (_SCHEME_URL, _WWW_URL):
        for m in pattern.finditer(text):
            end = _trimmed_end(text, m.start(), m.end())
            if end - m.start() > len("www."):
                found.append(make(text, m.start(), end, "URL", "pattern"))
    for m in _DOMAIN_URL.finditer(text):
        path = m.group("path") or ""
        if m.group("word_tld") and len(path) < 2:
            continue
        end = _trimmed_end(text, m.start(), m.end())
        found.append(make(text, m.start(), end, "URL", "pattern"))
    return found


def find_handles(text: str) -> list[Finding]:
    return [make(text, m.start(), m.end(), "HANDLE", "pattern") for m in _HANDLE.finditer(text)
            if _NAME_CHARACTER.search(m.group()) and not _TIME.fullmatch(m.group())]


def find_web_identifiers(text: str) -> list[Finding]:
    """URLs and handles; overlaps (a URL holding an @) are left to `resolve_overlaps`, longest first."""
    return find_urls(text) + find_handles(text)
