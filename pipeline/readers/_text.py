"""Turning the bytes of a text file (.txt, .md, .csv, .srt, .vtt) into a str.

Order of attempts, most certain first:

1. a byte-order mark (UTF-32, UTF-16, UTF-8) says the encoding outright;
2. NUL bytes: UTF-16 without a BOM when they sit at every other byte of mostly-ASCII text
   and the decoding is clean text (see `_bomless_utf16`), otherwise a binary file. This
   comes before UTF-8 because NUL bytes are valid UTF-8, and "I\\x00n\\x00" would be
   stored as a transcript full of NUL characters;
3. strict UTF-8, by far the commonest encoding and almost never valid by accident;
   then UTF-8 with a few stray bytes (see `_utf8_with_stray_bytes`): an edited UTF-8 file
   into which Word or a Windows editor pasted a Windows-1252 curly quote. The strays are
   read as Windows-1252 and the run says so; too many, or one in Chinese text, and the
   file is refused rather than guessed (it would otherwise fall to step 6 and come back
   as Mac-Icelandic mojibake, every "’" a "‚Äô");
4. Chinese legacy encodings, GB18030 (a superset of GBK/GB2312) and Big5, when a decoding
   reads as Chinese (see `_chinese_decoding`);
5. Windows-1252 when it reads as Western text, i.e. English with the odd curly quote or
   accented letter (see `_western_decoding`);
6. charset-normalizer for everything else (Cyrillic, Greek, Shift-JIS, ...), except that
   its guess of an old code page (mac_*, cp437, ...) is refused for bytes that are mostly
   valid UTF-8: such a guess is mojibake.

Steps 4 and 5 are priors for the two languages qualflow analyses, tried before
charset-normalizer because it is unreliable on the short texts interviews are often split
into. Measured with charset-normalizer 3.5: GBK "我觉得压力很大。" comes back as cp949
(Korean), a Big5 sentence as shift_jis_2004, "It was 25°C." in cp1252 as Big5 and
"Résumé" as UTF-16-BE, all as mojibake.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import functools
import re
import unicodedata
from collections.abc import Iterator

from charset_normalizer import from_bytes
from qualflow.pipeline.readers._common import unreadable

# Checked in this order: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF8, "utf-8-sig"),
)

# A decoding counts as Chinese when its characters score at least this (see _hanzi_score).
# Correct decodings of the test sentences score 0.9-1.0; the wrong one of GB18030/Big5
# scored 0.0-0.86, and where both tie (GBK "对对对" is also valid, frequent Big5) the
# first encoding listed wins.
_MIN_CHINESE_SCORE = 0.8
# Enough characters to judge; scoring a whole 20 MB file would only cost time.
_SCORE_PREFIX = 5000


# Notes about how files were read, for the run's summary (see `decoding_notes`); None when nobody listens.
_NOTES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("decoding_notes", default=None)


@contextlib.contextmanager
def decoding_notes() -> Iterator[list[str]]:
    """Collect the one-line, content-free notes `decode_bytes` makes while the block runs
    ("x.txt: 1 byte was not UTF-8 and was read as Windows-1252 (line 42)")."""
    notes: list[str] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)


def decode_bytes(data: bytes, name: str) -> str:
    """Decode a text file's bytes, or raise UnreadableFile with a one-line reason."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise unreadable(name, f"not valid {encoding.upper()} text despite its byte-order mark "
                                       f"(bad bytes at position {error.start})") from None
    if b"\x00" in data:
        text = _bomless_utf16(data)
        if text is None:
            raise unreadable(name, "looks like a binary file, not text")
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    utf8 = _Utf8Reading(data)
    if utf8.mostly_valid:
        return _utf8_with_stray_bytes(utf8, name)
    text = _chinese_decoding(data) or _western_decoding(data)
    if text is not None:
        return text
    best = from_bytes(data).best()
    if best is None or (utf8.valid and (best.encoding in _OLD_CODE_PAGES or best.encoding.startswith("mac_"))):
        where = f": partly UTF-8, but not valid UTF-8 on line {utf8.line_of(utf8.strays[0])}" if utf8.valid else ""
        raise unreadable(name, f"cannot tell which text encoding this file uses{where} (save it as UTF-8)")
    text = str(best)
    if _MIXED_SCRIPT_WORD.search(text):
        # Any bytes are valid in some code page: a Latin-1 German file with bytes Windows-1252 leaves undefined
        # was stored as Cyrillic ("Ich mцchte ьber", "cafй"), with no word said. Words half Latin, half another
        # script are what a wrong code page makes of accented letters, never what anyone writes.
        raise unreadable(name, "cannot tell which text encoding this file uses: read as the likeliest one "
                               f"({best.encoding}), its words mix Latin letters with another script (save it as "
                               "UTF-8)")
    return text


