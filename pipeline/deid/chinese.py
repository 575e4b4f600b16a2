"""Chinese: places (jieba ns, place suffixes, district names, building numbers) and organisations (nt,
name + suffix).

`chinese_findings` runs these and the name rules (`chinese_names`) over the given regions.
"""

from __future__ import annotations

import re

from qualflow.pipeline.chinese_script import to_simplified
from qualflow.pipeline.deid.chinese_names import person_findings, spread_title_pairs, title_findings
from qualflow.pipeline.deid.chinese_tokens import CJK_WORD as _CJK
from qualflow.pipeline.deid.chinese_tokens import Index, Token, tokenize
from qualflow.pipeline.deid.chinese_tokens import freq as _freq
from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import (
    COMPOUND_SURNAMES,
    FUNCTION_TAGS,
    SURNAMES,
    ZH_ADMIN_SUFFIXES,
    ZH_DISTRICT_SUFFIXES,
    ZH_ESTATE_SUFFIXES,
    ZH_GENERIC_ORGS,
    ZH_NEGATION_AND_DEGREE,
    ZH_ORG_DESCRIPTORS,
    ZH_ORG_SUFFIXES,
    ZH_PLACE_FORMS,
    ZH_PLACE_SUFFIXES,
    ZH_STOP_WORDS,
    ZH_STREET_SUFFIXES,
    ZH_TAIWAN_DISTRICTS,
    ZH_TOWN_FORMS,
    longest_first,
    with_traditional,
)

_SPECIFIC_TAGS = frozenset({"ns", "nr", "nrt", "nrfg", "nz", "nt", "j"})


def _any_of(words: str) -> str:
    """A regex alternation of the words and their Traditional forms (栋 棟, 单元 單元, 医院 醫院)."""
    return "(?:" + "|".join(map(re.escape, longest_first(words.split()))) + ")"


def _chars_of(characters: str) -> str:
    return "".join(sorted(with_traditional(characters)))


_NUM = "0-9" + _chars_of("一二三四五六七八九十〇零两百")
_BUILDING_UNIT, _FLAT, _FLAT_OR_NUMBER = _any_of("单元"), _any_of("室 户 号"), _any_of("号")
_BUILDING = re.compile(
    rf"[{_NUM}]+{_any_of('号楼 栋 幢 座')}(?:[{_NUM}]+{_BUILDING_UNIT})?(?:[{_NUM}]+{_FLAT})?"
    rf"|[{_NUM}]+{_BUILDING_UNIT}[{_NUM}]+{_FLAT}?"
    rf"|(?<=[路街巷弄道])[{_NUM}]+{_FLAT_OR_NUMBER}{_any_of('院 楼')}?"
)
# 一所, 两家, 几个: a numeral and a classifier say how many, never which (一所小学).
_NUMERAL_CLASSIFIER = re.compile(rf"^[{_NUM}{_chars_of('几这那每某各')}]+[{_chars_of('所家个间座位名')}]$")
# 一面, 两个, 这张: a numeral or demonstrative and any classifier (_NUMERAL_CLASSIFIER names the ones of institutions).
_NUMERAL_CLASSIFIER_ANY = re.compile(rf"^[{_NUM}{_chars_of('几这那每某各')}]+[\u4e00-\u9fff]$")
_TAIWAN_DISTRICT = re.compile(rf"(?:{'|'.join(sorted(ZH_TAIWAN_DISTRICTS, key=len, reverse=True))})[区區]")
# 忠孝東路三段: a numbered section of a road is part of an address (Taiwan), so the road before it is a place.
_ROAD_SECTION = re.compile(r"(?<=[路街])[一二三四五六七八九十]{1,2}段")
# A noun jieba counts this often is meant as the word before 区 far more often than as a town of
# that name: 重点区 (a key area), 机场区, 花园区; 板桥 (63), 汐止 (2) and 林口 (18) are rarer.
_COMMON_NOUN_FREQ = 1000
_NUMBERED_ORG = re.compile(rf"第?[{_NUM}]{{1,4}}(?:人民)?{_any_of('医院 中学 小学 幼儿园')}")


