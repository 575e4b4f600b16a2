"""Chinese personal names: jieba's nr tags filtered for precision, and the title rules.

Titles are kept and only the surname is replaced: 王医生 -> [PERSON_1]医生, 小林 -> 小[PERSON_1],
老张 -> 老[PERSON_1], 姓贺 -> 姓[PERSON_1]. Full names (郑丽萍, 林浩然) are replaced whole.
"""

from __future__ import annotations

import re

from qualflow.pipeline.chinese_script import to_simplified
from qualflow.pipeline.deid.chinese_tokens import CJK_WORD as _CJK
from qualflow.pipeline.deid.chinese_tokens import NR_TAGS as _NR
from qualflow.pipeline.deid.chinese_tokens import Index, Token
from qualflow.pipeline.deid.chinese_tokens import freq as _freq
from qualflow.pipeline.deid.chinese_tokens import name_ending_share
from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import (
    COMMON_SURNAMES,
    COMPOUND_SURNAMES,
    FUNCTION_TAGS,
    SURNAMES,
    TRANSLITERATION_CHARS,
    ZH_AFTER_YU,
    ZH_MODAL_VERBS,
    ZH_NOT_NAME_CHARS,
    ZH_NUMERAL_CHARS,
    ZH_PREPOSITION_SURNAMES,
    ZH_RELATION_WORDS,
    ZH_ROLE_SUFFIXES,
    ZH_STOP_WORDS,
    ZH_SUBJECT_PRONOUNS,
    ZH_TITLE_SET,
    ZH_TITLES,
    ZH_TOWARD_VERBS,
    with_traditional,
)

_GIVEN_NAME_TAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nz", "z", "ng", "zg", "a", "n", "j"})
_NAMEISH_TAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nz", "z"})
_COMMON_FREQ = 500  # a dictionary word this common is a word first, a name second (明白, 康复, 孙子)
_RARE_GIVEN_FREQ = 100
_SURNAME_ALT = "|".join(sorted(COMPOUND_SURNAMES) + sorted(SURNAMES))
_COMMON_ALT = "|".join(sorted(COMPOUND_SURNAMES) + sorted(COMMON_SURNAMES))
_SURNAME_BEFORE_TITLE = re.compile(rf"(?P<s>{_COMMON_ALT})(?={'|'.join(ZH_TITLES)})")
_XIAO_LAO = re.compile(rf"(?<=[小老])(?P<s>{_COMMON_ALT})")
# Tags jieba gives 小/老 + a common surname as one word when it means that person: a name or noun (小林/nr,
# 小王/n), and, as its dictionary lists them, a time word or pronoun (小周/t, 老宋/t, 老何/r), which no
# such word means. Not d or p: 老是 "always", 小于 "less than".
_XIAO_LAO_NAME_TAGS = frozenset({"nr", "nrfg", "nrt", "n", "ng", "nz", "t", "r"})
# 姓 in 百姓, 贵姓, 同姓, 异姓, 改姓, 本姓 names no one.
_NOT_XING_BEFORE = "".join(sorted(with_traditional("百贵同异改本")))
_XING = re.compile(rf"(?<![{_NOT_XING_BEFORE}])姓(?P<s>{_SURNAME_ALT})(?![名氏])")
# What jieba joins to a title's end: 王医生们, 李主任说, 张老师家.
_JOINED_AFTER_TITLE = with_traditional("们 说 家".split())
_PLURAL = with_traditional(["们"])
_CALLED = re.compile(r"(?:叫做|名叫|名字叫|名字是|叫)(?=[\u4e00-\u9fff])")
_DOT = re.compile(r"[·•・‧]")


