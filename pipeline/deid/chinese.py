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
    ZH_ADMIN_WORD_SUFFIXES,
    ZH_DISTRICT_SUFFIXES,
    ZH_ESTATE_SUFFIXES,
    ZH_GENERIC_ORGS,
    ZH_NEGATION_AND_DEGREE,
    ZH_NOT_NAME_CHARS,
    ZH_ORG_DESCRIPTORS,
    ZH_ORG_SUFFIXES,
    ZH_PLACE_FORMS,
    ZH_PLACE_SUFFIXES,
    ZH_ROAD_KINDS,
    ZH_ROAD_WORD_SUFFIXES,
    ZH_STOP_WORDS,
    ZH_STREET_SUFFIXES,
    ZH_TAIWAN_DISTRICTS,
    ZH_TOWN_FORMS,
    longest_first,
    with_traditional,
)

_SPECIFIC_TAGS = frozenset({"ns", "nr", "nrt", "nrfg", "nz", "nt", "j"})
# Tags jieba gives a road it knows as a name (中正路/nz, 解放路/nz, 建设路/nt, 忠孝东路/nrt); not nr,
# which it gives 石子路 "gravel road" as well.
_NAMED_ROAD_TAGS = frozenset({"ns", "nz", "nt", "nrt"})
# A noun this rare is no common word: before 街道 (a sub-district) it is its name (民治, 蛇口; 主干, 254,
# is a common noun: 主干街道, main streets), and a place's unit that ends such a word (生路 in 民生路) is
# still the unit (公路, 电路, 城市 are common).
_RARE_NOUN_FREQ = 100
_DIRECTIONS = frozenset("东西南北中東")
# Tags of words that hold a sentence together (于/p, 而/c, 都/d, 其/r): no part of a name. Not m and q,
# which jieba gives surnames (张/q).
_GRAMMAR_TAGS = FUNCTION_TAGS - {"m", "q", "zg"}
_SUBDISTRICT = with_traditional(["街道"])


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
    # 上海路188弄(3号): a lane numbered off its road, as Shanghai numbers them.
    rf"|(?<=[路街道])[{_NUM}]+[弄巷](?:[{_NUM}]+{_FLAT_OR_NUMBER})?"
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
        elif suffix and nxt.word in _SUBDISTRICT and _rare_noun(token):
            found.append(make(text, token.start, nxt.end, "PLACE", "jieba"))  # 蛇口/街道, 民治/街道
        elif suffix and _unknown_name(word) and token.tag not in _GRAMMAR_TAGS:
            found.append(make(text, token.start, nxt.end, "PLACE", "jieba"))  # 桂城/街道: jieba knows no 桂城
        elif _place_word(token):
            found.append(make(text, token.start, token.end, "PLACE", "jieba"))  # 越秀区, 张江镇, 信義路
    for m in _TAIWAN_DISTRICT.finditer(text):
        if _starts_a_word(index, m.start()) and _ends_a_word(index, m.end()):
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


def _ends_a_word(index: Index, position: int) -> bool:
    """A word ends at `position`, or jieba's HMM glued what follows to it (永和/區的/永貞路: 區的)."""
    if position in index.ends:
        return True
    token = index.token_covering(position - 1)
    return token is not None and token.start == position - 1 and _freq(token.word) == 0


def _common_noun_token(token: Token) -> bool:
    """A Chinese word of two or more characters that jieba tags as a common noun, no stop word."""
    word = token.word
    return token.tag == "n" and len(word) >= 2 and bool(_CJK.match(word)) and word not in ZH_STOP_WORDS


def _rare_noun(token: Token) -> bool:
    return _common_noun_token(token) and 0 < _freq(token.word) < _RARE_NOUN_FREQ


def _town_tagged_as_noun(token: Token) -> bool:
    """板桥/n before 区: a noun jieba tags as a common word (板桥 "plank bridge") but its dictionary also
    lists as a town (板桥市, 板桥镇), and no common word. Words before 区 in care work (护理区, 候诊区,
    门诊区, 等候区) have no town form; the stop words (市区, 郊区, 山区) and ns words are decided elsewhere."""
    word = token.word
    return (
        _common_noun_token(token)
        and _freq(word) < _COMMON_NOUN_FREQ
        and any(_freq(word + form) > 0 for form in ZH_TOWN_FORMS)
    )


