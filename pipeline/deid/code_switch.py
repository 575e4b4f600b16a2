"""Names written across scripts in code-switched talk (English with Mandarin or Cantonese, as in Singapore,
Hong Kong and Malaysia), which neither language's rules see whole:

- a Latin given name right after a Chinese kinship or role word: 我表妹 Rachel, 中學同學 Janice;
- an English title before a Chinese surname or full name: Dr 黄, Mdm 陈美玲 (the title is kept);
- "Ah" (the Hokkien and Cantonese 阿) before a Latin name: Ah Huat becomes "Ah [PERSON_n]", as 小林 becomes
  小[PERSON_n], unless the word after it is a kinship word (Ah Ma, Ah Gong) or a stop word ("Ah I see");
- a Chinese surname right before a Latin given name found as a person: 陈 Mei Ling is replaced whole
  (`with_chinese_surnames`), so no surname is left beside the placeholder;
- a Latin surname right before a Chinese title: Tan 医生, Lim 醫生, Chan 太太 (the title is kept, as 黄 of 黄医生
  goes and 医生 stays).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from qualflow.pipeline.deid.chinese_tokens import NR_TAGS, Index
from qualflow.pipeline.deid.english import _NAME_WORD, _TITLE_PREFIX, _name_end
from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import (
    COMPOUND_SURNAMES,
    EN_FILE_NAME_WORDS,
    EN_NOT_NAMES,
    EN_PERSON_NOUNS,
    EN_RELATION_NOUNS,
    EN_TITLES,
    NON_CHINESE_SURNAMES,
    ROMANISED_SURNAMES,
    SURNAMES,
    ZH_NOT_NAME_CHARS,
    ZH_RELATION_WORDS,
    ZH_TITLE_SET,
    is_common_english_word,
    longest_first,
    with_traditional,
)

_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
# Cantonese and colloquial kinship and workplace words a given name follows (家姐 Mandy, 老細 Kelvin),
# besides the Mandarin ones of ZH_RELATION_WORDS and the titles (姑娘 is a Hong Kong nurse).
_CANTONESE_RELATIONS = with_traditional("家姐 细佬 细妹 阿妹 阿哥 老豆 老窦 阿妈 阿爸 老细 上司 拍档 姑娘 同工".split())
_BEFORE_LATIN_NAME = longest_first(ZH_RELATION_WORDS | ZH_TITLE_SET | _CANTONESE_RELATIONS)
_RELATION_THEN_LATIN = re.compile(
    "(?:" + "|".join(map(re.escape, _BEFORE_LATIN_NAME)) + r")[ \t]?"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
# Apps said as verbs or tools after a kinship or role word (我同事 WhatsApp 我, 我老公 Zoom 开会): no given name.
# (A platform someone works for, 我老公 Shopee 做嘢, is let go by the detector: lexicon.PLATFORM_NAMES.)
_APP_NAMES = frozenset("whatsapp zoom teams wechat telegram facebook instagram excel google skype messenger".split())
# English titles written before Chinese names in Singapore, Hong Kong and Malaysia; Mdm and Madam are
# how Singapore writes Mrs, Puan and Encik Malaysia's Mrs and Mr.
_TITLES_BEFORE_CHINESE = (
    "Mr Mrs Ms Miss Mx Mdm Madam Dr Doctor Prof Professor Nurse Sister Uncle Auntie Aunty Aunt Puan Encik Cik".split()
)
_TITLE_THEN_CJK = re.compile(
    r"(?<![A-Za-z])(?i:" + "|".join(sorted(_TITLES_BEFORE_CHINESE, key=len, reverse=True)) + r")\.?[ \t]*(?=[\u3400-\u9fff])"
)
# Chinese titles a Latin surname comes before in code-switched talk (Tan 医生, Lim 醫生, Wong 經理, Chan 太太).
_TITLES_AFTER_LATIN = longest_first(with_traditional(
    "医生 医师 老师 律师 先生 小姐 太太 主任 教授 经理 姑娘 护士 社工 校长".split()
))
# A Latin name word: D'Souza and O'Brien with their prefix, Au-Yeung with its hyphen.
_LATIN_WORD = r"(?:[DO]['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
# Lower-case words inside a name: Malay bin and binti (son and daughter of), Indian a/l and a/p (the same),
# Filipino and Portuguese de, da, dos, del, dela (Siti binti Ahmad 老师, Maria dela Cruz 姑娘).
_NAME_PARTICLES = frozenset("bin binti bte a/l a/p s/o d/o de da dos del dela".split())
_PARTICLE = "(?:" + "|".join(map(re.escape, sorted(_NAME_PARTICLES, key=len, reverse=True))) + r")[ \t]+"
_LATIN_THEN_TITLE = re.compile(
    rf"(?<![A-Za-z'’\-])(?P<name>(?:{_LATIN_WORD}[ \t]+(?:{_PARTICLE})?){{0,2}}{_LATIN_WORD})[ \t]?(?="
    + "|".join(_TITLES_AFTER_LATIN) + ")"
)
# The surnames a Latin word before a Chinese title must be to be a name on its own (Tan 医生, Fernandez 医生).
_SURNAMES_BEFORE_TITLES = ROMANISED_SURNAMES | NON_CHINESE_SURNAMES
# Two surnames that together are a place said as the kind of doctor or teacher (Hong Kong 医生): Hong (洪)
# and Kong (江, 鄺) alone before a title are surnames; after one another, the city, which the place rules find.
_PLACES_OF_SURNAMES = frozenset({("hong", "kong")})
# What kind of doctor, teacher or manager, said in English before the Chinese title (Ortho 醫生, Chem 老师,
# Ops 经理): shortened words and place names the English dictionary does not list.
_KINDS_BEFORE_TITLES = frozenset(
    "ortho paed paeds peds onco psych psy neuro cardio gynae obgyn gastro derm derma uro ent renal resp "
    "geri rehab physio chem bio econs geog phys accts poa sci lang comp ops acct kl jb".split()
)
# Singlish and Hong Kong English exclamations that open a sentence (Wah 老师好凶, Aiyo 医生又迟到): no surname.
# (Not "wei": Wei 医生 is the surname 魏 or 韦 far too often to keep.)
_EXCLAMATIONS = frozenset(
    "wah wa waa walao walau wahlau alamak aiyo aiyoh ayo ayoyo aiya aiyah aiyer haiz haih eh oi wey lah leh lor "
    "meh sia hor".split()
)
_ENGLISH_TITLES = frozenset(t.casefold() for t in (*EN_TITLES, *_TITLES_BEFORE_CHINESE))
_AH_THEN_NAME = re.compile(rf"(?<![A-Za-z])(?:Ah|ah)[ \t]+(?P<name>{_NAME_WORD})")
# Kinship words after "Ah" in Hokkien, Teochew and Cantonese (Ah Ma, Ah Gong, Ah Yi, Ah Pek): no name.
_AH_KINSHIP = frozenset("ma mah mak pa pah ba gong kong po por mm yi yee ee soh so sor ko hia chek pek peh sim ku koo tee "
                        "di ti mui boy girl sir".split())


def code_switch_findings(text: str, names: Index) -> list[Finding]:
    """PERSON findings of the first three shapes; `names` is the Chinese name rules' jieba cut."""
    from spacy.lang.en.stop_words import STOP_WORDS

    # Stop words end a name as after an English relationship word ("my son Then"); so do words for people
    # and the words of work and files (同事 Team, 同學 Group), which are no given names.
    not_names = STOP_WORDS | EN_NOT_NAMES | EN_PERSON_NOUNS | EN_RELATION_NOUNS | EN_FILE_NAME_WORDS | _APP_NAMES
    found = []
    for m in _RELATION_THEN_LATIN.finditer(text):
        if _TITLE_PREFIX.match(m.group("name") + " "):
            continue  # 校长 Puan Siti: the English title rule's, which keeps the title
        end = _name_end(text, m.start("name"), m.end("name"), not_names)
        if end > m.start("name"):
            found.append(make(text, m.start("name"), end, "PERSON", "title-rule"))
    for m in _TITLE_THEN_CJK.finditer(text):
        end = _chinese_name_end(text, m.end(), names)
        if end:
            found.append(make(text, m.end(), end, "PERSON", "title-rule"))
    for m in _LATIN_THEN_TITLE.finditer(text):
        start = _surname_run_start(m, not_names)
        if start < m.end("name"):
            found.append(make(text, start, m.end("name"), "PERSON", "title-rule"))
    for m in _AH_THEN_NAME.finditer(text):
        word = m.group("name").casefold()
        if word not in _AH_KINSHIP and word not in not_names:
            found.append(make(text, m.start("name"), m.end("name"), "PERSON", "title-rule"))
    return found