def plausible_name(word: str, tag: str | None = None) -> bool:
    """A full personal name: surname + given name, or a transliterated foreign name."""
    if word in ZH_STOP_WORDS or not _CJK.match(word) or any(ch in ZH_NOT_NAME_CHARS for ch in word):
        return False
    if _role_noun(word):
        return False
    if any(word.endswith(title) for title in ZH_TITLE_SET) and len(word) <= 4:
        return False  # 张老师, 刘大夫: the title rules take the surname
    if word[:2] in COMPOUND_SURNAMES and 3 <= len(word) <= 4:
        return True
    if len(word) == 2 and word[0] in SURNAMES and _freq(word) > 0 and tag != "nrfg":
        # Most two-character names people go by (李明, 王芳, 陈静) are not in jieba's dictionary, and
        # most of the surname-initial words it lists and tags nr are ordinary words, however rare
        # (白班, 高三, 顾全, 周旋, 高雅). Such a word may be a name only where its last character mostly
        # ends names (李娜, 安娜: 娜) or jieba tags it a full name (李强/nrfg); a title or 叫 still
        # finds the rest (白护士, 叫高峰).
        if name_ending_share(word[1]) <= 0.5:
            return False
    if word[0] in SURNAMES and 2 <= len(word) <= 3 and _freq(word) < _COMMON_FREQ:
        # A rarer surname that is also a common verb or noun (查, 包) needs a given name that is
        # not itself a common word: 包桂兰 yes, 包饺子 and 查药 no.
        return word[0] in COMMON_SURNAMES or _freq(word[1:]) < _RARE_GIVEN_FREQ
    if tag is not None and len(word) == 2 and tag != "nr":
        return False  # jieba's nrt holds many two-character words (科里, 令人, 保姆)
    if len(word) == 2 and _freq(word) == 0:
        return False  # two common characters jieba's HMM joined (班加 in 两头班加夜班), not 玛丽 or 安娜
    return len(word) >= 2 and all(ch in TRANSLITERATION_CHARS for ch in word) and _freq(word) < 2000


def _role_noun(word: str) -> bool:
    """康复者, 施暴者, 幸存者, 协管员: a word of the dictionary + 者/员 names a role, not a person,
    though jieba tags some nr (康复者 becoming [PERSON_n] everywhere hides who a transcript is about)."""
    return len(word) >= 2 and word[-1] in ZH_ROLE_SUFFIXES and _freq(word[:-1]) > 0


def _given_name(token: Token, surname: Token) -> bool:
    word = token.word
    if not _CJK.match(word) or word in ZH_STOP_WORDS or word in ZH_TITLE_SET or token.tag not in _GIVEN_NAME_TAGS:
        return False
    if surname.tag not in _NR | {"ng", "nz", "ns"} and token.tag not in _NAMEISH_TAGS:
        return False  # 包/v 饺子/n is a verb and its object; 包/v 桂兰/ns is a name
    if any(ch in ZH_NOT_NAME_CHARS for ch in word):
        return False
    if len(word) == 1:
        return token.tag in {"nr", "nrfg", "ng"}
    return len(word) == 2 and _freq(word) < _COMMON_FREQ


def _is_surname_token(token: Token) -> bool:
    return (token.word in SURNAMES or token.word in COMPOUND_SURNAMES) and token.tag not in FUNCTION_TAGS


def person_findings(text: str, index: Index) -> list[Finding]:
    found = []
    tokens = index.tokens
    for i, token in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if (
            _is_surname_token(token)
            and nxt is not None
            and nxt.start == token.end
            and _given_name(nxt, token)
            and len(token.word) + len(nxt.word) <= 4
        ):  # 林/浩然, 司马/晓峰, 包/桂兰
            found.append(make(text, token.start, nxt.end, "PERSON", "jieba"))
            continue
        if token.tag in _NR and plausible_name(token.word, token.tag):
            found.append(make(text, token.start, token.end, "PERSON", "jieba"))
        elif (i > 0 and tokens[i - 1].end == token.start and tokens[i - 1].word in ZH_RELATION_WORDS
              and _given_name_after_relation(token)):  # 我女儿/小红
            found.append(make(text, token.start, token.end, "PERSON", "jieba"))
    # Foreign names joined by a middle dot: 艾米丽·沃森.
    for dot in _DOT.finditer(text):
        left = index.tokens[index.ends[dot.start()]] if dot.start() in index.ends else None
        right = index.token_at(dot.end())
        if left and right and _foreign_part(left) and _foreign_part(right):
            end = right.end
            j = index.starts[right.start] + 1
            while j + 1 < len(tokens) and _DOT.fullmatch(tokens[j].word) and _foreign_part(tokens[j + 1]):
                end = tokens[j + 1].end
                j += 2
            found.append(make(text, left.start, end, "PERSON", "jieba"))
    return found


