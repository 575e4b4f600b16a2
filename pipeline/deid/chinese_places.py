"""Chinese places: jieba's ns, place suffixes, district names, names jieba cuts across their unit, places
next to a place in an address (chinese_place_chain), and building numbers."""

from __future__ import annotations

import re

from qualflow.pipeline.chinese_script import to_simplified
from qualflow.pipeline.deid.chinese_cities import city_findings
from qualflow.pipeline.deid.chinese_framed_roads import framed_road_findings
from qualflow.pipeline.deid.chinese_place_chain import chained_place_findings
from qualflow.pipeline.deid.chinese_road_names import common_road_findings
from qualflow.pipeline.deid.chinese_tokens import CJK_WORD as _CJK
from qualflow.pipeline.deid.chinese_tokens import Index, Token
from qualflow.pipeline.deid.chinese_tokens import freq as _freq
from qualflow.pipeline.deid.chinese_villages import village_findings
from qualflow.pipeline.deid.chinese_vocabulary import (
    NUMERALS,
    SPECIFIC_TAGS,
    UNIT_CHARACTERS,
    any_of,
    chars_of,
    common_nouns_starting,
    dictionary_tags,
    dictionary_words,
    word_tag,
)
from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import (
    COMPOUND_SURNAMES,
    FUNCTION_TAGS,
    SURNAMES,
    ZH_ADMIN_SUFFIXES,
    ZH_ADMIN_WORD_SUFFIXES,
    ZH_DISTRICT_SUFFIXES,
    ZH_ESTATE_SUFFIXES,
    ZH_NEGATION_AND_DEGREE,
    ZH_NOT_NAME_CHARS,
    ZH_ORG_SUFFIXES,
    ZH_PLACE_FORMS,
    ZH_PLACE_SUFFIXES,
    ZH_ROAD_KINDS,
    ZH_ROAD_WORD_SUFFIXES,
    ZH_STOP_WORDS,
    ZH_STREET_SUFFIXES,
    ZH_HONG_KONG_PLACES,
    ZH_TAIWAN_DISTRICTS,
    ZH_TOWN_FORMS,
    with_traditional,
)


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
_BUILDING_UNIT, _FLAT, _FLAT_OR_NUMBER = any_of("单元"), any_of("室 户 号"), any_of("号")
_BUILDING = re.compile(
    rf"[{NUMERALS}]+{any_of('号楼 栋 幢 座')}(?:[{NUMERALS}]+{_BUILDING_UNIT})?(?:[{NUMERALS}]+{_FLAT})?"
    rf"|[{NUMERALS}]+{_BUILDING_UNIT}[{NUMERALS}]+{_FLAT}?"
    rf"|(?<=[路街巷弄道])[{NUMERALS}]+{_FLAT_OR_NUMBER}{any_of('院 楼')}?"
    # 上海路188弄(3号): a lane numbered off its road, as Shanghai numbers them.
    rf"|(?<=[路街道])[{NUMERALS}]+[弄巷](?:[{NUMERALS}]+{_FLAT_OR_NUMBER})?"
)
# 一面, 两个, 这张: a numeral or demonstrative and any classifier (_NUMERAL_CLASSIFIER names the ones of institutions).
_NUMERAL_CLASSIFIER_ANY = re.compile(rf"^[{NUMERALS}{chars_of('几这那每某各')}]+[\u4e00-\u9fff]$")
_TAIWAN_DISTRICT = re.compile(rf"(?:{'|'.join(sorted(ZH_TAIWAN_DISTRICTS, key=len, reverse=True))})[区區]")
# Hong Kong's districts and neighbourhoods (觀塘, 旺角, 油尖旺區), as whole words: not 觀塘 of 參觀/塘.
_HONG_KONG_PLACE = re.compile(
    rf"(?:{'|'.join(sorted(ZH_HONG_KONG_PLACES, key=len, reverse=True))})(?:[区區](?![域内內]))?"
)
# 忠孝東路三段: a numbered section of a road is part of an address (Taiwan), so the road before it is a place.
_ROAD_SECTION = re.compile(r"(?<=[路街])[一二三四五六七八九十]{1,2}段")
# A noun jieba counts this often is meant as the word before 区 far more often than as a town of
# that name: 重点区 (a key area), 机场区, 花园区; 板桥 (63), 汐止 (2) and 林口 (18) are rarer.
_COMMON_NOUN_FREQ = 1000
# Road words that only name a road: after a name jieba lists as a road's (解放路/nz), 解放大道 is a road
# too, though jieba reads 解放 as a verb there. Not 街 or 街道 (建设街道 can be "building up streets").
_ROAD_NAME_UNITS = with_traditional(["大道", "大街"])
# 路上 "on the road" and 街上: jieba joins a road's unit to 上 (中華/路上 for 中華路上).
_ON_THE_ROAD = with_traditional(["路上", "街上"])
# Units after a word jieba's dictionary lists as a town (呈贡: 呈贡县/ns), whatever it tags the word here
# (呈贡/v 区, 石门/n 村); and those after which a road's name (建设路/nt) names a township or village too
# (建设乡), but not a district (文化区 is a cultural quarter).
_TOWN_UNITS = with_traditional("区 县 市 镇 乡 村".split())
_VILLAGE_UNITS = with_traditional("镇 乡 村".split())
# What is smoked or drunk, or counted in packs, is a product even when it is named after a place
# (抽万宝路, 喝的是青岛, 一包万宝路): no road is smoked. Roads are counted with 条, which is left out.
_CONSUMING_VERBS = with_traditional("抽 吸 喝 嚼 戒".split())
# A count comes with the pack (一听, 两包): 听 alone is "listen" (听北京来的医生说).
_PACK = re.compile(rf"^[{NUMERALS}{chars_of('几这那每')}]+[{chars_of('包盒根支瓶罐听杯箱')}]$")
_PRODUCT_AFTER = with_traditional("烟 香烟 卷烟".split())
_BETWEEN_VERB_AND_OBJECT = with_traditional("了 过 着 的 是".split())
# The units whose two-character words jieba lists as common words (城区, 山区) though they can end a
# name cut across them (增/城区, 坪/山区). 市 and 村 are not among them: 家/超市, 山/村.
_SPLIT_DISTRICT_UNITS = frozenset(chars_of("区县镇乡"))
_NOT_IN_SPLIT_NAMES = frozenset(chars_of("区县市镇乡村省州路街巷弄道"))
# A word jieba lists whole with a unit as a common noun (农耕区/n "farming area", 练功区) is a kind of
# area when its first part is a common word (counted this often) that makes other common nouns too
# (农耕业, 练功房); districts it tags n have rarer names (龙岗区, 官渡区) or none such (开元区).
_COMMON_STEM_FREQ = 200
# 镇里, 村上, 区内: a unit and where in it ("in the town"), which jieba may tag ns (镇里/ns); no name.
_LOCATIVES = frozenset(chars_of("里上下内外中边头口"))
# What a district holds, which jieba's HMM may glue to the district's unit (區北/新路, 区桠/溪镇).
_ROAD_OR_TOWN_UNITS = ZH_ROAD_WORD_SUFFIXES + tuple(sorted(with_traditional("街道 镇 乡 村".split())))