# A word holding ASCII letters and letters of another script than Latin (Cyrillic, Greek, Hebrew, Arabic…).
_OTHER_LETTER = r"[^\W\d_\x00-\x7f\u00c0-\u024f\u1e00-\u1eff\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]"
_MIXED_SCRIPT_WORD = re.compile(rf"[A-Za-z]{_OTHER_LETTER}|{_OTHER_LETTER}[A-Za-z]")


# Code pages charset-normalizer may name for bytes that are partly UTF-8; they are not what a
# transcript of qualflow's languages comes in, so for such bytes the guess is refused (the
# mac_* ones too, checked by prefix).
_OLD_CODE_PAGES = {"cp437", "cp850", "cp852", "cp855", "cp857", "cp858", "cp860", "cp861", "cp862", "cp863",
                   "cp864", "cp865", "cp866", "cp869", "cp037", "cp273", "cp500", "cp1026", "cp1140", "cp875",
                   "hp_roman8", "kz1048", "ptcp154", "tis_620", "cp424", "cp1006", "koi8_t"}
# A stray byte read as Windows-1252 stands for one character; this many of them, or 1% of the
# file's non-ASCII characters if that is more, is "a few" (a pasted sentence or two). More, and
# the file is a mix of encodings that qualflow does not guess at.
_FEW_STRAY_BYTES = 3
_MAX_STRAY_SHARE = 0.01
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
# Bytes Windows-1252 leaves undefined: a stray one of these is not a pasted Windows character.
_NOT_CP1252 = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


class _Utf8Reading:
    """`data` read as UTF-8 with each invalid byte kept as a lone surrogate (U+DC80-U+DCFF)."""

    def __init__(self, data: bytes):
        self.text = data.decode("utf-8", "surrogateescape")
        self.strays = [i for i, ch in enumerate(self.text) if "\udc80" <= ch <= "\udcff"]
        self.valid = sum(1 for ch in self.text if ord(ch) > 0x7F) - len(self.strays)

    @property
    def mostly_valid(self) -> bool:
        """Whether the bytes are UTF-8 with some strays rather than another encoding. In a
        GB18030, Big5 or Windows-1252 file only the odd pair of bytes happens to be valid UTF-8,
        so invalid bytes far outnumber valid sequences there."""
        return self.valid > 0 and self.valid >= len(self.strays)

    def line_of(self, index: int) -> int:
        """The line (from 1) of the character at `index` of `text`, as an editor counts them."""
        return len(_LINE_BREAK.findall(self.text[:index].encode("utf-8", "surrogateescape"))) + 1


