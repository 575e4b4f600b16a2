"""Chinese organisations: words jieba tags nt, a name before an organisation's suffix (深圳康宁医院), and
numbered hospitals and schools (第三人民医院)."""

from __future__ import annotations

import re

from qualflow.pipeline.deid.chinese_tokens import CJK_WORD as _CJK
from qualflow.pipeline.deid.chinese_tokens import Index, Token
from qualflow.pipeline.deid.chinese_tokens import freq as _freq
from qualflow.pipeline.deid.chinese_vocabulary import NUMERALS, SPECIFIC_TAGS, UNIT_CHARACTERS, any_of, chars_of
from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import (
    FUNCTION_TAGS,
    ZH_ADMIN_SUFFIXES,
    ZH_GENERIC_ORGS,
    ZH_ORG_DESCRIPTORS,
    ZH_ORG_SUFFIXES,
    ZH_PLACE_SUFFIXES,
    ZH_STOP_WORDS,
)


# 一所, 两家, 几个: a numeral and a classifier say how many, never which (一所小学).
_NUMERAL_CLASSIFIER = re.compile(rf"^[{NUMERALS}{chars_of('几这那每某各')}]+[{chars_of('所家个间座位名')}]$")
_NUMBERED_ORG = re.compile(rf"第?[{NUMERALS}]{{1,4}}(?:人民)?{any_of('医院 中学 小学 幼儿园')}")


def org_findings(text: str, index: Index) -> list[Finding]:
    found = []
    tokens = index.tokens
    for i, token in enumerate(tokens):
        word = token.word
        if token.tag == "nt" and len(word) >= 2 and not _generic_org(word):
            start = _extend_org_left(i, index)
            found.append(make(text, start, token.end, "ORG", "jieba"))
        elif word.endswith(ZH_ORG_SUFFIXES) and _CJK.match(word):
            # A name before the suffix (深圳康宁医院) or jieba's own word for a named body (nz);
            # never a kind of institution alone (人民医院, 卫生院).
            start = _extend_org_left(i, index)
            # jieba tags kinds of institution nt as well (卫生院/nt): a kind names none (乡镇卫生院).
            own_name = token.tag in {"nz", "nt"} and not _generic_org(word)
            named = own_name or (start < token.start and _has_specific(index, start, i))
            if named and text[start : token.end] not in ZH_GENERIC_ORGS:
                found.append(make(text, start, token.end, "ORG", "jieba"))
    for m in _NUMBERED_ORG.finditer(text):
        start = _extend_org_left_at(m.start(), index)
        found.append(make(text, start, m.end(), "ORG", "pattern"))
    return found


def _generic_org(word: str) -> bool:
    """A kind of institution (卫生院), or one of a unit's own (镇政府, 县医院, 村委会: the town's government):
    such words name no one town."""
    return word in ZH_GENERIC_ORGS or (len(word) >= 3 and word[0] in UNIT_CHARACTERS and word[1:] in ZH_GENERIC_ORGS)


def _org_part(token: Token) -> bool:
    word = token.word
    if token.tag in FUNCTION_TAGS - {"m"} or token.tag in {"x", "v", "uj"} or word in ZH_STOP_WORDS:
        return word in ZH_ORG_DESCRIPTORS
    if not (_CJK.match(word) or word.isdigit()) or _NUMERAL_CLASSIFIER.match(word):
        return False
    return (
        token.tag in SPECIFIC_TAGS
        or word in ZH_ORG_DESCRIPTORS
        or word in ZH_PLACE_SUFFIXES
        or word.endswith(ZH_ADMIN_SUFFIXES) and token.tag in {"ns", "nz", "n"}
        or token.tag == "m"
        or _freq(word) == 0
    )


def _extend_org_left(i: int, index: Index) -> int:
    tokens = index.tokens
    start = tokens[i].start
    j = i - 1
    while j >= 0 and tokens[j].end == start and _org_part(tokens[j]) and tokens[i].end - tokens[j].start <= 16:
        start = tokens[j].start
        j -= 1
    # Leading words that only describe (人民, 社区) stay in; a leading bare place suffix (区) does not.
    while start < tokens[i].start and index.token_at(start).word in ZH_PLACE_SUFFIXES:
        start = index.token_at(start).end
    return start


def _extend_org_left_at(start: int, index: Index) -> int:
    i = index.ends.get(start)
    if i is None or not (index.tokens[i].tag in SPECIFIC_TAGS and _CJK.match(index.tokens[i].word)):
        return start
    return index.tokens[i].start


def _has_specific(index: Index, start: int, i: int) -> bool:
    for token in index.tokens[index.starts[start] : i]:
        if token.word in ZH_ORG_DESCRIPTORS or token.word in ZH_STOP_WORDS:
            continue
        if token.tag in SPECIFIC_TAGS or token.tag == "m" or _freq(token.word) == 0:
            return True
    return False