def place_findings(text: str, index: Index) -> list[Finding]:
    found = []
    tokens = index.tokens
    for i, token in enumerate(tokens):
        word = token.word
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        suffix = nxt is not None and nxt.start == token.end and nxt.word in ZH_PLACE_SUFFIXES
        if consumed(tokens, i):
            continue
        if _tagged_place(token) and word not in ZH_STOP_WORDS and word not in COMPOUND_SURNAMES:
            if suffix or _toponym_ending(token, nxt):
                found.append(make(text, token.start, nxt.end, "PLACE", "jieba"))  # 安宁/市, 深水/埗
            elif not _ordinary_word_tagged_ns(tokens, i):
                found.append(make(text, token.start, token.end, "PLACE", "jieba"))
        elif (
            suffix
            and token.tag in SPECIFIC_TAGS
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
        elif suffix and nxt.word in _ROAD_NAME_UNITS and (_named_road_stem(word) or _two_character_noun(token)):
            found.append(make(text, token.start, nxt.end, "PLACE", "jieba"))  # 解放/v 大道, 世纪/n 大道
        elif suffix and nxt.word in _TOWN_UNITS and _names_a_town_before(word, nxt.word):
            found.append(make(text, token.start, nxt.end, "PLACE", "jieba"))  # 呈贡/v 区, 石门/n 村, 建设/vn 乡
        elif nxt is not None and nxt.start == token.end and nxt.word in _ON_THE_ROAD and _named_road_stem(word):
            found.append(make(text, token.start, nxt.start + 1, "PLACE", "jieba"))  # 中華/路上: 中华路 + 上
        elif _place_word(token):
            found.append(make(text, token.start, token.end, "PLACE", "jieba"))  # 越秀区, 张江镇, 信義路
    found += _split_name_findings(text, index)
    for m in _TAIWAN_DISTRICT.finditer(text):
        if _starts_a_word(index, m.start()) and _ends_a_word(index, m.end()):
            found.append(make(text, m.start(), m.end(), "PLACE", "pattern"))
    found += _hong_kong_findings(text, index)
    roads = common_road_findings(text, index) + framed_road_findings(text, index)
    for m in _ROAD_SECTION.finditer(text):
        start = _road_start(m.start(), _estate_start(m.start(), index, ZH_STREET_SUFFIXES), roads)
        if m.start() - start >= 3:  # a named road (中山路, 忠孝東路), not 路 alone (这条路一段一段的)
            found.append(make(text, start, m.end(), "PLACE", "pattern"))
    for m in _BUILDING.finditer(text):
        start = _estate_start(m.start(), index)
        # 建国路88号: the street goes with its house number, or "[PLACE_5]" would sit after a street anyone can read.
        if start == m.start():
            start = _road_start(m.start(), _estate_start(start, index, ZH_STREET_SUFFIXES), roads)
        found.append(make(text, start, m.end(), "PLACE", "pattern"))
    found += roads
    # Cities last: a city inside a longer place (郑州市, 潮州鎮) must not cut the chains that find it whole.
    return found + chained_place_findings(text, index, found) + city_findings(text, index) + village_findings(text)


# Last characters of southern Chinese place names (Hong Kong, Guangdong, Macau) that jieba's dictionary does
# not know and leaves alone after the part it tags ns: 深水/埗 (Sham Shui Po), 大/埔, 鰂魚/涌, 觀/塘.
# Left out of the placeholder, they leave the place recognisable ([PLACE_1]埗). None is a word of talk alone.
_TOPONYM_ENDINGS = frozenset(chars_of("埗埔涌坑灣湾圍围墟嶺岭坪塘磡瀝沥氹窩窝邨墩滘圳寮"))


def _road_start(number_start: int, start: int, roads: list[Finding]) -> int:
    """Where the road a house number or section follows starts: a road named by a listed common word
    (人民/中路/三号) ends right at the number, where jieba's cut gave only 中路."""
    return min([start] + [r.start for r in roads if r.end == number_start])


def _hong_kong_findings(text: str, index: Index) -> list[Finding]:
    """Hong Kong's districts and neighbourhoods standing as words of their own (觀/塘, 旺角, 將軍/澳),
    with 區 when it follows (觀塘區); the name alone when 區 starts a word of its own (觀塘/區內)."""
    found = []
    for m in _HONG_KONG_PLACE.finditer(text):
        if not _starts_a_word(index, m.start()):
            continue
        ends = (m.end(), m.end() - 1)  # 觀塘區, else 觀塘 where 區 starts a word (區內)
        end = next((e for e in ends if hong_kong_place(text[m.start():e]) and _ends_a_word(index, e)), None)
        if end is not None:
            found.append(make(text, m.start(), end, "PLACE", "pattern"))
    return found


def hong_kong_place(word: str) -> bool:
    """A Hong Kong district or neighbourhood (with or without 區): no person though jieba tags 黃大仙 nr."""
    return word in ZH_HONG_KONG_PLACES or (word[-1:] in "区區" and word[:-1] in ZH_HONG_KONG_PLACES)


def _toponym_ending(token: Token, nxt: Token | None) -> bool:
    """A place-name ending jieba cut off as a word of its own, right after a word it tags as a place."""
    return nxt is not None and nxt.start == token.end and nxt.word in _TOPONYM_ENDINGS


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
    unknown_stem_ok = _freq(word) == 0 or token.tag in SPECIFIC_TAGS
    admin = next((s for s in ZH_ADMIN_WORD_SUFFIXES if word.endswith(s)), None)
    if admin is not None:
        stem = word[: -len(admin)]
        return _names_a_place(stem, admin, unknown_stem_ok) and not (token.tag == "n" and _kind_of_area(stem, word))
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
    # The stop list says a stem alone is no name (建国 is a given name); a road jieba lists whole
    # under it (建国路/nz, 友谊路/ns) is still a road.
    listed_as_named_road = token.tag in _NAMED_ROAD_TAGS
    if _freq(word) == 0 or _freq(stem) == 0 or not _whole_stem(stem, road, listed=listed_as_named_road):
        return False
    return listed_as_named_road or (
        road == "路"
        and _freq(stem) < _COMMON_NOUN_FREQ
        and dictionary_tags(stem) == ["n"]
    )


def _names_a_place(stem: str, unit: str, unknown_stem_ok: bool = True) -> bool:
    """`stem` before `unit` is a name: a word jieba's dictionary tags as a name (越秀/nr, 番禺/ns) and
    that is no common word (丘陵/nr 2477: 丘陵区, hill country; 中国区, a firm's China region), or
    characters it knows no word of (张江, 布吉). Not an abbreviation (农牧/j: 农牧区, farming areas)."""
    if not _whole_stem(stem, unit):
        return False
    if _freq(stem) == 0:
        return unknown_stem_ok and _unknown_name(stem)
    tags = dictionary_tags(stem)
    return len(tags) == 1 and tags[0] in SPECIFIC_TAGS - {"j"} and _freq(stem) < _COMMON_NOUN_FREQ


def _whole_stem(stem: str, unit: str, listed: bool = False) -> bool:
    """At least two characters, none a particle or pronoun, and the unit not the end of a common word of
    its own: 高速公路 is 高速 + 公路, 数字电路 数字 + 电路, 康复之路 康复 + 之路, 大城市 大 + 城市 (民生路
    is 民生 + 路: 生路 is a rare word). With `listed`, jieba's dictionary lists the word whole as a named
    road (和平路/nz, 建国路/nz): its stem may be a stop word or hold a character no given name has (和)."""
    if len(stem) < 2 or (not listed and stem in ZH_STOP_WORDS) or stem.endswith("之"):
        return False
    if not listed and any(ch in ZH_NOT_NAME_CHARS for ch in stem):
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
        and all(len(part) == 1 for part in dictionary_words(word))
        and not _GRAMMAR_TAGS.intersection(dictionary_tags(word))  # 隐于/市: 于 is a preposition
    )


