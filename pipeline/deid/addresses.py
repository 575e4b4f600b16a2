"""Street addresses and postcodes in Latin script, found by their shape: 22 Kings Road, 221B Baker Street,
Queen Street, Blk 123 Tampines Ave 5, Jalan Ampang, M8 8AB, NY 10023, Singapore 520123.

spaCy's small English model finds some roads (Park Road) and misses others by their context (22 Kings Road,
Queen Street, High Street), and it never finds a postcode, which narrows a home to a few households. These
rules need no model:
- a house number before capitalised words and a street word (Road, Street, Avenue, Lane, Close…, or their
  abbreviations Rd, St, Ave…) is an address whatever the words;
- without a number, only the street words that are no everyday word (Road, Street, Avenue, Lane, Crescent,
  Terrace, Boulevard…; not Close, Way, Place, Court, Hill, Walk, Square) after one to three capitalised words
  that are no function words (not "The Road", "On The Street"); a few sayings stay (Memory Lane, Easy Street);
- Singapore's and Malaysia's: a block number (Blk 123), Jalan/Jln/Lorong/Lor and the words after them, a
  numbered avenue or street (Tampines Ave 5, Ang Mo Kio Street 21), a housing estate (Taman Melawati);
- UK and Canadian postcodes in capitals (LS9 7TF, SW1A 1AA, K1A 0B1); a UK postcode district alone (LS9)
  only after a word that places someone (lives in LS9, the LS9 area); a US ZIP code after a state (NY 10023),
  six digits after Singapore, and any code right after the word postcode, zip code, postal code, 邮编 ("zip"
  alone is no cue: zip 20 files).
"""

from __future__ import annotations

import re

from qualflow.pipeline.deid.findings import Finding, make

_NUMBERED_STREET_WORDS = (
    "Road|Street|Avenue|Lane|Drive|Close|Crescent|Way|Place|Court|Terrace|Grove|Gardens|Square|Boulevard|Hill|Row"
    "|Walk|Mews|Parade|Highway|Rise|Vale|View"
    r"|(?:Rd|St|Ave|Av|Ln|Dr|Cl|Cres|Pl|Ct|Tce|Gdns|Sq|Blvd|Hwy)\.?"  # the dot of an abbreviation, not a full stop
)
# Street words that are no everyday word when capitalised after a name (a Close, a Way, a Court are).
_STREET_WORDS = "Road|Street|Avenue|Lane|Lanes|Crescent|Terrace|Boulevard|Mews|Gardens|Grove|Highway"
_CAPITALISED = r"(?:[A-Z][a-z]+(?:['’][a-z]+)?|[A-Z]['’][A-Z][a-z]+|St\.?)"
# Words that start a title or a sentence, not a street's name (On The Road, This Street, Our Lane).
_NOT_A_NAME = frozenset(
    "The A An This That These Those My Our Your His Her Their Its On In At To From Down Up Along Across By Off Of"
    " And Or But If When Where Which What Who Every Each Any Some No".split()
)
# Sayings and titles with a street word, no address: "a trip down Memory Lane", "on Easy Street".
_SAYINGS = frozenset({"Memory Lane", "Easy Street", "Lovers Lane", "Lovers' Lane", "Lover's Lane", "Queer Street"})

_HOUSE_NUMBER = r"(?<![\w/.,-])\d{1,5}[A-Za-z]?(?:[-/]\d{1,5}[A-Za-z]?)?,?[ \t]+"
_NUMBERED_ADDRESS = re.compile(
    rf"{_HOUSE_NUMBER}(?:{_CAPITALISED}[ \t]+){{1,3}}(?:{_NUMBERED_STREET_WORDS})(?![\w])"
)
_NAMED_STREET = re.compile(rf"(?<![\w'’])((?:{_CAPITALISED}[ \t]+){{1,3}})(?:{_STREET_WORDS})\b(?!['’]\w)")

_SOUTHEAST_ASIAN = [
    # Blk 123, Block 45A, Blk 123 Tampines Ave 5
    re.compile(rf"\b(?:Blk|Block)[ \t]*\d{{1,4}}[A-Z]?\b(?:[ \t]+(?:{_CAPITALISED}[ \t]+){{1,3}}"
               r"(?:Ave|Avenue|Street|St|Road|Rd|Drive|Dr|Crescent)(?:[ \t]+\d{1,3}[A-Z]?)?\b)?"),
    # Jalan Ampang, Jln Tun Razak, Lorong 3 Geylang, Lor 1 Toa Payoh, Taman Melawati
    re.compile(rf"\b(?:Jalan|Jln|Lorong|Lor|Taman)\.?[ \t]+(?:\d{{1,3}}[A-Z]?[ \t]+)?{_CAPITALISED}(?:[ \t]+{_CAPITALISED}){{0,2}}"
               r"(?:[ \t]+\d{1,3}[A-Z]?)?\b"),
    # Tampines Ave 5, Ang Mo Kio Avenue 3, Bedok North Street 1
    re.compile(rf"\b(?:{_CAPITALISED}[ \t]+){{1,3}}(?:Ave|Avenue|Street|St|Road|Rd|Drive|Dr|Crescent)[ \t]+\d{{1,3}}[A-Z]?\b"),
]