def _given_name_after_relation(token: Token) -> bool:
    """小红, 秀英, 婷婷 right after 女儿, 老婆…: jieba tags many two-character words nr or z, so
    alone these are not taken; after a relationship word a rare one is a given name. Common
    words (明明, 小时候) and 小王/老张 (the title rule replaces just the surname) are left."""
    word = token.word
    if len(word) != 2 or not _CJK.match(word) or word in ZH_STOP_WORDS or any(ch in ZH_NOT_NAME_CHARS for ch in word):
        return False
    if word[0] in "小老" and word[1] in SURNAMES:
        return False
    doubled = word[0] == word[1] and token.tag in {"a", "z"}  # 婷婷/z, 欣欣/a
    return (token.tag in _NR | {"z"} or doubled) and _freq(word) < _COMMON_FREQ


def _foreign_part(token: Token) -> bool:
    word = token.word
    return bool(_CJK.match(word)) and (token.tag in _NR or all(ch in TRANSLITERATION_CHARS for ch in word))


def title_findings(text: str, index: Index, lo: int, hi: int) -> list[Finding]:
    """王医生, 小林, 老张, 姓贺, 叫林浩然: the surname (or name) only, as PERSON."""
    found = []
    for m in _SURNAME_BEFORE_TITLE.finditer(text, lo, hi):
        if surname_before_title(text, index, m.start("s"), m.end("s")):
            found.append(make(text, m.start("s"), m.end("s"), "PERSON", "title-rule"))
    for m in _XIAO_LAO.finditer(text, lo, hi):
        start, end = m.start() - 1, m.end()
        if start not in index.starts or end not in index.ends:
            continue
        token = index.token_at(start)
        if token.end == end:  # one token: 小林, 老王 (but not 小于, 小康, 老是)
            if text[start:end] in ZH_STOP_WORDS or token.tag not in _XIAO_LAO_NAME_TAGS:
                continue
        else:
            surname = index.token_at(m.start())
            if surname is None or surname.end != end or surname.tag in FUNCTION_TAGS:
                continue
        found.append(make(text, m.start(), end, "PERSON", "title-rule"))
    for m in _XING.finditer(text, lo, hi):
        found.append(make(text, m.start("s"), m.end("s"), "PERSON", "title-rule"))
    for m in _CALLED.finditer(text, lo, hi):
        name = _called_name(text, m.end(), index)
        if name:
            found.append(make(text, m.end(), name, "PERSON", "title-rule"))
    return found


def surname_before_title(text: str, index: Index, start: int, end: int) -> bool:
    """Whether text[start:end], a common surname with a title after it, is that person's surname.

    jieba tags a lone surname as it pleases (张/q, 刘/zg, 何/r, 许/m), so its tag is no guide: the
    surname is one unless the words around make it a classifier (一张, 几十万) or a preposition
    (向老师请教, 于医生而言)."""
    title_end = _title_end(text, end, index)
    token = index.token_at(start) or _surname_cut_off_a_word(index, start, end)
    if title_end is None or token is None or token.end < end:
        return False  # no title, or the surname is the end of another word (主张)
    if token.end > title_end:
        return _freq(token.word) == 0  # jieba's guess at an unknown word (王姐学/nr), not a word (高中)
    if token.end > end:
        return True  # one word for jieba (张老师/nr), or it joined the surname to the title's start (何处/长, 孙女/士)
    return not _after_a_numeral(text, start) and not _used_as_preposition(index, token, title_end)