def _named_road_stem(word: str) -> bool:
    """A word jieba's dictionary lists with 路 as a named road (解放路/nz, 建设路/nt, 文化路/nz), whatever
    it tags the word itself (解放/v), and no kind of road (致富路)."""
    road = to_simplified(word) + "路"
    return (
        len(word) >= 2
        and bool(_CJK.match(word))
        and word not in ZH_ROAD_KINDS
        and _freq(road) > 0
        and word_tag(road) in _NAMED_ROAD_TAGS
    )


def _names_a_town_before(word: str, unit: str) -> bool:
    """`word` before a separate unit names the place: the dictionary lists it as a town's name (呈贡县/ns),
    or, before a township or village, as a road's (建设路/nt: 建设乡)."""
    return _known_town(word) or (unit in _VILLAGE_UNITS and _named_road_stem(word))


def _two_character_noun(token: Token) -> bool:
    """世纪 of 世纪大道, 金融 of 金融大街: a two-character common noun before 大道 or 大街 names the road
    (not a kind of road, 康庄大道, nor a stop word, 阳光大道; 社会主义大道 is four characters)."""
    word = token.word
    return (
        len(word) == 2
        and token.tag.startswith("n")
        and bool(_CJK.match(word))
        and word not in ZH_ROAD_KINDS
        and word not in ZH_STOP_WORDS
        and not any(ch in ZH_NOT_NAME_CHARS for ch in word)
    )