def _utf8_with_stray_bytes(utf8: _Utf8Reading, name: str) -> str:
    """The text of a UTF-8 file with a few stray bytes, those read as Windows-1252 (the usual
    cause is a paste from Word), with a note for the run; or UnreadableFile when that is a guess:
    too many strays, one that is no Windows-1252 character, or one in Chinese text (where a
    stray is more likely half a GBK character than a curly quote)."""
    strays = utf8.strays
    first = utf8.line_of(strays[0])
    allowed = max(_FEW_STRAY_BYTES, int(_MAX_STRAY_SHARE * (utf8.valid + len(strays))))
    if len(strays) > allowed:
        raise unreadable(name, f"not valid UTF-8: {len(strays)} bytes are not UTF-8, too many to tell what they are "
                               f"(the first on line {first}); save the file as UTF-8")
    for index in strays:
        byte = ord(utf8.text[index]) - 0xDC00
        if byte in _NOT_CP1252:
            raise unreadable(name, f"not valid UTF-8: byte 0x{byte:02X} on line {utf8.line_of(index)} is not UTF-8 "
                                   "nor a Windows-1252 character; save the file as UTF-8")
        if _in_chinese_text(utf8.text, index):
            raise unreadable(name, f"not valid UTF-8: byte 0x{byte:02X} on line {utf8.line_of(index)}, in Chinese "
                                   "text, is not UTF-8; save the file as UTF-8")
    text = "".join(bytes([ord(ch) - 0xDC00]).decode("cp1252") if "\udc80" <= ch <= "\udcff" else ch
                   for ch in utf8.text)
    lines = sorted({utf8.line_of(index) for index in strays})
    where = f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines))}"
    read = "1 byte was not UTF-8 and was" if len(strays) == 1 else f"{len(strays)} bytes were not UTF-8 and were"
    note = f"{name}: {read} read as Windows-1252 ({where}); check those characters"
    notes = _NOTES.get()
    if notes is not None:
        notes.append(note)
    return text


def _in_chinese_text(text: str, index: int) -> bool:
    """Whether text[index] stands in Chinese text: its line holds a CJK character, or the nearest
    valid non-ASCII character before or after it is one (a stray GBK pair on a line of its own)."""
    start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    ends = [end for end in (text.find("\n", index), text.find("\r", index)) if end != -1]
    if any(_is_cjk(ch) for ch in text[start:min(ends, default=len(text))]):
        return True
    before = next((ch for ch in reversed(text[:index]) if _is_valid_non_ascii(ch)), "")
    after = next((ch for ch in text[index + 1:] if _is_valid_non_ascii(ch)), "")
    return any(_is_cjk(ch) for ch in before + after)


def _is_valid_non_ascii(ch: str) -> bool:
    return ord(ch) > 0x7F and not "\udc80" <= ch <= "\udcff"


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF
            or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x3FFFF)


# UTF-16 without a BOM: at least this share of the code units have a NUL high byte (ASCII
# letters, spaces, digits, punctuation and line ends all do; English text is ~100%), and NUL
# low bytes are rare by comparison (U+0100, U+4E00 一 and a few others have one).
_MIN_UTF16_NUL_SHARE = 0.25
_MAX_UTF16_OTHER_NUL_RATIO = 0.1
# Controls a text may hold; any other control, unassigned, private-use or surrogate code
# point in the decoding means the bytes were not UTF-16 text.
_TEXT_CONTROLS = set("\t\n\r\f\v")


def _bomless_utf16(data: bytes) -> str | None:
    """`data` decoded as UTF-16 LE or BE without a byte-order mark, or None if it is not that."""
    if len(data) < 2 or len(data) % 2:
        return None
    units = len(data) // 2
    even_nuls = data[0::2].count(0)  # the high byte of big-endian units
    odd_nuls = data[1::2].count(0)   # the high byte of little-endian units
    for encoding, high, low in (("utf-16-le", odd_nuls, even_nuls), ("utf-16-be", even_nuls, odd_nuls)):
        if high < _MIN_UTF16_NUL_SHARE * units or low > _MAX_UTF16_OTHER_NUL_RATIO * high:
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:  # an odd surrogate: not UTF-16 this way round
            continue
        if all(_is_text_char(ch) for ch in text):
            return text
    return None


