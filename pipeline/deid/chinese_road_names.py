"""Roads and districts named by common words, which jieba reads as those words: 人民/n 路, 胜利/vn 街,
光复路/l, 复兴/a 南路, 民族/n 路口, and districts its dictionary lists whole as common nouns (鼓楼区/n).

No rule on the words alone can tell 人民 of 人民路 from 人民 of 人民群众, so the names are a list: the
names that recur across Chinese cities, mainland and Taiwan, and that are ordinary words too. A listed
name makes a road only right before a road's unit (路, 街, 大街, 大道, 东路…, 二路…) as jieba cuts it,
so 人民群众, 民族文化, 建设工作, 新华书店, 文化路线 and 中山大学 stay words. Names that are abstract words
(幸福, 胜利, 民主…) are also said of a way in life (幸福路上的每一步, 胜利路上充满了艰辛), so they need
more than the unit: a road's own unit (东路, 二路), or an address around them (在/住在/搬到/路过 or a place
right before; a house number, 口, 附近, 那边 right after).
"""

from __future__ import annotations

import re

from qualflow.pipeline.deid.chinese_tokens import CJK_WORD, Index, Token
from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import ZH_ADMIN_WORD_SUFFIXES, longest_first, with_traditional

# Road names found in most Chinese cities (人民路, 解放路, 中山路…; Taiwan's 中正, 光復, 忠孝, 仁愛, 信義,
# 民生, 民權, 民族…), general knowledge, that are also everyday words. Names jieba already tags as places
# (长江, 延安, 朝阳) are here for the shapes it cuts them into (长江/东路). Not 成功 (Taiwan's 成功路):
# 成功路上 is as often "on the road to success" (成功路上没有捷径), nor 文明, 平安, 交通 and 公园, said of
# any road (文明路上行车, 平安路上, 交通路口, 公园路口: the crossing by the park), nor 长征: 长征路上 is
# mostly the Long March or any long hard way (爷爷讲了很多长征路上的故事; jieba lists 长征路 whole, which the
# older rules find).
COMMON_ROAD_NAMES = with_traditional(
    """
    人民 解放 建设 中山 和平 胜利 民族 光复 新华 友谊 文化 复兴 团结 幸福 青年 东风 红旗 工农 长江 黄河
    延安 朝阳 迎宾 建国 中华 民主 民生 民权 忠孝 仁爱 信义 中正 劳动 体育 花园 太平 学府
    """.split()
)
# Of those, the abstract words people also walk figuratively (幸福路上的每一步, 胜利路上不能松懈, 中华一路向前,
# 人生就像一条体育路): a road only with a road's own unit (幸福东路, 胜利二路) or an address around it
# (_address_before, _ADDRESS_AFTER). The others (人民, 解放, 中山, 民族, 光复…) are in practice only roads.
FIGURATIVE_ROAD_NAMES = with_traditional(
    "幸福 胜利 民主 劳动 青年 和平 友谊 文化 复兴 团结 建设 体育 花园 太平 中华".split()
)
# Before 街 these name a kind of street, as 步行街 does (文化街: a street of bookshops and antiques).
_KIND_BEFORE_STREET = with_traditional(["文化"])
_STREET = with_traditional(["街"])
# Real districts (of Nanjing, Fuzhou, Changsha, Jinan, Qingdao, Wuhan, Xi'an…) that jieba's dictionary
# lists whole as common nouns or verbs (鼓楼区/n, 硚口区/v), so no rule on its tags finds them. Not those
# that are also kinds of area in talk (站前区, 新市区, 解放区 "liberated area", 文化区).
LISTED_DISTRICTS = with_traditional(
    """
    鼓楼区 天心区 下关区 白下区 六合区 雨花区 市中区 市南区 市北区 历下区 历城区 槐荫区 硚口区 下陆区 掇刀区
    点军区 茅箭区 鲤城区 仓山区 思明区 工农区 道外区 皇姑区 东营区 平谷区 碑林区 未央区 三元区 丛台区 丰润区
    丰满区 二道区 五营区 亭湖区 任城区 八步区 利通区 友好区 叠彩区 回民区 坊子区 坡头区 大观区 天元区 宏伟区
    宣化区 师河区 带岭区 文峰区 新会区 月湖区 木栅区 殷都区 沿滩区 港闸区 游仙区 源城区 源汇区 滴道区 烈山区
    牧野区 环翠区 琅琊区 禅城区 离石区 红岗区 细河区 绿园区 船山区 船营区 芳村区 蕉城区 西秀区 贡井区
    资阳区 赤坎区 金水区 钢城区 铁锋区 防城区 鸡冠区 居巢区 柯城区
    """.split()
)
# Not 老边区 (Yingkou's), said of any old border area (这个老边区的孩子), as 解放区 is. A listed district
# cut before 域 is the start of 区域 "area" (绿园区/域: 绿园区域的树).
_AFTER_NOT_A_DISTRICT = "域"
_DIRECTIONS = "东 西 南 北 中".split()
# The units after a name as jieba cuts them: 路/n, 大街/ns, 东路/ns, 二路/m (建设二路); 一路 is also "all
# the way" (为人民一路奔波) and is taken only after an address word (在人民一路上班) or where no verb or
# adverb follows.
_ORDINALS = "一 二 三 四 五 六 七 八 九 十".split()
ROAD_UNITS = with_traditional(
    ["路", "街", "大街", "大道"]
    + [d + u for d in _DIRECTIONS for u in ("路", "街", "大街")]
    + [n + "路" for n in _ORDINALS]
)
_ALL_THE_WAY = with_traditional(["一路"])
# Units that only a road has, enough alone for a figurative name (幸福东路, 胜利二路; not 一路).
_OWN_ROAD_UNITS = with_traditional(
    [d + u for d in _DIRECTIONS for u in ("路", "街", "大街")] + [n + "路" for n in _ORDINALS[1:]]
)
_NOT_AFTER_ALL_THE_WAY = frozenset({"v", "vn", "vd", "d", "ad", "a"})
# What jieba glues to a road's unit: 路口, 路上, 路边 (民族/路口 is at 民族路). Not 头: 街头 is "the
# streets" (红旗街头飘扬, 民主街头运动).
_LOCATIVES = with_traditional(list("上口边旁"))
_UNITS_LONGEST_FIRST = longest_first(ROAD_UNITS)