def _place_word(token: Token) -> bool:
    """One token that is a name and its unit: 越秀区/nr, 龙岗区/n, 张江镇 (jieba's HMM joined an unknown
    name to 镇), 信義路/n, 中正路/nz. The unit makes it a place whatever jieba tags it, when the part before
    it is a name: no stop word (老城区), nothing that ends in a word of the unit's own (城市, 高速公路,
    康复之路, 候诊区, 重灾区: 候诊 and 重灾 are common words), and for a district, county or town a
    word the dictionary tags as a name or does not know."""
    word = token.word
    if not _CJK.match(word) or word in ZH_STOP_WORDS:
        return False
    # A name jieba does not know (张江) makes a place of a word it does not know either (张江镇, its HMM's
    # guess) or one it lists as a name; a word it lists as a common noun (敌占区, 采空区) stays.
    unknown_stem_ok = _freq(word) == 0 or token.tag in _SPECIFIC_TAGS
    admin = next((s for s in ZH_ADMIN_WORD_SUFFIXES if word.endswith(s)), None)
    if admin is not None:
        return _names_a_place(word[: -len(admin)], admin, unknown_stem_ok)
    road = next((s for s in ZH_ROAD_WORD_SUFFIXES if word.endswith(s)), None)
    if road is None:
        return False
    stem = word[: -len(road)]
    if len(stem) >= 3 and stem[-1] in _DIRECTIONS:
        stem = stem[:-1]  # 延安西路, 忠孝東路
    if stem in ZH_ROAD_KINDS:
        return False  # 下坡路, 林荫大道: jieba tags 下坡 ns and 林荫 nr
    # Four-character sayings jieba lists as names (萧郎陌路/nr, 架桥铺路/nz) are no roads: a road's
    # unknown name counts only in a word jieba does not know either (永貞路).
    if _names_a_place(stem, road, _freq(word) == 0):
        return True
    # A road jieba's dictionary lists whole and calls a name (解放路/nz, 建设路/nt, 中正路/nz), or a 路 it
    # lists whole after a rarer noun that says no kind of road (民生路, 信义路, 仙霞路; not 柏油路, 石板路).
    # Not 街: the nouns before it are kinds of street (步行街, 小吃街, 酒吧街).
    if _freq(word) == 0 or _freq(stem) == 0 or not _whole_stem(stem, road):
        return False
    return token.tag in _NAMED_ROAD_TAGS or (
        road == "路"
        and _freq(stem) < _COMMON_NOUN_FREQ
        and _dictionary_tags(stem) == ["n"]
    )


def _names_a_place(stem: str, unit: str, unknown_stem_ok: bool = True) -> bool:
    """`stem` before `unit` is a name: a word jieba's dictionary tags as a name (越秀/nr, 番禺/ns) and
    that is no common word (丘陵/nr 2477: 丘陵区, hill country; 中国区, a firm's China region), or
    characters it knows no word of (张江, 布吉). Not an abbreviation (农牧/j: 农牧区, farming areas)."""
    if not _whole_stem(stem, unit):
        return False
    if _freq(stem) == 0:
        return unknown_stem_ok and _unknown_name(stem)
    tags = _dictionary_tags(stem)
    return len(tags) == 1 and tags[0] in _SPECIFIC_TAGS - {"j"} and _freq(stem) < _COMMON_NOUN_FREQ


def _whole_stem(stem: str, unit: str) -> bool:
    """At least two characters, none a particle or pronoun, and the unit not the end of a common word of
    its own: 高速公路 is 高速 + 公路, 数字电路 数字 + 电路, 康复之路 康复 + 之路, 大城市 大 + 城市 (民生路
    is 民生 + 路: 生路 is a rare word)."""
    if len(stem) < 2 or stem in ZH_STOP_WORDS or stem.endswith("之") or any(ch in ZH_NOT_NAME_CHARS for ch in stem):
        return False
    return _freq(stem[-1] + unit) < _RARE_NOUN_FREQ


def _unknown_name(word: str) -> bool:
    """A word jieba's dictionary does not know, of characters that make no word of it either (张江 is
    张 + 江, 桂城 桂 + 城): a name, as a word before a place suffix. Not 南锣鼓 (南 + 锣鼓)."""
    return (
        len(word) >= 2
        and bool(_CJK.match(word))
        and _freq(word) == 0
        and word not in ZH_STOP_WORDS
        and not any(ch in ZH_NOT_NAME_CHARS for ch in word)
        and all(len(part) == 1 for part in _dictionary_words(word))
        and not _GRAMMAR_TAGS.intersection(_dictionary_tags(word))  # 隐于/市: 于 is a preposition
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


def _dictionary_words(word: str) -> list[str]:
    import jieba.posseg as pseg

    return [pair.word for pair in pseg.cut(to_simplified(word), HMM=False)]


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


def _outside_places(text: str, people: list[Finding], places: list[Finding]) -> list[Finding]:
    """A place suffix beats a surname: 张江镇 and 徐汇区 are a town and a district, though they start with
    a surname and jieba tags them nr. Where jieba cuts the same place otherwise (张江/镇住 "subdue"), the
    "person" that starts it is that place too."""
    named_units = [p for p in places if p.text.endswith(ZH_ADMIN_WORD_SUFFIXES + ZH_ROAD_WORD_SUFFIXES)]
    unit_names = sorted({p.text for p in named_units}, key=len, reverse=True)
    kept = []
    for f in people:
        if any(p.start <= f.start and f.end <= p.end for p in named_units):
            continue
        place = next((name for name in unit_names if text.startswith(name, f.start) and len(name) > len(f.text)), None)
        kept.append(make(text, f.start, f.start + len(place), "PLACE", f.source) if place else f)
    return kept


def chinese_findings(text: str, regions: list[tuple[int, int]]) -> tuple[list[Finding], set[int]]:
    """Findings in the regions, and the token boundaries (for checking propagated matches)."""
    tokens = tokenize(text, regions)
    index = Index(tokens)
    places = place_findings(text, index)
    found = _outside_places(text, person_findings(text, index), places) + places + org_findings(text, index)
    for lo, hi in regions:
        found += title_findings(text, index, lo, hi)
    found += spread_title_pairs(text, index, regions, found)
    boundaries = set(index.starts) | set(index.ends)
    return found, boundaries