def place_findings(text: str, index: Index) -> list[Finding]:
    found = []
    tokens = index.tokens
    for i, token in enumerate(tokens):
        word = token.word
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        suffix = nxt is not None and nxt.start == token.end and nxt.word in ZH_PLACE_SUFFIXES
        if _tagged_place(token) and word not in ZH_STOP_WORDS and word not in COMPOUND_SURNAMES:
            if suffix or not _ordinary_word_tagged_ns(tokens, i):
                found.append(make(text, token.start, nxt.end if suffix else token.end, "PLACE", "jieba"))
        elif (
            suffix
            and token.tag in _SPECIFIC_TAGS
            and len(word) >= 2
            and word not in ZH_STOP_WORDS
            and _CJK.match(word)
            and not word.endswith(ZH_ORG_SUFFIXES)
        ):
            found.append(make(text, token.start, nxt.end, "PLACE", "jieba"))  # 翠苑/小区, 望京/街道
        elif suffix and nxt.word in ZH_DISTRICT_SUFFIXES and _town_tagged_as_noun(token):
            found.append(make(text, token.start, nxt.end, "PLACE", "jieba"))  # 板桥/区, 汐止/镇
    for m in _TAIWAN_DISTRICT.finditer(text):
        if _starts_a_word(index, m.start()) and m.end() in index.ends:
            found.append(make(text, m.start(), m.end(), "PLACE", "pattern"))
    for m in _ROAD_SECTION.finditer(text):
        start = _estate_start(m.start(), index, ZH_STREET_SUFFIXES)
        if m.start() - start >= 3:  # a named road (中山路, 忠孝東路), not 路 alone (这条路一段一段的)
            found.append(make(text, start, m.end(), "PLACE", "pattern"))
    for m in _BUILDING.finditer(text):
        start = _estate_start(m.start(), index)
        # 建国路88号: the street goes with its house number, or "[PLACE_5]" would sit after a street anyone can read.
        start = _estate_start(start, index, ZH_STREET_SUFFIXES) if start == m.start() else start
        found.append(make(text, start, m.end(), "PLACE", "pattern"))
    return found


def _starts_a_word(index: Index, position: int) -> bool:
    """A word starts at `position`, or jieba's HMM glued what comes before to it (住文/山区 for 住文山區):
    a district name is whole words, never the end of a dictionary word (大安 of 巨大安全 stays)."""
    if position in index.starts:
        return True
    token = index.token_covering(position)
    return token is not None and _freq(token.word) == 0


def _town_tagged_as_noun(token: Token) -> bool:
    """板桥/n before 区: a noun jieba tags as a common word (板桥 "plank bridge") but its dictionary also
    lists as a town (板桥市, 板桥镇), and no common word. Words before 区 in care work (护理区, 候诊区,
    门诊区, 等候区) have no town form; the stop words (市区, 郊区, 山区) and ns words are decided elsewhere."""
    word = token.word
    return (
        token.tag == "n"
        and len(word) >= 2
        and bool(_CJK.match(word))
        and word not in ZH_STOP_WORDS
        and _freq(word) < _COMMON_NOUN_FREQ
        and any(_freq(word + form) > 0 for form in ZH_TOWN_FORMS)
    )


def _tagged_place(token: Token) -> bool:
    """ns, or a dictionary word of a surname and one character that jieba tags nr and lists as a place too
    (许昌/nr, 许昌市; 钟山/nr, 钟山县): such words are no people (chinese_names.plausible_name) but may be places."""
    word = token.word
    if token.tag == "ns":
        return len(word) >= 2
    return token.tag == "nr" and len(word) == 2 and word[0] in SURNAMES and _freq(word) > 0 and _listed_as_place(word)


def _ordinary_word_tagged_ns(tokens: list[Token], i: int) -> bool:
    """jieba tags some ordinary words and phrases ns: its dictionary lists 锦旗 (a silk banner) and 安宁
    (peaceful, also a city) as places, and its HMM joins 太/累 into a new "place". Without a place
    suffix after it, such a word is no place where
    - a negation or degree word comes before it (不得安宁, 很安宁): it is said of something;
    - it is an unknown word none of whose dictionary parts is a noun (太累, 很远);
    - a numeral and classifier count it (一面锦旗) and the dictionary lists no place form of it
      (安宁市, 英国人: 一个英国来的研究员 keeps 英国)."""
    token = tokens[i]
    before = tokens[i - 1] if i > 0 and tokens[i - 1].end == token.start else None
    if before is not None and before.word in ZH_NEGATION_AND_DEGREE:
        return True
    if _freq(token.word) == 0 and not _listed_as_place(token.word):
        return not any(tag.startswith("n") for tag in _dictionary_tags(token.word))
    counted = before is not None and before.tag in {"m", "mq", "q"} and _NUMERAL_CLASSIFIER_ANY.match(before.word)
    return bool(counted) and not _listed_as_place(token.word)