def _surname_run_start(m: re.Match, not_names: Collection[str]) -> int:
    """Where the name before a Chinese title starts: the words right before the title, from the last, while
    each can be part of a name (Tan Mei Ling 老师 whole; Dr Tan 医生 from Tan; English 老师: none, the
    match's end). The run is a name only if it holds a listed surname (_SURNAMES_BEFORE_TITLES) or is two
    words or more (Mei Ling 老师): one other word is the kind of teacher or slang (Kindy 老师, Paiseh 医生).
    A particle (bin, a/l, dela) is part of the run only with a name word before it, which may then be an
    English word too (Joy dela Cruz, Ana dela Cruz: Filipino given names often are); Hong Kong stops it.
    A capitalised particle right before a name word of the run is part of it whatever comes before (De Souza,
    Del Rosario, Dela Cruz), and the word before it is judged as any other (Ask De Souza gives De Souza); a
    capitalised particle last in the run is read as before (Ming Da, Jian De: given names)."""
    start = m.end("name")
    words = list(re.finditer(r"\S+", m.group("name")))
    count = 0
    has_surname = False
    after_particle = False
    for i in range(len(words) - 1, -1, -1):
        word = words[i].group()
        if word.casefold() in _NAME_PARTICLES:
            if word[:1].isupper() and i + 1 < len(words) and start == m.start("name") + words[i + 1].start():
                # De Souza, Del Rosario, Dela Cruz: written capitalised, the particle opens the surname, so it
                # goes with it; the word before it must then be a name word on its own (Ask De Souza).
                start = m.start("name") + words[i].start()
                after_particle = False
                continue
            after_particle = True  # start moves past it only when the word before it is a name word
            continue
        if i > 0 and (words[i - 1].group().casefold(), word.casefold()) in _PLACES_OF_SURNAMES:
            break
        if not _name_word(word, not_names, english_too=after_particle):
            break
        start = m.start("name") + words[i].start()
        count += 1
        has_surname = has_surname or _listed_surname(word)
        after_particle = False
    return start if has_surname or count >= 2 else m.end("name")


