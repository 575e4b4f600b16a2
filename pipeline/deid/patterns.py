"""Identifiers found by their shape, in any language: e-mail, phone, ID numbers, dates of birth. (URLs and
social-media handles: `web`, used on transcripts only.)"""

from __future__ import annotations

import re
from datetime import date

from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import longest_first, with_traditional


def _chinese_words(words: str) -> str:
    """A regex alternation of Chinese words and their Traditional forms (电话 電話, 出生于 出生於)."""
    return "|".join(map(re.escape, longest_first(words.split())))


_NOT_BEFORE = r"(?<![0-9A-Za-z+])"  # CJK may touch a number: 电话13812345678就行
_NOT_AFTER = r"(?![0-9A-Za-z])"

EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9])"
)
_SEP = r"[ \-\u2010-\u2015－]"
PHONES = [
    # Chinese mobile, optional +86: 13812345678, +86 139-1024-7788, 139 1024 7788
    re.compile(_NOT_BEFORE + rf"(?:(?:\+|00)?86{_SEP}?)?1[3-9]\d(?:{_SEP}?\d{{4}}){{2}}" + _NOT_AFTER),
    # Chinese landline with a separator: 010-62345678, (0755)12345678, 021 6234 5678, ext. -801
    re.compile(_NOT_BEFORE + rf"(?:\(0\d{{2,3}}\)|（0\d{{2,3}}）|0\d{{2,3}}{_SEP})\s?\d{{3,4}}{_SEP}?\d{{4}}(?:{_SEP}\d{{1,5}})?" + _NOT_AFTER),
    # International: +44 20 7946 0958, +1 (503) 555 0147, +44 (0)113 496 0731
    re.compile(r"(?<![0-9A-Za-z])(?:\+|00)[1-9]\d{0,2}[ \-.]?(?:\(0\)[ ]?)?\(?\d{1,5}\)?(?:[ \-.]?\d{2,5}){1,4}" + _NOT_AFTER),
    # UK national: 0113 496 0731, (0113) 496 0815, 07700 900461, 020 7946 0958
    re.compile(_NOT_BEFORE + r"(?:\(0\d{2,4}\)|0\d{2,4})[ \-]?\d{3,4}[ \-]?\d{3,4}" + _NOT_AFTER),
    # North American: (503) 555-0147, 503-555-0147, 503.555.0147
    re.compile(_NOT_BEFORE + r"(?:\(\d{3}\)\s?|\d{3}[ \-.])\d{3}[ \-.]\d{4}" + _NOT_AFTER),
]
_PHONE_DIGITS = (8, 15)
# Digits alone make a phone number only when a word says so: "电话 01062345678", "call 01134960731".
_PHONE_CUE = re.compile(
    rf"(?:{_chinese_words('电话 手机 座机 号码 联系方式 联络方式')}|phone|mobile|tel|call|ring|text|number)[^\n。.!?]{{0,12}}$",
    re.IGNORECASE,
)
_BARE_DIGITS = re.compile(_NOT_BEFORE + r"0\d{9,11}" + _NOT_AFTER)
# Spoken digits written out (一三八一二三四五六七八; 幺 is 1 read aloud, 〇 and 零 are 0), taken only after a
# phone cue: a mobile's 11 digits starting 13-19, or a landline's 10 to 12 starting 0 (零一零六二三四五六七八).
_SPOKEN_DIGITS = {**{ch: str(i) for i, ch in enumerate("〇一二三四五六七八九")}, "零": "0", "幺": "1"}
_SPOKEN = "[" + "".join(_SPOKEN_DIGITS) + "]"
_SPOKEN_NUMBER = re.compile(rf"(?<!{_SPOKEN}){_SPOKEN}(?:{_SEP}?{_SPOKEN}){{9,11}}(?!{_SPOKEN})")
_SPOKEN_PHONE = re.compile(r"1[3-9]\d{9}|0\d{9,11}")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# 18 characters, also written in groups of 6-8-4 (110105 19850312 0020, 110105-19850312-0020).
_ID18 = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?P<sep>[ \-]?)(?:18|19|20)\d{2}[01]\d[0-3]\d(?P=sep)\d{3}[0-9Xx](?![0-9A-Za-z])"
)
_ID15 = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}\d{2}[01]\d[0-3]\d\d{3}(?![0-9A-Za-z])")
# IDs that a word announces: NHS number, hospital number, 病历号, 微信号, QQ, passport, SSN ...
_ID_CUE = re.compile(
    r"(?P<word>NHS\s+(?:number|no\.?)|hospital\s+number|MRN|patient\s+(?:ID|number)|case\s+number|passport\s+(?:number|no\.?)"
    r"|national\s+insurance\s+(?:number|no\.?)|NI\s+number|WeChat(?:\s+ID)?|QQ(?:号|號)?"
    # A US Social Security number (123-45-6789) is taken only after its cue: other numbers have its shape.
    r"|social\s+security(?:\s+(?:number|no\.?|#))?|(?<![A-Za-z])SSN(?![A-Za-z])"
    # wx, vx, VX and V信: how WeChat is written in a hurry (wx: zhangwei_1985, 加我VX：lihua2020).
    r"|(?<![A-Za-z0-9])[wv]x(?![A-Za-z0-9])|"
    # 身分证字号: Taiwan's ID card (A123456789); 健保卡号: its health insurance card.
    + _chinese_words("微信号 微信 V信 身份证号码 身份证号 身份证 身分证字号 身分证号码 身分证 护照号码 护照号 护照 病历号 住院号 "
                     "门诊号 社保卡号 医保卡号 健保卡号 工号 学号 银行卡号 银行卡 信用卡号 卡号 银行账号 账号 车牌号码 车牌号 车牌 "
                     "员工号 员工编号 职工号 工作证号 学生证号 学籍号 就诊卡号 会员号 会员卡号")
    # A number that names one person at work or school: employee number, staff ID, payroll no., badge number.
    + r"|(?:employee|staff|payroll|personnel|badge|student|membership|medical\s+record)\s+(?:number|no\.?|ID|#)"
    # A card or account number, in English: the words that announce one.
    + r"|(?:bank\s+)?card\s+(?:number|no\.?)|(?:bank\s+)?account\s+(?:number|no\.?)|sort\s+code|(?:number|licen[cs]e)\s+plate"
    + r"|(?:car|vehicle)\s+registration(?:\s+(?:number|no\.?))?|registration\s+(?:number|no\.?)"
    + r")[\s,:：]*(?:is|was|是|为|為)?[\s,:：]*",
    re.IGNORECASE,
)
# A card in groups (6222 0212 3456 7890 123, 1100 2233 4455), a UK plate (AB12 CDE), a sort code (20-00-00),
# 123 456 7890 (NHS), 123 45 6789 (SSN), or one run of letters, digits, _ and -.
_UK_PLATE = r"[A-Z]{2}\d{2} [A-Z]{3}(?![A-Za-z0-9])"
_ID_VALUE = re.compile(r"\d{4}(?:[ \-]\d{3,4}){2,4}(?![0-9])|" + _UK_PLATE + r"|\d{2}-\d{2}-\d{2}(?![0-9])|\d{3} \d{3} \d{4}(?![0-9])|\d{3} \d{2} \d{4}(?![0-9])|[A-Za-z0-9][A-Za-z0-9_\-]{2,29}(?![A-Za-z0-9_\-])")
_WECHAT_WORD = re.compile(r"wechat(?:\s+id)?|[wv]x|" + _chinese_words("微信号 微信 V信"), re.IGNORECASE)
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
# A Chinese number plate has a shape nothing else has: a province's character, a capital, five or six letters
# and digits (京A12345, 粤B·D12345 for an electric car); I and O are never used. At least one digit.
_PLATE = re.compile(
    r"(?<![A-Za-z0-9])[京津沪滬渝冀豫云雲辽遼黑湘皖鲁魯新苏蘇浙赣贛鄂桂甘晋晉蒙陕陝吉闽閩贵貴粤粵青藏川宁寧琼瓊]"
    r"[A-HJ-NP-Z][·•・ ]?(?=[A-HJ-NP-Z]*\d)[A-HJ-NP-Z0-9]{5,6}(?![A-Za-z0-9])"
)
# A UK National Insurance number has a shape nothing else has: two capitals, six digits (often in pairs),
# A-D (QQ 12 34 56 C, AB123456C), so it needs no cue.
_NI_NUMBER = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])")