def _listed_as_place(word: str) -> bool:
    return any(_freq(word + form) > 0 for form in ZH_PLACE_FORMS)


def _dictionary_tags(word: str) -> list[str]:
    import jieba.posseg as pseg

    return [pair.flag for pair in pseg.cut(to_simplified(word), HMM=False)]


def _estate_start(start: int, index: Index, suffixes: tuple[str, ...] = ZH_ESTATE_SUFFIXES) -> int:
    """Extend a building number left over the estate it is in (钢铁厂家属院5号楼), or, with street
    suffixes, a house number over its street (建国路88号)."""
    i = index.ends.get(start)
    if i is None:
        return start
    token = index.tokens[i]
    if not token.word.endswith(suffixes):
        return start
    begin = token.start
    if token.word in suffixes and i >= 1:
        before = index.tokens[i - 1]
        if (
            before.end == token.start
            and _CJK.match(before.word)
            and before.tag not in FUNCTION_TAGS
            and before.tag not in {"v", "vn", "x"}
            and not before.word.endswith(ZH_ADMIN_SUFFIXES)
        ):
            begin = before.start
    return begin


def org_findings(text: str, index: Index) -> list[Finding]:
    found = []
    tokens = index.tokens
    for i, token in enumerate(tokens):
        word = token.word
        if token.tag == "nt" and len(word) >= 2 and word not in ZH_GENERIC_ORGS:
            start = _extend_org_left(i, index)
            found.append(make(text, start, token.end, "ORG", "jieba"))
        elif word.endswith(ZH_ORG_SUFFIXES) and _CJK.match(word):
            # A name before the suffix (深圳康宁医院) or jieba's own word for a named body (nz);
            # never a kind of institution alone (人民医院, 卫生院).
            start = _extend_org_left(i, index)
            named = token.tag in {"nz", "nt"} or (start < token.start and _has_specific(index, start, i))
            if named and text[start : token.end] not in ZH_GENERIC_ORGS:
                found.append(make(text, start, token.end, "ORG", "jieba"))
    for m in _NUMBERED_ORG.finditer(text):
        start = _extend_org_left_at(m.start(), index)
        found.append(make(text, start, m.end(), "ORG", "pattern"))
    return found


def _org_part(token: Token) -> bool:
    word = token.word
    if token.tag in FUNCTION_TAGS - {"m"} or token.tag in {"x", "v", "uj"} or word in ZH_STOP_WORDS:
        return word in ZH_ORG_DESCRIPTORS
    if not (_CJK.match(word) or word.isdigit()) or _NUMERAL_CLASSIFIER.match(word):
        return False
    return (
        token.tag in _SPECIFIC_TAGS
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
    if i is None or not (index.tokens[i].tag in _SPECIFIC_TAGS and _CJK.match(index.tokens[i].word)):
        return start
    return index.tokens[i].start


def _has_specific(index: Index, start: int, i: int) -> bool:
    for token in index.tokens[index.starts[start] : i]:
        if token.word in ZH_ORG_DESCRIPTORS or token.word in ZH_STOP_WORDS:
            continue
        if token.tag in _SPECIFIC_TAGS or token.tag == "m" or _freq(token.word) == 0:
            return True
    return False


def chinese_findings(text: str, regions: list[tuple[int, int]]) -> tuple[list[Finding], set[int]]:
    """Findings in the regions, and the token boundaries (for checking propagated matches)."""
    tokens = tokenize(text, regions)
    index = Index(tokens)
    found = person_findings(text, index) + place_findings(text, index) + org_findings(text, index)
    for lo, hi in regions:
        found += title_findings(text, index, lo, hi)
    found += spread_title_pairs(text, index, regions, found)
    boundaries = set(index.starts) | set(index.ends)
    return found, boundaries
