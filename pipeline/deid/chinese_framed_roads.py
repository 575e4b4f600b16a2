"""Roads whose names are on no list and that jieba does not know, found by the address around them:
位于护国路, 就在宝山路地铁站, 这家在鲁磨路的店, 去府前街很近, 住在光明路.

A city has thousands of road names and most are ordinary words or characters jieba cuts apart (仓/边/路,
鲁磨/路, 道/顿掘/街), so neither a list (chinese_road_names.py) nor jieba's tags find them. What does is the
sentence: a word that places something (位于, 住在, 在…) right before a short name and a road's unit.

Two strengths of frame, because 在 is also said of ways in life (在创业路上, 在人生路口):
- a verb that only takes a place (位于, 住在, 搬到, 靠近, 路过…) makes any short name before a unit a
  road, unless the name and unit are a kind of road (马路, 山路, 商业街, 柏油路);
- 在, 去, 到, 从 and the like need a name that is no common word (jieba counts it under 1,000 times:
  新民, 护国, 紫荆; not 创业, 学校, 高速), and before 路上, one that jieba tags as a name or cuts apart
  (在宝山路上, 在仓边路上; not 在维权路上, 在追梦路上).
"""

from __future__ import annotations

import re

from qualflow.pipeline.deid.chinese_road_names import token_before
from qualflow.pipeline.deid.chinese_tokens import CJK_WORD, Index, freq
from qualflow.pipeline.deid.chinese_vocabulary import SPECIFIC_TAGS, dictionary_tags
from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import ZH_ROAD_KINDS, ZH_STOP_WORDS, with_traditional

# Verbs that only take a place: what follows them is where something is, not a way in life.
_PLACING_VERBS = with_traditional(
    "位于 坐落于 坐落在 地处 住在 家住 家住在 家在 搬到 搬去 开在 靠近 靠着 紧挨着 紧挨 毗邻 紧邻 途经 路过 经过 沿着".split()
)
# Words that place something, but are also said of ways in life (在创业路上, 到了人生路口).
_PLACING_WORDS = with_traditional("在 就在 去 到 从 往 来到 回到 离 住".split())
_UNITS = with_traditional(["大道", "大街", "路", "街"])
# A direction or section number between the name and its unit: 白塔西路, 大尧一路.
_BETWEEN = frozenset(with_traditional(list("东西南北中一二三四五六七八九十")))
# Characters that no road's name holds but phrases before 路 do (在正确的路上, 在这条路上, 一路).
_NOT_IN_NAMES = frozenset(with_traditional(list("的地得了着过之这那哪条个些上下里是和与及或在到从把被也都很就又还我你他她它们要会想")))
# What may follow the unit and leave it the road's (路口, 路上, 路边); other words the unit makes with
# the next character are no road (路线, 路人, 路费, 街坊, 街头).
_LOCATIVES = with_traditional(["路口", "路上", "路边", "路旁", "街口", "街上", "街边"])
_ON = "上"
_PASSING = with_traditional(["路过"])
# Dates that name roads in many cities (五一路, 八一路, 五四路, 二七路: May Day, Army Day, the May Fourth
# Movement, the 1923 strike); jieba reads them as numbers (五一路/m, 八/一路). Framed, they are roads.
_DATE_NAMES = with_traditional("五一 五四 六一 七一 八一 二七 三八".split())
# Where a road's unit ends a sentence or an address follows it (在自由路。, 在振兴路口, 在繁荣街88号, 在工业路
# 附近), or people meet or leave a bus there (约在工业路见面, 在建设路下车), 在 places something on a road
# whatever its name: a way in life goes on (在创业路上, 在人生路口 are kinds, ZH_ROAD_KINDS). Not 等 alone:
# 在创新路等方面.
_ADDRESS_AFTER = re.compile(
    r"$|[。，,.;；!！?？、…\n]|[ \t]*(?:[0-9０-９]|[一二三四五六七八九十百零〇两兩]+[号號段巷弄]|口|交叉口|附近|那边|那邊"
    r"|这边|這邊|旁边|旁邊|一带|一帶|见面|見面|碰面|碰头|碰頭|集合|会合|會合|汇合|匯合|下车|下車|上车|上車)"
)
_COMMON = 1000  # as chinese_places._COMMON_NOUN_FREQ: a word jieba counts this often is a common word
_NAME_LENGTHS = (2, 3)