def _surname_cut_off_a_word(index: Index, start: int, end: int) -> Token | None:
    """跟/着陆/医生: jieba joined the surname to the character before it, though that character
    makes a common word with the one before (跟着), so the surname stands alone (跟着/陆/医生).
    In 主张医生 nothing before 主 makes a word with it: 张 stays part of 主张."""
    token = index.token_covering(start)
    if token is None or token.end != end or token.start == start:
        return None
    before = _token_ending_at(index, token.start)
    if before is None or _freq(before.word + token.word[: start - token.start]) < _COMMON_FREQ:
        return None
    return Token(start, end, token.word[start - token.start :], "nr")


def _title_end(text: str, at: int, index: Index) -> int | None:
    """Where the longest title at `at` ends, if it ends a word there. jieba often joins a title's
    end to the next word (王护理/师人, 王社/工人, 王总学的), so a title of two characters or more
    counts wherever it ends, and a one-character title (总, 姐, 哥) where it makes no dictionary
    word with what follows (钱总是不够: no title)."""
    for title in ZH_TITLES:
        end = at + len(title)
        if text.startswith(title, at) and (
            end in index.ends or len(title) >= 2 or _title_then_word(index, at, title) or _joined_to_no_word(index, end)
        ):
            return end
    return None


def _joined_to_no_word(index: Index, end: int) -> bool:
    token = index.token_covering(end - 1)
    return token is not None and _freq(token.word) == 0


def _title_then_word(index: Index, at: int, title: str) -> bool:
    """王医生们 / 李主任他们: the title ends inside a token only because jieba joined what follows."""
    token = index.token_at(at)
    return token is not None and token.word.startswith(title) and token.word[len(title) :] in _JOINED_AFTER_TITLE


def _after_a_numeral(text: str, start: int) -> bool:
    return start > 0 and text[start - 1] in ZH_NUMERAL_CHARS  # 两张医生开的单子, 这段老师不在


def _used_as_preposition(index: Index, surname: Token, title_end: int) -> bool:
    """向老师请教, 我向医生说了, 于医生而言: 向 and 于 as prepositions. After another preposition or a
    verb that is not modal (跟着向老师学, 觉得向医生…) 向 is a surname, and so it is where no verb
    follows (向医生人挺好的)."""
    if surname.word not in ZH_PREPOSITION_SURNAMES:
        return False
    before = _token_ending_at(index, surname.start)
    after = _token_starting_after_title(index, title_end)
    if before is not None and (before.tag in {"p", "c"} or (before.tag.startswith("v") and before.word not in ZH_MODAL_VERBS)):
        return False
    if after is None:
        return False
    if surname.word == "于":
        return after.word in ZH_AFTER_YU
    if after.word.startswith(ZH_TOWARD_VERBS):
        return True
    return before is not None and before.word in ZH_SUBJECT_PRONOUNS and after.tag.startswith("v")


def _token_ending_at(index: Index, end: int) -> Token | None:
    i = index.ends.get(end)
    return None if i is None else index.tokens[i]


def _token_starting_after_title(index: Index, title_end: int) -> Token | None:
    """The word after a title, over a plural 们 (向老师们请教)."""
    token = index.token_at(title_end)
    if token is not None and token.word in _PLURAL:
        token = index.token_at(token.end)
    return token


def _called_name(text: str, start: int, index: Index) -> int | None:
    """叫郑丽萍 -> end of 郑丽萍: a surname and one or two more characters, ending at a word boundary."""
    surname_len = 2 if text[start : start + 2] in COMPOUND_SURNAMES else 1
    if surname_len == 1 and text[start : start + 1] not in SURNAMES:
        return None
    if start not in index.starts:
        return None
    for length in (2, 1):
        end = start + surname_len + length
        word = text[start:end]
        if end not in index.ends or not _CJK.match(word) or any(ch in ZH_NOT_NAME_CHARS for ch in word):
            continue
        if word in ZH_STOP_WORDS or any(word.endswith(t) for t in ZH_TITLE_SET) or word[surname_len:] in ZH_TITLE_SET:
            continue
        first = index.token_at(start)
        if first.end == end:  # one word: a name only if jieba says so or does not know it (叫安全员: no)
            if first.tag in _NR or _freq(word) == 0:
                return end
        elif first.end == start + surname_len and _freq(word[surname_len:]) < _COMMON_FREQ:
            return end  # 林/浩然
    return None