def _kind_of_area(stem: str, word: str) -> bool:
    """农耕 of 农耕区: a common word (see _COMMON_STEM_FREQ) that makes other common nouns in jieba's
    dictionary (农耕业, 农耕机), so the word it makes with a unit is a kind of area, not a district."""
    others = [noun for noun in common_nouns_starting(to_simplified(stem)) if noun != to_simplified(word)]
    return _freq(stem) >= _COMMON_STEM_FREQ and bool(others)


def _split_name_findings(text: str, index: Index) -> list[Finding]:
    """Places whose name jieba cuts into characters or across its unit:
    - 秣/陵/街道: single characters it knows no word of, then the unit;
    - 瓜/沥镇: its HMM glued the name's last character to the unit;
    - 增/城区, 坪/山区: the name's last character and the unit make a word of their own (城区 "urban
      area", 山区 "hill country"); the characters are a name jieba does not know (坪山) or one its
      dictionary lists as a town (增城县), never a common word (全城区, 老城区, 去山区);
    - 新店區北/新路, 高淳/区桠/溪镇: its HMM glued a district's unit to the first character of the road
      or town after it."""
    found = []
    tokens = index.tokens
    for i, token in enumerate(tokens):
        tail = _glued_unit_tail(tokens, i)
        if tail is not None:
            found.append(make(text, tail, tokens[i + 1].end, "PLACE", "jieba"))
            found.append(make(text, tokens[i - 1].start, tail, "PLACE", "jieba"))  # 高淳 + 区 (高淳/区桠)
            continue
        head = _name_end_before_unit(token)
        if head is None:
            continue
        name, j, nouns = head, i, True
        while j > 0 and len(name) < 3 and tokens[j - 1].end == tokens[j].start and _lone_character(tokens[j - 1]):
            j -= 1
            name = tokens[j].word + name
            nouns = nouns and _noun_like(tokens[j])
            if len(name) >= 2 and (_known_town(name) or nouns and _unknown_name(name)):
                found.append(make(text, tokens[j].start, token.end, "PLACE", "jieba"))
                break
    return found