_UK_POSTCODE = re.compile(r"(?<![A-Za-z0-9])(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?[ \t]?\d[ABD-HJLNP-UW-Z]{2}|GIR[ \t]?0AA)(?![A-Za-z0-9])")
# A postcode district alone (LS9, SW1A, M8) still narrows a home to a few thousand households. Alone it has
# the shape of a vitamin (B12), a road (M6, A34), a doctor's grade (FY1, ST3, CT2) or a gas (CO2), so only an
# area of two letters counts, not those, and only after a word that places someone: "lives in LS9",
# "moved to NE6", "from BD3", "the LS9 area".
_UK_AREAS = frozenset(
    "AB AL BA BB BD BH BL BN BR BS BT CA CB CF CH CM CR CV CW DA DD DE DG DH DL DN DT DY EC EH EN EX FK GL GY"
    " HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY LA LD LE LL LN LS LU ME MK ML NE NG NN NP NR NW OL OX"
    " PA PE PH PL PO PR RG RH RM SA SE SG SK SL SM SN SP SR SS SW SY TA TD TF TN TQ TR TS TW UB WA WC WD WF WN"
    " WR WS WV YO ZE".split()
)
# Right after a word that places someone ("in ", "from "): a fixed-width look-behind for each (english_places.py).
_PLACING_WORDS = ("in", "to", "from", "near", "outside", "around", "at")
AFTER_A_PLACING_WORD = "(?:" + "|".join(rf"(?<=\b{word} )" for word in _PLACING_WORDS) + ")"
_UK_DISTRICT = re.compile(
    r"(?:" + AFTER_A_PLACING_WORD + r"(?P<a>[A-Z]{2}\d{1,2}[A-Z]?)(?![A-Za-z0-9]|[ \t]?\d[A-Z]{2})"
    r"|\b(?P<b>[A-Z]{2}\d{1,2}[A-Z]?)(?= area\b))"
)
_CA_POSTCODE = re.compile(r"(?<![A-Za-z0-9])[ABCEGHJ-NPRSTVXY]\d[A-Z][ \t]?\d[A-Z]\d(?![A-Za-z0-9])")
_US_STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK"
    " OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()
_US_ZIP = re.compile(rf"(?<=\b(?:{'|'.join(_US_STATES)}))[ \t,]+(\d{{5}}(?:-\d{{4}})?)(?![0-9])")
_SINGAPORE_CODE = re.compile(r"\bSingapore[ \t]*\(?[ \t]*(\d{6})\)?(?![0-9])")
# Not "zip" alone: "zip 20 files".
_CODE_AFTER_CUE = re.compile(
    r"(?i:\b(?:post[ \t]?code|zip[ \t]?code|postal[ \t]?code)\b(?:[ \t]+(?:is|was))?[ \t:：-]*)"
    r"|(?:邮编|郵編|邮政编码|郵政編碼)[ \t:：是为為]*"
)
_CODE_VALUE = re.compile(r"[A-Z0-9]{2,4}(?:[ \t]?[A-Z0-9]{3,4})?(?![A-Za-z0-9])")


def address_findings(text: str) -> list[Finding]:
    """Street addresses and postcodes as PLACE findings (source "pattern")."""
    spans = [(m.start(), m.end()) for m in _NUMBERED_ADDRESS.finditer(text)]
    spans += _named_streets(text)
    for pattern in _SOUTHEAST_ASIAN:
        spans += [(m.start(), m.end()) for m in pattern.finditer(text)]
    spans += [(m.start(), m.end()) for m in _UK_POSTCODE.finditer(text)]
    spans += [(m.start(), m.end()) for m in _CA_POSTCODE.finditer(text)]
    spans += [m.span(m.lastgroup) for m in _UK_DISTRICT.finditer(text) if m.group(m.lastgroup)[:2] in _UK_AREAS]
    spans += [(m.start(1), m.end(1)) for m in _US_ZIP.finditer(text)]
    spans += [(m.start(1), m.end(1)) for m in _SINGAPORE_CODE.finditer(text)]
    for cue in _CODE_AFTER_CUE.finditer(text):
        value = _CODE_VALUE.match(text, cue.end())
        if value and any(ch.isdigit() for ch in value.group()):
            spans.append((value.start(), value.end()))
    return [make(text, start, end, "PLACE", "pattern") for start, end in spans]


def _named_streets(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _NAMED_STREET.finditer(text):
        words = list(re.finditer(r"\S+", m.group(1)))
        while words and words[0].group() in _NOT_A_NAME:  # "On Queen Street": the street is "Queen Street"
            words.pop(0)
        if not words:
            continue
        start = m.start(1) + words[0].start()
        if text[start : m.end()] not in _SAYINGS:
            spans.append((start, m.end()))
    return spans