def common_road_findings(text: str, index: Index) -> list[Finding]:
    """Roads named by a listed common word (人民/路, 光复路/l, 复兴/南路, 民族/路口: 民族路) and listed
    districts (鼓楼区), each found whole."""
    found = []
    tokens = index.tokens
    for i, token in enumerate(tokens):
        if token.word in LISTED_DISTRICTS:
            if text[token.end : token.end + 1] != _AFTER_NOT_A_DISTRICT:
                found.append(make(text, token.start, token.end, "PLACE", "pattern"))
            continue
        end = _road_end(text, index, i)
        if end is not None and not figurative_road(text, index, token.start, end):
            found.append(make(text, token.start, end, "PLACE", "pattern"))
    return found


def _road_end(text: str, index: Index, i: int) -> int | None:
    """Where the road that a listed name starts at token i ends, or None: the name and its unit in one
    token (光复路/l, 红旗街/nr) or the name and the next token (人民/路, 胜利/街口)."""
    tokens = index.tokens
    token = tokens[i]
    if not CJK_WORD.match(token.word):
        return None
    if token.word in COMMON_ROAD_NAMES:
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is None or nxt.start != token.end:
            return None
        name, unit, unit_index = token.word, _unit_at_start(nxt.word, whole=False), i + 1
    else:
        name = next((token.word[:k] for k in (2, 3) if token.word[:k] in COMMON_ROAD_NAMES), None)
        if name is None:
            return None
        unit, unit_index = _unit_at_start(token.word[len(name):], whole=True), i
    if unit is None:
        return None
    end = tokens[unit_index].start + (len(name) if unit_index == i else 0) + len(unit)
    if not _unit_fits(text, index, i, name, unit, end):
        return None
    return end


def _unit_at_start(word: str, whole: bool) -> str | None:
    """The road unit `word` is, or with `whole` False also the unit it starts before a locative (路口)."""
    if word in ROAD_UNITS:
        return word
    if len(word) == 2 and word[0] in ROAD_UNITS and word[1] in _LOCATIVES:
        return word[0]
    if not whole:
        return None
    return next((u for u in _UNITS_LONGEST_FIRST if word.startswith(u) and word[len(u):] in _LOCATIVES), None)


# Words right before a road's name that say where someone lives, works or goes (住在人民一路, 家在幸福街,
# 搬到了胜利路, 路过团结路): an address, not a way in life. 了 after them is skipped (搬到/了).
_ADDRESS_BEFORE = with_traditional(
    "在 住在 家住 家在 住 到 去 搬到 来到 回到 走到 开到 经过 路过 途经 位于 开在 就在 从 沿着 沿 往 靠近".split()
)
_PERFECTIVE = "了"
# What right after a road's unit says it is an address: a house number or section (88号, 三段), the
# crossing (口, 交叉口), or where about (附近, 那边, 旁边, 一带, 边).
_ADDRESS_AFTER = re.compile(
    r"[ \t]*(?:[0-9０-９]|[一二三四五六七八九十百零〇两兩]+[号號段巷弄]|口|交叉口|附近|那边|那邊|这边|這邊"
    r"|旁边|旁邊|一带|一帶|边|邊|旁)"
)
# After 一路, 一带 echoes 一带一路 (建设一路一带的经济), no address.
_NOT_AFTER_ONE_ROAD = ("一带", "一帶")