def _name_end_before_unit(token: Token) -> str | None:
    """What of `token` belongs to the name before its unit: nothing for a unit alone (街道, 镇), the first
    character of a unit word jieba glued (沥镇, unknown to it) or lists (城区, 山区); None for other words."""
    word = token.word
    if word in ZH_ADMIN_WORD_SUFFIXES or word in ZH_ROAD_WORD_SUFFIXES:
        return ""
    if len(word) != 2 or not _CJK.match(word) or word[0] in _NOT_IN_SPLIT_NAMES or word[0] in ZH_NOT_NAME_CHARS:
        return None
    if word[1] in _SPLIT_DISTRICT_UNITS or (word[1] in UNIT_CHARACTERS and _freq(word) == 0):
        return word[0]
    return None


def _lone_character(token: Token) -> bool:
    """A character jieba cut off alone that may start a place's name: no particle, pronoun, numeral or unit."""
    word = token.word
    return (
        len(word) == 1
        and bool(_CJK.match(word))
        and token.tag not in FUNCTION_TAGS  # 两/m 城区, 各/r 城区
        and word not in NUMERALS
        and word not in _NOT_IN_SPLIT_NAMES
        and word not in ZH_NOT_NAME_CHARS
    )


def _noun_like(token: Token) -> bool:
    """A noun, bound morpheme or time word in jieba's dictionary (瓜/n, 坪/ns, 秣/g, 陵/ng, 冬/t): the characters of a
    name jieba does not know are no verb, adjective, direction or numeral (去/山区, 东/校区, 两/城区). The
    dictionary's tag, not the one jieba gives in context: it tags 老 in 老/院区 n, the dictionary a."""
    tags = dictionary_tags(token.word)
    # 冬/t of 冬/山鄉: a season or time character alone, cut off a name, is no time said before a unit word.
    return len(tags) == 1 and (tags[0].startswith("n") or tags[0] in {"g", "j", "t"})