def _listed_surname(word: str) -> bool:
    """Whether `word` is a listed surname: whole, after its D' or O' (D'Souza as Souza), or every part of a
    hyphenated one (Au-Yeung)."""
    folded = word.casefold().replace("’", "'")
    parts = folded.split("-")
    return (folded in _SURNAMES_BEFORE_TITLES or folded.split("'")[-1] in _SURNAMES_BEFORE_TITLES
            or all(part in _SURNAMES_BEFORE_TITLES for part in parts))


def _name_word(word: str, not_names: Collection[str], english_too: bool = False) -> bool:
    """`word` before a Chinese title can be part of a name: a listed surname, though an English word too
    (Tan, Lee, Song, Smith), or no English word (any word, with `english_too`), and no stop word, kind of
    doctor or teacher, app, title or exclamation (Lim, Mei, Kumar; not English 老师, Senior 医生, Ortho 醫生,
    Zoom 老师, Dr 黄医生, Wah 老师好凶)."""
    folded = word.casefold()
    if folded in not_names or folded in _KINDS_BEFORE_TITLES or folded in _ENGLISH_TITLES or folded in _EXCLAMATIONS:
        return False
    return english_too or _listed_surname(word) or not is_common_english_word(word)


def _chinese_name_end(text: str, start: int, names: Index) -> int | None:
    """Where a Chinese name starting at `start` after an English title ends: jieba's whole name (黄志明/nr),
    else the surname alone (黄 of "Dr 黄 is"), unless jieba reads a longer ordinary word there (白天)."""
    surname = _surname_at(text, start)
    if surname is None:
        return None
    token = names.token_at(start)
    if token is not None and token.tag in NR_TAGS and 2 <= len(token.word) <= 4:
        return token.end
    if token is not None and len(token.word) > len(surname):
        return None
    return start + len(surname)


def _surname_at(text: str, start: int) -> str | None:
    compound = text[start:start + 2]
    if compound in COMPOUND_SURNAMES:
        return compound
    character = text[start:start + 1]
    return character if character in SURNAMES and character not in ZH_NOT_NAME_CHARS else None


def with_chinese_surnames(text: str, found: list[Finding], boundaries: set[int] | None) -> list[Finding]:
    """A Latin PERSON with a Chinese surname right before it (陈 Mei Ling, 陈Mei Ling) widened to hold the
    surname. The surname must stand alone: after no Chinese, or as a word of its own in jieba's cut
    (我同事陈 Mei Ling), so the last character of a word (喜欢 Mei Ling) is never taken."""
    widened = []
    for f in found:
        start = _surname_before(text, f, boundaries or set()) if f.kind == "PERSON" else None
        widened.append(make(text, start, f.end, "PERSON", f.source) if start is not None else f)
    return widened


def _surname_before(text: str, finding: Finding, boundaries: set[int]) -> int | None:
    if _CJK_CHAR.search(finding.text) or not finding.text[:1].isupper():
        return None
    end = finding.start
    if end > 0 and text[end - 1] in " \t":
        end -= 1
    for length in (2, 1):
        start = end - length
        if start < 0 or _surname_at(text, start) is None or len(_surname_at(text, start)) != length:
            continue
        alone = start == 0 or not _CJK_CHAR.match(text[start - 1]) or (start in boundaries and end in boundaries)
        if alone:
            return start
    return None