def spread_title_pairs(text: str, index: Index, regions: list[tuple[int, int]], found: list[Finding]) -> list[Finding]:
    """A surname found with its title (张医生) is that person wherever the same pair occurs, whatever
    jieba makes of it there (我向张医生说了, 是许医生来了): the surname is found there too. Only the
    same pair: 张 with another title (张主任) may be someone else. Not where the surname ends another
    word (主张医生) or follows a numeral (一张医生开的证明)."""
    pairs = {(f.text, title) for f in found if f.source == "title-rule" and (title := _title_at(text, f.end))}
    taken = {(f.start, f.end) for f in found}
    spread = []
    for surname, title in sorted(pairs):
        for lo, hi in regions:
            for m in re.finditer(re.escape(surname + title), text[lo:hi]):
                start, end = lo + m.start(), lo + m.start() + len(surname)
                if (start, end) not in taken and _pair_stands_alone(text, index, start, end):
                    taken.add((start, end))
                    spread.append(make(text, start, end, "PERSON", "title-rule"))
    return spread


def _title_at(text: str, at: int) -> str | None:
    """The longest title at `at`, if any."""
    return next((title for title in ZH_TITLES if text.startswith(title, at)), None)


def _pair_stands_alone(text: str, index: Index, start: int, end: int) -> bool:
    starts_a_word = index.token_at(start) is not None or _surname_cut_off_a_word(index, start, end) is not None
    return starts_a_word and not _after_a_numeral(text, start)


# Characters that tie the person after them into a sentence (和小李, 跟老张, 问林浩然). jieba's HMM at
# times glues one to the name into a word it does not know (和小李/nr, 同小/j 李, 和林/nz 浩然), which
# no name rule then reads as a name. Not 向, 于, 任: they are surnames themselves (任小军).
_GLUING_CHARACTERS = with_traditional(list("和跟与同对给把被让叫找问是说请陪替带帮教喊"))
_RECUT_WINDOW = 8  # characters cut again: the name and a word or two after it, where the cuts meet again


def recut_glued_function_characters(text: str, tokens: list[Token]) -> list[Token]:
    """The tokens, with each word jieba made of a function character and the name after it cut again:
    the character alone, then the rest as jieba cuts it without the character (和小李 -> 和 小李/nr;
    同小/j 李 -> 同 小/a 李/nr; 和林/nz 浩然/a -> 和 林/ng 浩然/a), up to where the two cuts meet."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not _glued_to_a_name(token):
            out.append(token)
            i += 1
            continue
        last = i
        while (
            last + 1 < len(tokens)
            and tokens[last + 1].start == tokens[last].end
            and tokens[last].end - token.start < _RECUT_WINDOW
        ):
            last += 1
        old_ends = {t.end: j for j, t in enumerate(tokens[: last + 1]) if j >= i}
        out.append(Token(token.start, token.start + 1, token.word[0], _dictionary_tag(token.word[0], "p")))
        for new in _cut(text, token.start + 1, tokens[last].end):
            out.append(new)
            if new.end >= token.end and new.end in old_ends:
                break  # the window's end is always such a place
        i = old_ends[out[-1].end] + 1
    return out


def _glued_to_a_name(token: Token) -> bool:
    """和小李, 同小, 和林, 问杨洋: a function character and 小/老 or a surname, in a word jieba's
    dictionary does not have (it has 和平, 同学, 对象, 问题, 同仁, which are left whole)."""
    word = token.word
    return (
        len(word) >= 2
        and word[0] in _GLUING_CHARACTERS
        and bool(_CJK.match(word))
        and (word[1] in "小老" or word[1] in SURNAMES or word[1:3] in COMPOUND_SURNAMES)
        and _freq(word) == 0
    )


def _cut(text: str, start: int, end: int) -> list[Token]:
    """jieba's cut of text[start:end] (as its Simplified form, like chinese_tokens.tokenize)."""
    import jieba.posseg as pseg

    piece = text[start:end]
    simplified = to_simplified(piece)
    as_cut = simplified if len(simplified) == len(piece) else piece
    tokens, cursor = [], start
    for pair in pseg.cut(as_cut):
        tokens.append(Token(cursor, cursor + len(pair.word), text[cursor : cursor + len(pair.word)], pair.flag))
        cursor += len(pair.word)
    return tokens