def _unit_fits(text: str, index: Index, name_index: int, name: str, unit: str, end: int) -> bool:
    """Whether a listed name and unit make a road: 一路 ("all the way") needs an address word before the name
    (在人民一路上班) or, for a name that is only a road's, no verb or adverb after it (为人民一路奔波 is a
    phrase); a figurative name (FIGURATIVE_ROAD_NAMES) needs a road's own unit or an address around it."""
    if unit in _STREET and name in _KIND_BEFORE_STREET:
        return False
    tokens = index.tokens
    addressed = _address_before(index, name_index)
    address_after = _ADDRESS_AFTER.match(text, end)
    if unit in _ALL_THE_WAY and text[end - len(unit) : end] in _ALL_THE_WAY:
        if addressed:
            return True
        if name in FIGURATIVE_ROAD_NAMES:  # 中华一路向前, 团结一路走来
            return bool(address_after) and not text.startswith(_NOT_AFTER_ONE_ROAD, end)
        unit_index = index.ends.get(end)
        if unit_index is None or tokens[unit_index].word not in _ALL_THE_WAY:
            return True  # 一路 inside a longer word jieba knows
        after = tokens[unit_index + 1] if unit_index + 1 < len(tokens) else None
        return after is None or after.start != tokens[unit_index].end or after.tag not in _NOT_AFTER_ALL_THE_WAY
    if name in FIGURATIVE_ROAD_NAMES:
        return unit in _OWN_ROAD_UNITS or addressed or bool(address_after)
    return True


def token_before(index: Index, start: int) -> Token | None:
    """The word jieba cut right before `start`, looking past a 了 right after a verb (搬到/了/胜利路: 搬到)."""
    i = index.ends.get(start)
    if i is None:
        return None
    before = index.tokens[i]
    if before.word == _PERFECTIVE and i > 0 and index.tokens[i - 1].end == before.start:
        return index.tokens[i - 1]
    return before


def _address_before(index: Index, name_index: int) -> bool:
    """An address word (在, 住在, 搬到了…) or a place (鼓楼区, 金水区, ns) right before the name at name_index."""
    before = token_before(index, index.tokens[name_index].start)
    return before is not None and (before.word in _ADDRESS_BEFORE or _names_a_place(before))


def _names_a_place(token: Token) -> bool:
    """A token that is a place by its tag, the district list or its unit (鼓楼区, 金水区, 北京/ns): an address
    before a road's name. (Not chinese_places._place_word, which decides whether a token is a place finding.)"""
    return token.tag == "ns" or token.word in LISTED_DISTRICTS or (
        len(token.word) >= 2 and bool(CJK_WORD.match(token.word)) and token.word.endswith(ZH_ADMIN_WORD_SUFFIXES)
    )


# What makes "X路上" a way in life rather than a road, right before a listed name: a noun or set phrase
# (民族/复兴/路上, 社会主义/建设/路上) or a verb of heading towards (迈向/胜利/路上). Not any verb: 路过/中山路上
# (passing it) and 家住/在/人民/路上 are roads, and a missed road is worse than a false alarm. A place before
# the name is an address (鼓楼区/人民路上).
_FIGURATIVE_BEFORE_TAGS = ("n", "l", "i")
_HEADING_TOWARDS = with_traditional(["迈向", "走向", "奔向", "通向", "通往"])


def figurative_road(text: str, index: Index, start: int, end: int) -> bool:
    """A listed road's name and unit followed by 上 ("on the road to…"), with a noun or set phrase of two
    or more characters, or a verb of heading towards, right before the name: 民族复兴路上, 迈向胜利路上
    are a nation's way, not a road. Applied to this module's findings only: the older rules' roads
    (jieba's own 复兴路, 建设路) are kept as they were. 走在幸福路上 is the road (no way to tell)."""
    if text[end : end + 1] != "上":
        return False
    i = index.ends.get(start)
    if i is None:
        return False
    before = index.tokens[i]
    if before.word in _HEADING_TOWARDS:
        return True
    return (
        len(before.word) >= 2
        and bool(CJK_WORD.match(before.word))
        and before.tag.startswith(_FIGURATIVE_BEFORE_TAGS)
        and not _names_a_place(before)
    )
