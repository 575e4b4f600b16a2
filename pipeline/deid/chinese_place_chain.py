"""Chinese places found by the address they stand in: a name and its unit right next to a place already
found, one level above or below it (北碚区 + 天生街道, 天心区 + 坡子街, 下城区 + 武林街道).

An address runs from the larger unit to the smaller, with nothing between. Next to a place the word
before 街道 or 镇 is that sub-district's or town's name even when jieba reads it as a common word
(天生 "innate", 驷马/桥), and a word ending in 区 before a street is a district's name even when jieba's
dictionary lists it as a common noun (鼓楼区/n, 天心区/n) or cuts it (下/城区). Away from an address these
words stay words: 天生的, 城区的房价.
"""

from __future__ import annotations

from qualflow.pipeline.deid.chinese_tokens import CJK_WORD, Index, Token
from qualflow.pipeline.deid.chinese_tokens import freq as _freq
from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import (
    FUNCTION_TAGS,
    ZH_NOT_NAME_CHARS,
    ZH_STOP_WORDS,
    longest_first,
    with_traditional,
)

# Units of a province, city or district, and of what lies inside a district.
_CITY_UNITS = with_traditional("省 州 市".split())
_DISTRICT_UNITS = with_traditional("区 县".split())
_LOCAL_UNITS = with_traditional("街道 镇 乡 村 路 街 大道 大街 巷".split())
_ALL_UNITS = tuple(longest_first(list(_CITY_UNITS | _DISTRICT_UNITS | _LOCAL_UNITS)))
# Units one level below (after) each unit: a city holds districts, a district what is local.
_BELOW = {**{u: _DISTRICT_UNITS for u in _CITY_UNITS}, **{u: _LOCAL_UNITS for u in _DISTRICT_UNITS}}
_ABOVE = {**{u: _CITY_UNITS for u in _DISTRICT_UNITS}, **{u: _DISTRICT_UNITS for u in _LOCAL_UNITS}}
_DIRECTION_CHARACTERS = frozenset(with_traditional(list("东西南北中上下")))
# A word of the name counted this often is a common word first (主要 57991: 主要街道 are main streets;
# 部分街道); names are rarer (天生 561, 驷马 14). Where jieba's dictionary lists the name and its unit as
# one word it lists kinds of area too (仓库区 833, 别墅区 564), so there the bar is lower (鼓楼区 141,
# 天心区 87). Words jieba tags as names may be commoner (南湖/ns 1652) but not common (城市/ns 25084).
_COMMON_WORD_FREQ = 1000
_COMMON_WORD_WITH_UNIT_FREQ = 200
_COMMON_NAME_FREQ = 5000
_NAME_TAGS = frozenset({"ns", "nr", "nz", "nt"})
# Verbs, attributives and directions say what the unit is like or where (搬迁街道, 主要街道, 附近的街道),
# never its name. A direction character may start a name (下/城区, 西/城区).
_NOT_NAME_TAGS = FUNCTION_TAGS | {"v", "vd", "b", "x", "eng", "nx"}
_MAX_NAME_TOKENS = 3


def chained_place_findings(text: str, index: Index, places: list[Finding]) -> list[Finding]:
    """Places next to `places` in an address, until none is added (下城区 found beside 武林街道 may
    lead to a city before it)."""
    added: list[Finding] = []
    known = {(p.start, p.end) for p in places}
    frontier = [p for p in places if p.kind == "PLACE"]
    while frontier:
        new = []
        for place in frontier:
            for start, end in _neighbours(text, index, place):
                if not _inside_a_known(start, end, known):  # the same span is inside it too
                    known.add((start, end))
                    new.append(make(text, start, end, "PLACE", "jieba"))
        added += new
        frontier = new
    return added


def _inside_a_known(start: int, end: int, known: set[tuple[int, int]]) -> bool:
    return any(lo <= start and end <= hi for lo, hi in known)


def _neighbours(text: str, index: Index, place: Finding) -> list[tuple[int, int]]:
    unit = _unit_of(place.text)
    if unit is None:
        return []
    found = []
    after = _name_and_unit_from(index, place.end, _BELOW.get(unit, frozenset()))
    if after is not None:
        found.append(after)
    before = _name_and_unit_to(index, place.start, _ABOVE.get(unit, frozenset()))
    if before is not None:
        found.append(before)
    return found


def _unit_of(word: str) -> str | None:
    return next((unit for unit in _ALL_UNITS if word.endswith(unit) and len(word) > len(unit)), None)


def _name_and_unit_from(index: Index, start: int, units: frozenset[str]) -> tuple[int, int] | None:
    """The shortest run of up to three tokens from `start` that is a name and one of `units`."""
    i = index.starts.get(start)
    if i is None or not units:
        return None
    tokens = index.tokens
    for last in range(i, min(i + _MAX_NAME_TOKENS + 1, len(tokens))):
        if last > i and tokens[last].start != tokens[last - 1].end:
            return None
        if _is_name_and_unit(tokens[i : last + 1], units):
            return tokens[i].start, tokens[last].end
    return None


def _name_and_unit_to(index: Index, end: int, units: frozenset[str]) -> tuple[int, int] | None:
    """The shortest run of up to three tokens ending at `end` that is a name and one of `units`."""
    last = index.ends.get(end)
    if last is None or not units:
        return None
    tokens = index.tokens
    for first in range(last, max(last - _MAX_NAME_TOKENS, -1), -1):
        if first < last and tokens[first].end != tokens[first + 1].start:
            return None
        if _is_name_and_unit(tokens[first : last + 1], units):
            return tokens[first].start, tokens[last].end
    return None


def _is_name_and_unit(run: list[Token], units: frozenset[str]) -> bool:
    """The tokens read as a name then a unit of `units`: 天生/街道, 驷马/桥/街道, 天心区, 下/城区."""
    word = "".join(t.word for t in run)
    unit = next((u for u in longest_first(list(units)) if word.endswith(u)), None)
    if unit is None or not CJK_WORD.match(word) or word in ZH_STOP_WORDS:
        return False
    name = word[: -len(unit)]
    if not 2 <= len(name) <= 4 or name in ZH_STOP_WORDS or any(ch in ZH_NOT_NAME_CHARS for ch in name):
        return False
    if any(u in name for u in _ALL_UNITS):
        return False  # one place only: not 城区武林 of two
    # The name's parts: each token, the last without its unit (天心 of 天心区/n, 城 of 城区/n).
    parts, at = [], 0
    for k, token in enumerate(run):
        piece = token.word[: max(0, len(name) - at)]
        at += len(token.word)
        if piece:
            parts.append((k, piece, token))
    return all(_name_part(k, piece, token, with_unit=piece != token.word) for k, piece, token in parts)


def _name_part(k: int, piece: str, token: Token, with_unit: bool) -> bool:
    if k == 0 and len(piece) == 1 and piece in _DIRECTION_CHARACTERS:
        return True  # 下/城区, 西/城区
    if token.tag in _NOT_NAME_TAGS:
        return False
    if len(piece) == 1:
        return True  # 桥 of 驷马/桥, 城 of 下/城区
    if token.tag in _NAME_TAGS:
        cap = _COMMON_NAME_FREQ
    else:
        cap = _COMMON_WORD_WITH_UNIT_FREQ if with_unit else _COMMON_WORD_FREQ
    return _freq(piece) < cap