def framed_road_findings(text: str, index: Index) -> list[Finding]:
    found = []
    for m in re.finditer("|".join(sorted(_UNITS, key=len, reverse=True)), text):
        finding = _framed_road(text, index, m.start(), m.end())
        if finding is not None:
            found.append(finding)
    return found


def _framed_road(text: str, index: Index, unit_start: int, unit_end: int) -> Finding | None:
    if not _unit_ends_here(text, index, unit_start, unit_end):
        return None
    name_ends = [unit_start] + ([unit_start - 1] if text[unit_start - 1 : unit_start] in _BETWEEN else [])
    for name_end, length in ((end, n) for end in name_ends for n in _NAME_LENGTHS):
        start = name_end - length
        if start < 0 or start not in index.starts:
            continue
        strength = _frame_before(index, start)
        if strength is None:
            continue
        on_the_road = text[unit_end : unit_end + 1] == _ON
        if _names_road(text, index, start, name_end, unit_end, strength, on_the_road):
            return make(text, start, unit_end, "PLACE", "pattern")
    return None


def _unit_ends_here(text: str, index: Index, unit_start: int, unit_end: int) -> bool:
    """The unit ends a word as jieba cut it (宝山/路/地铁站, 光复路/l), or what jieba glued to it makes no
    word with it (紫荆/路和东/三路) or a locative (路口, 路上); not 路线, 路人, 街坊."""
    pair = text[unit_start : unit_end + 1]
    if pair in _PASSING:
        return False  # 在七一/路过: "on July 1st passed by", whatever jieba cut
    if unit_end in index.starts or unit_end in index.ends:
        return True
    return pair in _LOCATIVES or freq(pair) == 0


def _frame_before(index: Index, start: int) -> str | None:
    """'placing' after a verb that takes only a place, 'weak' after 在/去/到…, else None."""
    before = token_before(index, start)
    if before is None:
        return None
    if before.end == start:  # no 了 between: 开/在, 住/在, where jieba cut the verb from 在
        i = index.ends.get(before.start)
        if i is not None and index.tokens[i].word + before.word in _PLACING_VERBS:
            return "placing"
    if before.word in _PLACING_VERBS:
        return "placing"
    if before.word in _PLACING_WORDS:
        return "weak"
    return None


_NOT_ROAD_TAGS = ("v", "a", "d")


def _unit_token_fits(index: Index, start: int, name_end: int, name: str) -> bool:
    """jieba cut the unit as a road's: alone (鲁磨/路), with the whole name (跃进路/l; not 找出路/v), or
    glued to a name's last character that is no word (仓/边路, 湖/中路, 八/一路; not 找/出路, 出路/v)."""
    token = index.token_covering(name_end)
    if token is None:
        return False
    if token.start == name_end:
        return True
    if token.start == start:
        return not token.tag.startswith(_NOT_ROAD_TAGS)
    unknown = freq(name) == 0 or name in _DATE_NAMES  # 八/一路: a date jieba reads as numbers
    return start < token.start and unknown and not token.tag.startswith(_NOT_ROAD_TAGS)


def _names_road(
    text: str, index: Index, start: int, name_end: int, unit_end: int, strength: str, on_the_road: bool
) -> bool:
    name, road = text[start:name_end], text[start:unit_end]
    if not _unit_token_fits(index, start, name_end, name):
        return False
    if name in _DATE_NAMES:
        return True
    if not CJK_WORD.match(name) or any(c in _NOT_IN_NAMES for c in name):
        return False
    if name in ZH_ROAD_KINDS or name in ZH_STOP_WORDS:
        return False
    # 商业街, 步行街, 高速路: jieba lists the name with its unit as a common noun, a kind of road (跃进路/l
    # and 美食街/ns are listed too, not as common nouns).
    if freq(road) > 0 and dictionary_tags(road) == ["n"]:
        return False
    if strength == "placing" or _ADDRESS_AFTER.match(text, unit_end):
        return True
    first = index.starts[start]
    tokens = index.tokens[first : first + len(name)]  # a name's tokens are at most its characters
    tokens = [t for t in tokens if t.start < name_end]
    named = any(t.tag in SPECIFIC_TAGS for t in tokens)
    one_word = len(tokens) == 1 and tokens[0].end >= name_end
    if on_the_road:  # 在宝山路上, 在仓/边/路上; not 在维权路上, 在追梦路上, 在光明路上
        return named or all(len(t.word) == 1 for t in tokens)
    if one_word and freq(name) >= _COMMON:
        return False
    return not (one_word and tokens[0].tag.startswith("v") and freq(name) > 0)