# English month names and their short forms, and Chinese numerals: what a date is written with (also
# in file names, pipeline/report.py).
MONTH_NAMES = tuple(
    (
        "january february march april may june july august september october november december "
        "jan feb mar apr jun jul aug sep sept oct nov dec"
    ).split()
)
_MONTH = r"(?:" + "|".join(m.capitalize() + r"|" + m for m in sorted(MONTH_NAMES, key=len, reverse=True)) + r")\.?"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
ZH_NUMERALS = "〇零一二三四五六七八九十"
DATE = re.compile(
    "|".join(
        [
            rf"{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}",  # 3 May 1984, 3rd of May, 1984
            rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}",  # May 3, 1984
            r"(?<!\d)(?:0?[1-9]|[12]\d|3[01])[/.\-](?:0?[1-9]|1[0-2])[/.\-](?:(?:19|20)\d{2}|\d{2})(?!\d)",  # 03/05/1984
            r"(?<!\d)(?:19|20)\d{2}[/.\-](?:0?[1-9]|1[0-2])[/.\-](?:0?[1-9]|[12]\d|3[01])(?!\d)",  # 1984-05-03
            r"(?<!\d)(?:19|20)\d{2}\s*年\s*(?:0?[1-9]|1[0-2])\s*月(?:\s*(?:0?[1-9]|[12]\d|3[01])\s*[日号])?",  # 1984年5月3日
            rf"[{ZH_NUMERALS}]{{4}}年[{ZH_NUMERALS}]{{1,2}}月(?:[{ZH_NUMERALS}]{{1,3}}[日号])?",  # 一九八四年五月三日
            r"(?<!\d)(?:0?[1-9]|1[0-2])\s*月\s*(?:0?[1-9]|[12]\d|3[01])\s*[日号]",  # 5月3日 (a birthday)
            rf"[{ZH_NUMERALS}]{{1,2}}月[{ZH_NUMERALS}]{{1,3}}[日号]",
            rf"{_DAY}(?:\s+of)?\s+{_MONTH}(?![a-z])",  # 3 May (a birthday)
            rf"{_MONTH}\s+{_DAY}(?![0-9a-z])",  # May 3rd
            rf"{_MONTH}\s+{_YEAR}",  # May 1984
        ]
    )
)
# 生于 ends words that are no birth: 发生于 'happened in', 医生于 'the doctor, in', 学生于 …
_NOT_BORN_BEFORE = "".join(sorted(with_traditional("发产卫医学先人师考新再派滋寄共伴招门后晚众野营逃")))
_SHENG_YU = rf"(?<![{_NOT_BORN_BEFORE}])(?:生于|生於)"
# 出生 in 出生率 'birth rate', 出生地 'birthplace', 出生证 'birth certificate' tells no one's birth date.
_NOT_A_BIRTH = rf"(?!{_chinese_words('率 地 证 人口 数 缺陷 体重 登记')})"
# What announces a date of birth; the date must follow within the same sentence, soon.
_DOB_CUE = re.compile(
    r"(?:\bborn\b(?:\s+(?:on|in))?|\bdate\s+of\s+birth\b|\bD\.?O\.?B\b\.?|\bbirth\s*date\b|\bbirthday\b"
    r"|\byear\s+of\s+birth\b|\bbirth\s*year\b"
    rf"|{_chinese_words('出生日期 出生年月日 出生年月 出生年份 出生于 出生在 出生时间 出生 生日 诞生于')}|{_SHENG_YU})",
    re.IGNORECASE,
)
_DOB_WINDOW = 45
# Chinese puts the date first: 我是1985年3月12日出生的, 1990年5月生人. 出生 may have a few words
# between it and the date (1985年3月12日在北京出生的); 生的, 生人 and 生 must touch the date, as
# they end other words too (医生的, 陌生人).
_BIRTH_VERB_AFTER = re.compile(rf"(?:出生|出世|降生){_NOT_A_BIRTH}")
_BORN_AFTER = re.compile(r"\s*(?:生人|生的|生(?=[，。！？；,.!?;\s]|$))")
_CLAUSE_END = re.compile(r"[，。！？；,!?;\n]")
_DATE_TO_CUE_GAP = 4
_SENTENCE_END = re.compile(r"[.!?。！？\n](?!\d)")


