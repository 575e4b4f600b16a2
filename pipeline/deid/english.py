"""English: spaCy's small English NER, plus title and naming-cue rules.

Titles are kept: "Dr Anil Mehra" gives PERSON "Anil Mehra", so the text reads "Dr [PERSON_1]".
"""

from __future__ import annotations

import re

from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import (
    EN_ACRONYMS_AFTER_TITLES,
    EN_NOT_NAMES,
    EN_PERSON_NOUNS,
    EN_RELATION_NOUNS,
    EN_TITLES,
    is_common_english_word,
)

_LABEL_KINDS = {"PERSON": "PERSON", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE", "ORG": "ORG"}
# A name word ends where the word ends: never before a letter, digit, "&" or a joining
# apostrophe or hyphen, so "Dr NHS" gives no name rather than "N", and "Mr McDONALD" never just "Mc".
_WORD_END = r"(?![\w&]|['’\-]\w)"
# One capitalised word, with inner capitals (McDonald, MacLeod, DeShawn) and joined parts
# (O'Brien, D'Souza, Okonkwo-Bright) taken whole.
# Latin-1 capitals too (Émile, Øyvind), but not the multiplication sign between them.
_UPPER = r"A-Z\u00c0-\u00d6\u00d8-\u00de"
_NAME_WORD = (
    rf"[{_UPPER}][a-z\u00df-\u00ff]*(?:[{_UPPER}][a-z\u00df-\u00ff]+)*(?:['’\-][A-Za-z\u00c0-\u00ff]+)*" + _WORD_END
)
# Lowercase surname particles ("Mr de Souza", "Dr Anna van der Berg", "Nurse di Stefano"): part of
# the name only when a capitalised word follows them.
_PARTICLES = r"(?:van|von|der|den|de|del|della|di|da|das|dos|du|le|la|ter|ten|al|el|bin|ibn)"
_SURNAME = rf"(?:{_PARTICLES}[ \t]+){{0,3}}{_NAME_WORD}"
_TITLE = re.compile(
    r"\b(?:" + "|".join(sorted(EN_TITLES, key=len, reverse=True)) + r")\.?[ \t]+"
    rf"(?P<name>{_SURNAME}(?:[ \t]+{_SURNAME}){{0,2}})"
)
# After Mr, Mrs, Ms, Miss or Mx an all-capitals word is a surname ("Mr SMITH", "Mrs Jane O'BRIEN",
# "Mr McDONALD"): no acronym follows these, as "NHS" can follow "Dr" or "Nurse".
_CAPS_WORD = rf"(?:Ma?c)?[{_UPPER}]{{2,}}(?:['’\-][{_UPPER}]+)*(?:['’]s)?" + _WORD_END
_HONORIFIC_CAPS = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?[ \t]+"
    rf"(?P<name>(?:{_NAME_WORD}[ \t]+){{0,2}}{_CAPS_WORD})"
)
# After the other titles ("Dr SMITH said", "Professor Anna KOWALSKA") capitals are a surname only
# when no further capitals follow (a run of them is shouting, or "Dr NHS TRUST") and the words are
# not acronyms or common words (`_caps_can_be_names`). PC and DC are acronyms themselves.
_OTHER_TITLES = sorted(set(EN_TITLES) - {"Mr", "Mrs", "Ms", "Miss", "Mx", "PC", "DC"}, key=len, reverse=True)
_TITLE_CAPS = re.compile(
    r"\b(?:" + "|".join(_OTHER_TITLES) + r")\.?[ \t]+"
    rf"(?P<name>(?:{_NAME_WORD}[ \t]+){{0,2}}{_CAPS_WORD}(?:[ \t]+{_CAPS_WORD})?)(?![ \t]+[{_UPPER}]{{2}})"
)
_CUE = re.compile(
    r"\b(?P<noun>[A-Za-z]+)[ \t]+(?:called|named|known[ \t]+as)[ \t]+"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
# "my daughter Emily", "her brother-in-law Dave": relationship words in any case, the name capitalised.
_RELATION = re.compile(
    r"\b(?i:" + "|".join(sorted(EN_RELATION_NOUNS, key=len, reverse=True)) + r")(?:-in-law)?[ \t]+"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_WHO = re.compile(r",?\s+who\b")
_SPEAKER_CODE = re.compile(r"^(?:P|R|I|Q|A|S|IV|INT|PT)\d{0,3}$", re.IGNORECASE)
_LEADING = re.compile(r"^(?:the|The|THE|a|an)\s+")
_TITLE_PREFIX = re.compile(r"^(?:" + "|".join(sorted(EN_TITLES, key=len, reverse=True)) + r")\.?\s+")
# Titles only people carry: an entity opening with one is a person whatever the model calls it ("Mr
# Okafor" as a PLACE). Not "Lady", "Lord", "Sir" or "Father" ("Lady Margaret Hall", "Father Ted").
_HONORIFIC_PREFIX = re.compile(
    r"^(?:Mrs|Mr|Ms|Miss|Mx|Mdm|Madam|Puan|Encik|Dr|Doctor|Prof|Professor|Sister|Nurse)\.?\s+(?=[A-Z\u00c0-\u00de])"
)
_WORDS_AFTER_TITLE_NOT_NAMES = frozenset(
    "I The A An And Or But So Then If When Who What Which That This These Those He She They We You It My "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday Christmas Easter".split()
)
# "Nurse Practitioner", "Officer Training": a role or a unit after a title, not a name.
_ROLE_WORDS = frozenset(
    "practitioner consultant specialist psychiatrist psychologist therapist lead manager training associate prescriber practice assistant educator "
    "director general registrar nurse doctor team unit ward service services council office health care station "
    "chair chairman chairwoman chairperson president speaker secretary "  # "Madam Chair", "Mr Speaker"
    "in of on at for and".split()
)
# An entity ending in one of these is an institution, whatever the model calls it: "Queen Mary
# Hospital" is no person named "Mary Hospital".
_INSTITUTION_END = re.compile(r"\b(?:Hospital|Clinic|University|School|College|Centre|Center|Infirmary|Hospice|Surgery)$")
# "St Thomas'", "Saint Helens", "St George's": a hospital, a church or a town, which the model often
# calls a person (a saint is one) and elsewhere a place: a place, so it keeps one placeholder.
_SAINT = re.compile(r"(?:St\.?|Saint)[ \t]+[A-Z]")
# A capitalised word right after Chinese: spaCy reads "我在Queen" as one word, and after "的 " it
# leaves "Queen" out too, so the entity "Mary Hospital" misses the start of its name.
_WORD_AFTER_CJK = re.compile(r"(?:(?<=[\u3400-\u9fff])|(?<=[\u3400-\u9fff][ \t]))[A-Z][a-z]+[ \t]+$")
_LATIN_RUN = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f0-9'’.\- ]*[A-Za-z\u00c0-\u024f0-9]")

# spaCy's NER needs memory in proportion to the text it reads (about 3 KB a character with the
# small model: 2 GB for a 660 KB line) and refuses a text over nlp.max_length (1,000,000). A longer
# line, as speech-to-text gives with no punctuation, is read in chunks of about this many characters.
NER_CHUNK_CHARS = 10_000
# Each chunk also reads this much of its neighbours on either side, and keeps only the entities
# that start in its own part: an entity near a cut is seen whole, with the words around it, by the
# chunk it starts in. The model looks only a few words either way, so results match a whole read.
NER_CHUNK_OVERLAP = 200
# The chunks of a batch together: nlp.pipe holds a whole batch in memory at once.
NER_BATCH_CHARS = 100_000
_SPACE = re.compile(r"\s")


def _name_end(text: str, start: int, end: int, common_words: frozenset[str] = frozenset()) -> int:
    """Where the name words after a title end: before the first word that cannot be a name."""
    cursor = start
    for word in re.finditer(r"\S+", text[start:end]):
        folded = word.group().casefold()
        if word.group() in _WORDS_AFTER_TITLE_NOT_NAMES or folded in EN_NOT_NAMES or folded in common_words:
            break
        cursor = start + word.end()
    return cursor


_NOT_CAPS_SURNAMES = EN_ACRONYMS_AFTER_TITLES | EN_NOT_NAMES


def _caps_can_be_names(match: re.Match, stop_words) -> bool:
    """Whether every word in capitals after a title can be a surname: "Dr SMITH", not "Dr ENT" or "Dr NO"."""
    words = [re.sub(r"['’]s$", "", word) for word in match.group("name").split()]
    return all(word.casefold() not in _NOT_CAPS_SURNAMES and word.casefold() not in stop_words
               for word in words if word.isupper())


def title_findings(text: str, lo: int = 0, hi: int | None = None) -> list[Finding]:
    """'Mr Osei', 'Dr. Ruth Bellamy', 'a guy called Imran', 'my daughter Emily' -> the name words, as PERSON."""
    from spacy.lang.en.stop_words import STOP_WORDS

    hi = len(text) if hi is None else hi
    found = []
    matches = [(m, frozenset()) for m in _TITLE.finditer(text, lo, hi)]
    matches += [(m, frozenset()) for m in _HONORIFIC_CAPS.finditer(text, lo, hi)]
    matches += [(m, frozenset()) for m in _TITLE_CAPS.finditer(text, lo, hi) if _caps_can_be_names(m, STOP_WORDS)]
    matches += [(m, frozenset()) for m in _CUE.finditer(text, lo, hi) if m.group("noun").casefold() in EN_PERSON_NOUNS]
    # After a relationship word a capitalised common word is usually a sentence the transcript
    # did not punctuate ("my son Then he went"), so stop words end the name there; after a title
    # they do not ("Mrs May").
    # "my teacher Miss Okonkwo" is the title rule's: it keeps the title.
    matches += [(m, STOP_WORDS) for m in _RELATION.finditer(text, lo, hi) if not _TITLE_PREFIX.match(m.group("name") + " ")]
    for m, common_words in matches:
        if m.group("name").split()[0].casefold() in _ROLE_WORDS:
            continue
        end = _name_end(text, m.start("name"), m.end("name"), common_words)
        if text[m.start("name"):end].endswith(("'s", "’s")):  # "Mr Osei's wife": the name is "Osei"
            end -= 2
        if _INSTITUTION_END.search(text, m.start("name"), end):  # "Dr Gray's Hospital": named after a person
            found.append(make(text, m.start(), end, "ORG", "title-rule"))
        elif end > m.start("name"):
            found.append(make(text, m.start("name"), end, "PERSON", "title-rule"))
    return found


def _trim(text: str, start: int, end: int, kind: str) -> tuple[int, int]:
    while start < end and not text[start].isalnum():
        start += 1
    span = text[start:end]
    lead = _LEADING.match(span)
    if lead:
        start += lead.end()
    if kind == "PERSON":
        title = _TITLE_PREFIX.match(text[start:end])
        if title:
            start += title.end()
    for suffix in ("'s", "’s", "'", "’"):
        if text[start:end].endswith(suffix) and end - len(suffix) > start:
            end -= len(suffix)
            break
    while end > start and not text[end - 1].isalnum():
        end -= 1
    while start < end and not text[start].isalnum():
        start += 1
    return start, end


def _person_after_honorific(text: str, start: int, end: int, kind: str) -> tuple[str, int]:
    """"Mr Okafor" tagged PLACE or ORG: a PERSON, its name starting after the title, which the text
    keeps ("Mr [PERSON_2]"). A role after the title ("Nurse Practitioner Team") is no name."""
    title = _HONORIFIC_PREFIX.match(text[start:end])
    if not title or text[start + title.end():end].split()[0].casefold() in _ROLE_WORDS:
        return kind, start
    return "PERSON", start + title.end()


def _latin_part(text: str, start: int, end: int) -> tuple[int, int]:
    """In mixed text the English model's entities can take in Chinese: keep the longest Latin part."""
    if not _CJK.search(text, start, end):
        return start, end
    runs = [(start + m.start(), start + m.end()) for m in re.finditer(r"[^\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+", text[start:end])]
    return max(runs, key=lambda r: r[1] - r[0], default=(start, start))


def _keep_entity(span: str, kind: str) -> bool:
    words = span.split()
    if not words or not any(ch.isalpha() for ch in span):
        return False
    if span.casefold() in EN_NOT_NAMES or all(w.casefold() in EN_NOT_NAMES for w in words):
        return False
    if len(words) == 1 and (_SPEAKER_CODE.match(span) or span.rstrip(".") in EN_TITLES):
        return False  # a code, or a title alone ("Dr" before 黄志明 taken for an organisation)
    # A one-word all-capitals PERSON is an acronym (CV, CPN), not a name.
    return not (kind == "PERSON" and (len(span) < 2 or (len(words) == 1 and span.isupper() and len(span) <= 4)))


def _is_proper_name(doc, start: int, end: int) -> bool:
    """At least one capitalised proper noun inside: the small model also tags common nouns
    ("data", "box plot", "metadata") as names, and one such slip is then copied to every
    other occurrence, so an entity with no capitalised PROPN is not taken."""
    span = doc.char_span(start, end, alignment_mode="expand")
    return span is not None and any(t.pos_ == "PROPN" and t.text[:1].isupper() for t in span)


def _batches(items: list, size, batch_size: int = 64, max_chars: int = NER_BATCH_CHARS):
    """`items` in order, in batches of at most `batch_size` items and (unless one item alone is
    longer) `max_chars` characters, as measured by `size`."""
    batch, chars = [], 0
    for item in items:
        if batch and (len(batch) == batch_size or chars + size(item) > max_chars):
            yield batch
            batch, chars = [], 0
        batch.append(item)
        chars += size(item)
    if batch:
        yield batch


def _entities_then_tags(nlp, lines: list[str]) -> list:
    """The lines through spaCy's NER, then through the tagger only where NER found something.

    `_is_proper_name` needs part-of-speech tags, but only inside entities, and most lines of an
    interview have none. The small model's NER has its own token-to-vector layer, so tagging a
    line afterwards gives exactly the tags a full pass would (tests/test_deidentify.py checks).
    Batches are bounded in characters as well as in lines, so memory is too."""
    docs = []
    with nlp.select_pipes(enable=["ner"]):
        for batch in _batches(lines, len):
            docs += nlp.pipe(batch, batch_size=len(batch))
    with_entities = [doc for doc in docs if doc.ents]
    for name, component in nlp.pipeline:
        if name != "ner" and with_entities:
            with_entities = [tagged for batch in _batches(with_entities, lambda doc: len(doc.text))
                             for tagged in component.pipe(batch, batch_size=len(batch))]
    return docs


def ner_chunks(line: str) -> list[tuple[int, int, int, int]]:
    """(read_start, read_end, own_start, own_end) for each chunk of a line, as offsets into it.

    The own parts follow one another and cover the line, cut at a sentence end or a space where
    there is one; a chunk reads its own part and up to NER_CHUNK_OVERLAP characters either side of
    it, out to a space so no word is cut. A line of up to NER_CHUNK_CHARS characters is one chunk,
    read whole."""
    from qualflow.pipeline.segment import blocks

    chunks, overlap = [], NER_CHUNK_OVERLAP
    for own_start, own_end in blocks(line, 0, len(line), NER_CHUNK_CHARS):
        read_start = _space_after(line, own_start - overlap, own_start)
        read_end = _space_before(line, own_end, own_end + overlap)
        chunks.append((read_start, read_end, own_start, own_end))
    return chunks


def _space_after(line: str, lo: int, hi: int) -> int:
    """Just after the first space in line[lo:hi], else `hi` (and 0 when `lo` is the line's start)."""
    if lo <= 0:
        return 0
    space = _SPACE.search(line, lo, hi)
    return space.end() if space else hi


def _space_before(line: str, lo: int, hi: int) -> int:
    """At the last space in line[lo:hi], else `lo` (and the line's end when `hi` reaches it)."""
    if hi >= len(line):
        return len(line)
    spaces = [m.start() for m in _SPACE.finditer(line, lo, hi)]
    return spaces[-1] if spaces else lo


def _line_chunks(text: str, regions: list[tuple[int, int]]) -> list[tuple[int, str, int, int]]:
    """(offset, chunk text, own start, own end) for the lines of each region worth reading; own
    offsets are into the chunk text."""
    chunks = []
    for lo, hi in regions:
        for line in re.finditer(r"[^\n]+", text[lo:hi]):
            if not any(ch.isalpha() for ch in line.group()):
                continue
            for read_start, read_end, own_start, own_end in ner_chunks(line.group()):
                chunks.append((lo + line.start() + read_start, line.group()[read_start:read_end],
                               own_start - read_start, own_end - read_start))
    return chunks


def ner_findings(nlp, text: str, regions: list[tuple[int, int]]) -> list[Finding]:
    """spaCy entities in each line of each region (a long line chunk by chunk), mapped to our kinds
    and cleaned."""
    chunks = _line_chunks(text, regions)
    found = []
    for (offset, chunk, own_start, own_end), doc in zip(chunks, _entities_then_tags(nlp, [c for _, c, _, _ in chunks])):
        for ent in doc.ents:
            kind = _LABEL_KINDS.get(ent.label_)
            if kind is None or not own_start <= ent.start_char < own_end:  # another chunk's entity
                continue
            pieces = [(ent.start_char, ent.end_char)]
            # spaCy's small model often runs "the X Team in Leeds" into one ORG: split off the place.
            if kind == "ORG":
                split = re.search(r"\s+in\s+(?=[A-Z])", ent.text)
                if split:
                    pieces = [(ent.start_char, ent.start_char + split.start()), (ent.start_char + split.end(), ent.end_char)]
            # "Bethany, who went ...": a one-word entity followed by "who" is a person.
            if kind != "PERSON" and len(ent) == 1 and _WHO.match(chunk, ent.end_char):
                kind = "PERSON"
            for n, (s, e) in enumerate(pieces):
                piece_kind = kind if n == 0 else "PLACE"
                s, e = _latin_part(chunk, s, e)
                s, e = _trim(chunk, s, e, piece_kind)
                if _INSTITUTION_END.search(chunk, s, e):
                    piece_kind, s = "ORG", _institution_start(text, offset + s) - offset
                elif piece_kind == "PERSON" and _SAINT.match(chunk, s, e):
                    piece_kind = "PLACE"
                else:
                    piece_kind, s = _person_after_honorific(chunk, s, e, piece_kind)
                if e > s and _keep_entity(chunk[s:e], piece_kind) and _is_proper_name(doc, s, e):
                    found.append(make(text, offset + s, offset + e, piece_kind, "ner"))
    return found


def _institution_start(text: str, start: int) -> int:
    """Where an institution's name starts: before a word right after Chinese that spaCy left out of it."""
    glued = _WORD_AFTER_CJK.search(text, max(0, start - 40), start)
    return glued.start() if glued and glued.end() == start else start


def latin_regions(text: str) -> list[tuple[int, int]]:
    """Runs of Latin script in Chinese text worth running English NER over (two capitalised words)."""
    regions = []
    for m in _LATIN_RUN.finditer(text):
        if len(re.findall(r"\b[A-Z][a-z]+", m.group())) >= 2:
            regions.append((m.start(), m.end()))
    return regions


# What may stand between a sentence's (or turn's) opening and its first word: opening quotes and brackets.
_OPENERS = "'\"‘“(["
# What ends a sentence, or a speaker label ("P20:", "Q:"), maybe behind closing quotes and brackets.
_SENTENCE_END = re.compile(r"[.!?…:;]['\"’”)\]]*$")
_QUOTE_OPENS = re.compile(r"(?:^|\s)[\"“]$")
_TIMESTAMP = re.compile(r"^\[?[\d:.,]+\]?$")  # "[00:01:05]" before a turn
_ABBREVIATED_TITLE = re.compile(r"\b(?:" + "|".join(EN_TITLES) + r")\.$")  # "Dr." ends no sentence
_SAYS = re.compile(r"[ \t]+(?:said|says|told|tells|asked|asks|replied|rang|phoned|texted|emailed|messaged)\b")
_SENTENCE_REST = re.compile(r"[^\n.!?]{0,300}[.!?]?")


def opens_sentence(text: str, start: int) -> bool:
    """Whether a word at `start` opens a line, a turn or a sentence: where every word is capitalised,
    so its capital says nothing about whether it is a name."""
    before = text[text.rfind("\n", 0, start) + 1:start].rstrip()
    if _QUOTE_OPENS.search(before):  # she said "Workload is heavy"
        return True
    before = before.rstrip(_OPENERS).rstrip()
    if not before or _TIMESTAMP.match(before):
        return True
    return bool(_SENTENCE_END.search(before)) and not _ABBREVIATED_TITLE.search(before)


def without_capitalised_common_words(nlp, text: str, found: list[Finding]) -> list[Finding]:
    """The findings less the model's one-word PERSON or ORG that is a common word capitalised only
    because a sentence or turn opens with it ("P20: Workload is heavy" as an ORG), with no other
    evidence of a name: not found elsewhere in the text (inside a longer name or by a rule), never
    capitalised in the middle of a sentence, and read by the model, with the word in lower case, as
    no entity and no proper noun. Taken, such a word joins the study's key map and is replaced
    wherever it is typed. Names that are not dictionary words ("Priya") and those the model still
    reads as names in lower case ("Mayo", "Kaiser") stay; places too (a city opening a sentence:
    WordNet lists some, and no common word was seen taken for a place there)."""
    candidates = [f for f in found if _may_be_capitalised_word(text, f)]
    doubtful = [f for f in candidates if not _other_evidence(text, f, found, candidates)]
    if not doubtful:
        return found
    sentences = [f.text.lower() + _SENTENCE_REST.match(text, f.end).group() for f in doubtful]
    common = {f for f, doc in zip(doubtful, nlp.pipe(sentences)) if not doc[0].ent_type_ and doc[0].pos_ != "PROPN"}
    return [f for f in found if f not in common]


def _may_be_capitalised_word(text: str, finding: Finding) -> bool:
    word = finding.text
    return (finding.source == "ner" and finding.kind in ("PERSON", "ORG") and word.isalpha()
            and word[:1].isupper() and word[1:].islower() and opens_sentence(text, finding.start)
            # The dictionary holds first names too ("Dawn", "Rose", "Guy"), which the model reads as
            # common words in lower case: a person is let go only for a word that is rarely a name.
            and is_common_english_word(word, first_names_too=finding.kind == "ORG"))


def _other_evidence(text: str, finding: Finding, found: list[Finding], candidates: list[Finding]) -> bool:
    """The word inside another finding ("Hope Williams", "Dr Hope"), capitalised mid-sentence, or
    saying something ("Guy said", "Florence told me"): only people do."""
    word = finding.text
    if _SAYS.match(text, finding.end):
        return True
    if any(word in re.findall(r"[\w'’\-]+", other.text) for other in found
           if other not in candidates and other.kind in ("PERSON", "ORG", "PLACE")):
        return True
    elsewhere = re.finditer(r"(?<![\w'’\-])" + re.escape(word) + r"(?!\w)", text)
    return any(not opens_sentence(text, m.start()) for m in elsewhere)