def _is_text_char(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category == "Cc":
        return ch in _TEXT_CONTROLS
    return category not in ("Cn", "Co", "Cs")


def _chinese_decoding(data: bytes) -> str | None:
    """The decoding of `data` as GB18030 or Big5 that reads as Chinese, or None.

    A wrong legacy decoding still produces valid characters, but rare ones: Big5 bytes read
    as GBK land in GBK's extension rows, GBK bytes read as Big5 largely in Big5's
    less-frequent block. So the decoding whose characters are standard, frequent hanzi of
    its own encoding wins.

    Known limits: Korean EUC-KR and Japanese EUC-JP without a BOM share GB2312's and Big5's
    byte layout closely enough to pass as Chinese, and Traditional characters saved as GBK
    are left to charset-normalizer. qualflow analyses English and Chinese, so a Chinese
    prior is the right trade; such files should be saved as UTF-8.
    """
    # Preference on a tie: GB18030 first, as mainland (Simplified) transcripts are the
    # commoner case here. cp950 is Microsoft's Big5 (what Windows writes); big5hkscs adds
    # the Hong Kong set.
    candidates = (("gb18030", _simplified_weight), ("cp950", _traditional_weight),
                  ("big5hkscs", _traditional_weight))
    best_text, best_score = None, 0.0
    for encoding, weight in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _hanzi_score(text[:_SCORE_PREFIX], weight)
        if score > best_score:  # strictly greater, so ties keep the earlier encoding
            best_text, best_score = text, score
    return best_text if best_score >= _MIN_CHINESE_SCORE else None


def _western_decoding(data: bytes) -> str | None:
    """`data` as Windows-1252 if that reads as Western text, else None.

    In English (or French, German, ...) text the non-ASCII characters stand alone: a curly
    quote, a dash, an é inside an ASCII word. Other single-byte scripts read as cp1252
    give runs of accented letters ("Ïðèâåò" for Привет), so those are left to
    charset-normalizer. Central European text (cp1250) may be taken for cp1252 here; it is
    outside qualflow's two languages, and UTF-8 avoids the question.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    counted, in_runs = _run_counts(text[:_SCORE_PREFIX], _is_judged)
    return text if in_runs <= counted / 2 else None


def _hanzi_score(text: str, weight) -> float:
    """Mean weight of the judged characters; 0 unless most of them come in runs.

    Judged are the non-ASCII characters other than punctuation, spaces and controls: right
    and wrong decodings both contain those, so they only dilute the signal. Everything
    else (rare hanzi, symbols, kana, Hangul, private-use or unassigned code points) counts
    against the decoding. Latin text in cp1252 is sometimes valid GBK or Big5 too ("très"
    and "25°C" each hold a valid double-byte pair) but gives lone characters between ASCII
    letters, while Chinese characters come in runs.
    """
    counted, in_runs = _run_counts(text, _is_judged)
    if not counted or in_runs < counted / 2:
        return 0.0
    return sum(weight(ch) for ch in text if _is_judged(ch)) / counted


def _run_counts(text: str, counts) -> tuple[int, int]:
    """How many characters satisfy `counts`, and how many of those have a non-ASCII neighbour."""
    counted = in_runs = 0
    for index, ch in enumerate(text):
        if counts(ch):
            counted += 1
            neighbours = text[max(index - 1, 0):index] + text[index + 1:index + 2]
            in_runs += any(ord(neighbour) > 0x7F for neighbour in neighbours)
    return counted, in_runs


def _is_judged(ch: str) -> bool:
    if ord(ch) <= 0x7F:
        return False
    category = unicodedata.category(ch)
    return category in ("Co", "Cn") or category[0] not in "PZC"


# The frequency tiers are the ones the national standards already carry, so no table ships
# with qualflow. GB2312's 6,763 hanzi (lead bytes 0xB0-0xF7) cover virtually all
# Simplified text, spoken particles such as 嗯 and 喔 included (they are in its level 2).
# Big5 splits its hanzi into 5,401 "frequently used" (0xA440-0xC67E) and 7,652 "less
# frequently used" (0xC940-0xF9D5); the latter get half credit because that block is
# where GB2312 bytes land when they are misread as Big5, yet it holds real characters
# such as Taiwanese 欸.


@functools.lru_cache(maxsize=16384)
def _simplified_weight(ch: str) -> float:
    try:
        gb = ch.encode("gb2312")
    except UnicodeEncodeError:
        return 0.0
    return 1.0 if len(gb) == 2 and gb[0] >= 0xB0 else 0.0


@functools.lru_cache(maxsize=16384)
def _traditional_weight(ch: str) -> float:
    try:
        big5 = ch.encode("big5")
    except UnicodeEncodeError:
        return 0.0
    code = int.from_bytes(big5, "big")
    if 0xA440 <= code <= 0xC67E:
        return 1.0
    return 0.5 if 0xC940 <= code <= 0xF9D5 else 0.0