def _digits(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


def id_checksum_ok(number: str) -> bool:
    """The check character of an 18-character Chinese resident ID (GB 11643)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17].upper()


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def nhs_number_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 10:
        return False
    remainder = 11 - sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    check = 0 if remainder == 11 else remainder
    return check != 10 and check == digits[9]


def find_emails(text: str) -> list[Finding]:
    return [make(text, m.start(), m.end(), "EMAIL", "pattern") for m in EMAIL.finditer(text)]


def find_phones(text: str) -> list[Finding]:
    found = []
    for pattern in PHONES:
        for m in pattern.finditer(text):
            lo, hi = _PHONE_DIGITS
            if lo <= _digits(m.group()) <= hi:
                found.append(make(text, m.start(), m.end(), "PHONE", "pattern"))
    for m in _BARE_DIGITS.finditer(text):
        if _PHONE_CUE.search(text[max(0, m.start() - 30) : m.start()]):
            found.append(make(text, m.start(), m.end(), "PHONE", "pattern"))
    for m in _SPOKEN_NUMBER.finditer(text):
        digits = "".join(_SPOKEN_DIGITS.get(ch, "") for ch in m.group())
        if _SPOKEN_PHONE.fullmatch(digits) and _PHONE_CUE.search(text[max(0, m.start() - 30) : m.start()]):
            found.append(make(text, m.start(), m.end(), "PHONE", "pattern"))
    return found


def find_ids(text: str) -> list[Finding]:
    found = []
    for m in _ID18.finditer(text):
        number = re.sub(r"[ \-]", "", m.group())
        if id_checksum_ok(number) and _valid_date(int(number[6:10]), int(number[10:12]), int(number[12:14])):
            found.append(make(text, m.start(), m.end(), "ID", "pattern"))
    for m in _ID15.finditer(text):
        number = m.group()
        if _valid_date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])):
            found.append(make(text, m.start(), m.end(), "ID", "pattern"))
    for cue in _ID_CUE.finditer(text):
        value = _ID_VALUE.match(text, cue.end())
        if not value:
            continue
        number = value.group()
        plate = re.fullmatch(_UK_PLATE, number) is not None  # AB12 CDE: two digits, but a plate's shape
        if _digits(number) < 3 and "_" not in number and not plate and not _wechat_id(cue, number):
            continue
        if cue.group().upper().startswith("NHS") and not nhs_number_ok(number):
            continue
        found.append(make(text, value.start(), value.end(), "ID", "pattern"))
    found += [make(text, m.start(), m.end(), "ID", "pattern") for m in _NI_NUMBER.finditer(text)]
    found += [make(text, m.start(), m.end(), "ID", "pattern") for m in _PLATE.finditer(text)]
    return found


def _wechat_id(cue: re.Match, value: str) -> bool:
    """A WeChat id (6 to 20 letters, digits, _ and -, starting with a letter) with fewer than three digits:
    after 微信 or V信 any Latin word is one (微信是wangxiaoming88); after WeChat, wx or vx, English words
    follow too ("WeChat really helps"), so only with a digit or hyphen, or after a colon (wx: zhangwei)."""
    word = cue.group("word")
    if not _WECHAT_WORD.fullmatch(word) or len(value) < 6 or not value[0].isalpha():
        return False
    if _HAS_CJK.search(word):
        return True
    return bool(re.search(r"[\d\-]", value)) or any(colon in cue.group() for colon in ":：")


def id_cue_words(text: str, found: list[Finding]) -> list[tuple[int, int]]:
    """Spans of the words that announce an ID number found right after them ("NI number", "SSN", 微信):
    the detector keeps the name models off them, which took "NI" and "SSN" for organisations."""
    id_starts = {f.start for f in found if f.kind == "ID"}
    return [cue.span("word") for cue in _ID_CUE.finditer(text) if cue.end() in id_starts]


# A year alone is a date of birth where the same clause ties it to a birth: "born in 1962",
# "born in '62", "year of birth: 1958", 出生于1962年, 1962年出生, 我是62年生的, 民國85年出生, and the
# Taiwanese birth cohort 85年次 (born in ROC year 85, 1996), which needs no other word. A birth
# year narrows down who someone is as a full date does; "in 2019 we changed the rota" keeps its year.
# "birthday" and 生日 are no such cue: "my birthday in 2019" is not the year of a birth.
_YEAR_CUE = re.compile(
    r"\bborn\b|\b(?:date|year)\s+of\s+birth\b|\bD\.?O\.?B\b\.?|\bbirth\s*(?:date|year)\b"
    rf"|(?:{_chinese_words('出生 诞生')}){_NOT_A_BIRTH}|{_SHENG_YU}",
    re.IGNORECASE,
)
_CN_DIGIT = "〇零一二三四五六七八九"
# ROC (Taiwan) years count from 1912: 民國85年 is 1996.
_ROC_YEAR = rf"民[國国]\s*(?:\d{{1,3}}|[{ZH_NUMERALS}]{{1,4}})\s*年"
_FULL_YEAR = rf"(?<!\d)(?:19|20)\d{{2}}(?:\s*年|(?![0-9A-Za-z]))|[{_CN_DIGIT}]{{4}}年|{_ROC_YEAR}"
# A two-digit year (85年, '62) only where nothing else can be meant: after 于/在 (出生于85年),
# right before 出生/生的 (85年出生), after an apostrophe ("born in '62") or right after "born in".
_SHORT_YEAR = rf"(?<![\d民國国])\d{{2}}\s*年|[{_CN_DIGIT}]{{2}}年"
_YEAR_AFTER_CUE = re.compile(
    rf"{_FULL_YEAR}|(?<=[于於在])(?:{_SHORT_YEAR})|['’]\d{{2}}(?![0-9A-Za-z])"
    r"|(?<=\bborn in )\d{2}(?![0-9A-Za-z%])(?!\s+(?:hours?|minutes?|days?|weeks?|months?|years?)\b)",
    re.IGNORECASE,
)
_YEAR_BEFORE_CUE = re.compile(rf"{_FULL_YEAR}|{_SHORT_YEAR}")
_BIRTH_COHORT = re.compile(rf"(?:民[國国]\s*)?(?<!\d)(?:\d{{2,3}}|[{ZH_NUMERALS}]{{2,4}})\s*年次")
# Where the clause a birth cue opens ends: punctuation, or a word that starts another clause.
_CLAUSE_BREAK = re.compile(
    r"[,;.!?，；。！？\n]|\b(?:and|but|or|so|then|when|while|until|since|because|where|who|which)\b", re.IGNORECASE
)
_YEAR_WINDOW = 30
_CUE_SEPARATOR = re.compile(r"[\s:：\-–]*")  # "DOB: 1962", "born - 1962"


def find_dates_of_birth(text: str) -> list[Finding]:
    found = []
    for cue in _DOB_CUE.finditer(text):
        window = text[cue.end() : cue.end() + _DOB_WINDOW]
        stop = _SENTENCE_END.search(window)
        if stop:
            window = window[: stop.start()]
        m = DATE.search(window)
        if m:
            found.append(make(text, cue.end() + m.start(), cue.end() + m.end(), "DOB", "pattern"))
    return found + _dates_before_birth_cues(text) + find_birth_years(text)


def find_birth_years(text: str) -> list[Finding]:
    """Years that a birth cue in the same clause makes years of birth (see `_YEAR_CUE`)."""
    found = [make(text, m.start(), m.end(), "DOB", "pattern") for m in _BIRTH_COHORT.finditer(text)]
    for cue in _YEAR_CUE.finditer(text):
        start = _CUE_SEPARATOR.match(text, cue.end()).end()
        clause_end = _CLAUSE_BREAK.search(text, start, start + _YEAR_WINDOW)
        year = _YEAR_AFTER_CUE.search(text, start, clause_end.start() if clause_end else start + _YEAR_WINDOW)
        if year:
            found.append(make(text, year.start(), year.end(), "DOB", "pattern"))
    for year in _YEAR_BEFORE_CUE.finditer(text):
        # A two-digit year (85年) must touch its verb: 我们结婚10年出生了… is no birth year.
        two_digits = year.group()[0] != "民" and sum(ch.isdigit() or ch in _CN_DIGIT for ch in year.group()) == 2
        born = _BORN_AFTER.match(text, year.end())
        verb = _BIRTH_VERB_AFTER.search(text, year.end(), year.end() + (0 if two_digits else _DATE_TO_CUE_GAP) + 2)
        if born or (verb and not _CLAUSE_END.search(text, year.end(), verb.start())):
            found.append(make(text, year.start(), year.end(), "DOB", "pattern"))
    return found


def _dates_before_birth_cues(text: str) -> list[Finding]:
    """我是1985年3月12日出生的, 她是2019年3月生的: a date closing its clause with 出生 or 生的 (a
    year alone: `find_birth_years`)."""
    found = []
    for date in DATE.finditer(text):
        born = _BORN_AFTER.match(text, date.end())
        verb = _BIRTH_VERB_AFTER.search(text, date.end(), date.end() + _DATE_TO_CUE_GAP + 2)  # 2: the verb's length
        in_clause = verb is not None and not _CLAUSE_END.search(text, date.end(), verb.start())
        if born or in_clause:
            found.append(make(text, date.start(), date.end(), "DOB", "pattern"))
    return found


def find_patterns(text: str) -> list[Finding]:
    return find_emails(text) + find_phones(text) + find_ids(text) + find_dates_of_birth(text)