def _dictionary_tag(word: str, default: str) -> str:
    import jieba.posseg as pseg

    pseg.dt.makesure_userdict_loaded()
    return pseg.dt.word_tag_tab.get(to_simplified(word), default)


# What follows a name as its sentence goes on, and which jieba may glue to the name's last character
# when the two make a dictionary word: 小/陈说 (陈说 "to state"), 李/明说 (明说 "to say openly").
_AFTER_A_NAME = with_traditional(list("说讲笑问哭喊"))


def recut_name_ends_glued_to_verbs(tokens: list[Token]) -> list[Token]:
    """The tokens, with each two-character word made of a name's last character and a verb after it cut
    in two: 小/陈说 -> 小 陈 说, 李/明说 -> 李 明 说. Only where what comes before shows a name: 小 or 老
    standing alone before a common surname (小陈), or a surname jieba cut alone and tagged a person's
    (李/nr; 张/q with no numeral before it, which a classifier would need). 他明说了, 看小说 and 我明白
    have no such word before them and stay whole. The cut-off character is tagged nr: it is the name's
    end (a given name, or the surname after 小/老); so is a surname jieba tagged as a classifier there."""
    out: list[Token] = []
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i > 0 and tokens[i - 1].end == token.start else None
        if before is not None and _name_end_glued_to_verb(tokens, i):
            if before.tag not in _NR and before.word not in ("小", "老"):
                out[-1] = Token(before.start, before.end, before.word, "nr")  # 张/q 明说 -> 张/nr
            out.append(Token(token.start, token.start + 1, token.word[0], "nr"))
            out.append(Token(token.start + 1, token.end, token.word[1:], "v"))
        else:
            out.append(token)
    return out


def _name_end_glued_to_verb(tokens: list[Token], i: int) -> bool:
    before, token = tokens[i - 1], tokens[i]
    word = token.word
    if len(word) != 2 or not _CJK.match(word) or word[1] not in _AFTER_A_NAME or word[0] in ZH_NOT_NAME_CHARS:
        return False
    if token.tag in FUNCTION_TAGS:
        return False  # 还是, 就是 are no verb after a name
    if before.word == "小":
        return word[0] in COMMON_SURNAMES  # 小/陈说
    if before.word == "老":
        # 老陈说得对, 跟老陈说; but after the one it is said of, 老 is "always": 他老胡说 (talks nonsense).
        subject = i >= 2 and tokens[i - 2].end == before.start and tokens[i - 2].tag[:1] in {"r", "n"}
        return word[0] in COMMON_SURNAMES and not subject
    # 李/明说: a surname alone, its given name the glued character. jieba tags a lone surname as it pleases
    # (张/q, 许/m, 刘/zg); as a classifier or numeral it comes after a numeral or 这/那 (一张, 这张).
    if before.word not in SURNAMES or word[0] in ZH_NUMERAL_CHARS:
        return False
    if before.tag in _NR:
        return True
    counted = i >= 2 and tokens[i - 2].end == before.start and tokens[i - 2].word[-1] in ZH_NUMERAL_CHARS
    return before.tag in {"q", "m", "zg"} and not counted