def _known_town(name: str) -> bool:
    """A word jieba's dictionary lists as a town's name (增城: 增城县/ns), no common word and not on the
    stop list (小城: 小城镇/n "small towns")."""
    return (
        _freq(name) < _COMMON_NOUN_FREQ
        and name not in ZH_STOP_WORDS
        and any(word_tag(to_simplified(name) + form) == "ns" for form in ZH_TOWN_FORMS)
    )


def _glued_unit_tail(tokens: list[Token], i: int) -> int | None:
    """Where a road's or town's name starts inside a word jieba's HMM made of a district's unit and the
    next characters (新店/區北/新路: 區 ends 新店區, 北 starts 北新路; 高淳/区桠/溪镇), or None. The word
    before is a name (jieba tags 高淳 a person's, nr) and the word after a road or town word."""
    token = tokens[i]
    word = token.word
    if i == 0 or i + 1 >= len(tokens) or len(word) < 2 or word[0] not in UNIT_CHARACTERS or _freq(word) > 0:
        return None
    before, after = tokens[i - 1], tokens[i + 1]
    if before.end != token.start or after.start != token.end:
        return None
    if before.tag not in SPECIFIC_TAGS or len(before.word) < 2:
        return None
    if not _CJK.match(word) or any(ch in ZH_NOT_NAME_CHARS or ch in _NOT_IN_SPLIT_NAMES for ch in word[1:]):
        return None
    if not after.word.endswith(_ROAD_OR_TOWN_UNITS) or not _CJK.match(after.word) or after.word in ZH_STOP_WORDS:
        return None
    return token.start + 1


def consumed(tokens: list[Token], i: int) -> bool:
    """Token i is what someone smokes or drinks, or counted in packs (抽万宝路, 抽的是万宝路, 一包万宝路),
    or it comes before 烟 (万宝路香烟): a product, though a road may share its name."""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if nxt is not None and nxt.start == tokens[i].end and nxt.word in _PRODUCT_AFTER:
        return True
    j, start = i - 1, tokens[i].start
    while j >= 0 and tokens[j].end == start and tokens[j].word in _BETWEEN_VERB_AND_OBJECT and i - j <= 2:
        start, j = tokens[j].start, j - 1
    if j < 0 or tokens[j].end != start:
        return False
    return tokens[j].word in _CONSUMING_VERBS or bool(_PACK.match(tokens[j].word))


def _tagged_place(token: Token) -> bool:
    """ns, or a dictionary word of a surname and one character that jieba tags nr and lists as a place too
    (许昌/nr, 许昌市; 钟山/nr, 钟山县): such words are no people (chinese_names.plausible_name) but may be places."""
    word = token.word
    if len(word) == 2 and word[0] in UNIT_CHARACTERS and word[1] in _LOCATIVES:
        return False
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
        return not any(tag.startswith("n") for tag in dictionary_tags(token.word))
    counted = before is not None and before.tag in {"m", "mq", "q"} and _NUMERAL_CLASSIFIER_ANY.match(before.word)
    return bool(counted) and not _listed_as_place(token.word)


def _listed_as_place(word: str) -> bool:
    return any(_freq(word + form) > 0 for form in ZH_PLACE_FORMS)


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
    if suffixes == ZH_STREET_SUFFIXES and i >= 1 and (tail := _glued_unit_tail(index.tokens, i - 1)) is not None:
        return tail  # 新店區北新路三段: 區北/新路
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
