"""Putting pseudonyms into a transcript before anything is segmented, embedded or stored.

The de-identifier finds identifiers; this module replaces them with the study's consistent
placeholders ([PERSON_1]…) and moves every turn offset onto the new text, so statements
are cut from, and point into, de-identified text only. Speaker labels that are names are
replaced too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from qualflow.pipeline.deid.detector import propagable
from qualflow.pipeline.deid.english import opens_sentence
from qualflow.pipeline.deid.findings import make, resolve_overlaps
from qualflow.pipeline.deid.lexicon import (
    EN_FILE_NAME_WORDS,
    EN_TALK_WORDS,
    EN_TITLES,
    english_common_words,
    in_word_list,
    with_traditional,
)
from qualflow.pipeline.deid.pseudonym import normalise
from qualflow.pipeline.deid.replace import OffsetMap, apply_replacements
from qualflow.pipeline.deidentify import replacements_for
from qualflow.pipeline.language import is_cjk_word
from qualflow.pipeline.persist import ReplacementRecord
from qualflow.pipeline.turns import (
    HEADER_LINE,
    ParsedTurns,
    TurnSpan,
    header_key,
    participant_code,
    read_header,
)

# A respondent code: letters, maybe a separator, digits ("P3", "R12", "P03", "resp_7", "1042", "ID-9b").
_RESPONDENT_CODE = re.compile(r"^[A-Za-z]{0,12}[\s_\-#.]?\d{1,10}[A-Za-z]?$")
_NUMBERED_ON = re.compile(r"^(.+?)(-\d+)$")  # "P3-2": the second named speaker of P3's file


@dataclass(frozen=True)
class Redacted:
    text: str
    parsed: ParsedTurns
    replacements: list[ReplacementRecord]


def is_respondent_code(value: str) -> bool:
    """"P3", "R12", "resp_07", "interview_03": a code, which names no one."""
    return bool(_RESPONDENT_CODE.match(value))


def participant_id(value: str | None, pseudonymiser) -> str | None:
    """A participant as stored. A code stays (it links statements to a participants file); anything
    else (a file name such as "Mary Smith interview", a header or units column holding a name or an
    e-mail address) becomes the study's placeholder for it, the one its mentions in the text get."""
    if value is None:
        return value
    value = participant_code(value)  # a units column's "P01" is the P1 of a file name or header
    numbered = _NUMBERED_ON.match(value)
    base, suffix = (numbered.group(1), numbered.group(2)) if numbered else (value, "")
    # "Zara-2", the second named speaker of Zara's file, has the shape of a code ("ID-9"); it is a
    # name when its first part already stands for a person (a speaker label or header value).
    if _RESPONDENT_CODE.match(value) and not (numbered and pseudonymiser.knows("PERSON", base)):
        return value
    if _RESPONDENT_CODE.match(base):
        return value
    return pseudonymiser.placeholder("PERSON", base) + suffix


def redact(text: str, parsed: ParsedTurns, findings, pseudonymiser, participants: bool = True,
           people_in_name: tuple[str, ...] = ()) -> Redacted:
    """Replace `findings` (objects with start, end, kind, text, source) and named speaker
    labels with placeholders from `pseudonymiser`; remap turns onto the new text. With
    `participants`, participant ids that are not codes are replaced too (`participant_id`), and a
    first or last name alone gets the placeholder of the one person the file names in full with it
    (`whole_names_by_part`), `people_in_name` (`people_in_file_name`) among them."""
    candidates = [f for f in findings if "\n" not in f.text]
    candidates += [make(text, turn.label_start, turn.label_end, "PERSON", "speaker-label")
                   for turn in parsed.turns if turn.label_start is not None]
    if parsed.header:
        people = {f.text.strip() for f in candidates if f.kind == "PERSON"}
        candidates += header_person_findings(
            text, lambda value: value in people or pseudonymiser.knows("PERSON", value))
    whole_name_of, turns = {}, parsed.turns
    if participants:  # de-identification is on
        given = names_given(candidates, parsed.turns) | set(people_in_name)
        whole_name_of = whole_names_by_part(given | {f.text for f in candidates if f.kind == "PERSON"})
        # The detector found the parts of the names it found; those of headers, labels and ids it never saw.
        given = {normalise(name) for name in given}
        given_parts = {part: whole for part, whole in whole_name_of.items() if whole in given}
        candidates += name_part_findings(text, list(given_parts))
        given_words = [name for name in given if len(name.split()) == 1]
        candidates += lone_name_findings(text, given_words)
        turns = [_question_with_names(turn, given_parts, given_words, pseudonymiser) for turn in turns]
    spans = [(f.start, f.end, f.kind, f.text, f.source) for f in resolve_overlaps(candidates)]
    placeholders = [pseudonymiser.placeholder(kind, whole_name_of.get(normalise(real), real) if kind == "PERSON" else real)
                    for _, _, kind, real, _ in spans]
    new_text, offsets = apply_replacements(text, [(s[0], s[1], p) for s, p in zip(spans, placeholders)])
    records = [
        ReplacementRecord(offsets.start(start), offsets.start(start) + len(placeholder), placeholder, kind, found_by)
        for (start, _, kind, _, found_by), placeholder in zip(spans, placeholders)
    ]
    labels = {(start, end): placeholder for (start, end, *_), placeholder in zip(spans, placeholders)}
    turns = [_remap_turn(turn, offsets, labels) for turn in turns]
    if participants:
        turns = [replace(turn, participant=participant_id(turn.participant, pseudonymiser)) for turn in turns]
    # The header is read again from the new text, so a name in "# interviewer: …" is replaced there too.
    header = read_header(new_text) if parsed.header else {}
    return Redacted(new_text, ParsedTurns(turns=turns, header=header), records)


def _question_with_names(turn: TurnSpan, given_parts: dict[str, str], given_words: list[str],
                         pseudonymiser) -> TurnSpan:
    """A units row's survey question with the names of the people the file names (its participant
    column above all) replaced as in its answers: a first or last name alone gets the full name's
    placeholder ("Linda, how was your shift?" in Linda Park's row gets hers, not one of its own), a
    one-word name its own. `redact_questions` finds the rest."""
    question = turn.meta.get("question")
    if not question:
        return turn
    # The row's own participant first: "Linda" is hers even where the file has two Lindas.
    own = _NUMBERED_ON.sub(r"\1", turn.participant) if turn.participant else ""
    whole_of = {**given_parts, **whole_names_by_part({own})} if own else given_parts
    words = given_words + ([normalise(own)] if len(own.split()) == 1 else [])
    found = resolve_overlaps(name_part_findings(question, list(whole_of)) + lone_name_findings(question, words))
    if not found:
        return turn
    replacements = [(f.start, f.end, pseudonymiser.placeholder("PERSON", whole_of.get(normalise(f.text), f.text)))
                    for f in found]
    return replace(turn, meta={**turn.meta, "question": apply_replacements(question, replacements)[0]})


def names_given(findings, turns) -> set[str]:
    """People the file names outside its talk: header values, speaker labels and participant ids that
    are no code (from a `# participant:` header or a file named "Mary Smith interview.txt")."""
    names = {f.text for f in findings if f.kind == "PERSON" and f.source in ("header", "speaker-label")}
    return names | {_NUMBERED_ON.sub(r"\1", turn.participant) for turn in turns
                    if turn.participant and not _RESPONDENT_CODE.match(turn.participant)}


def whole_names_by_part(names: set[str]) -> dict[str, str]:
    """First and last names (normalised) that stand for one of `names` named in full, the people a
    file names: "Thank you Mary." gets the placeholder of the header's "Mary Smith", "Dr Mehra" that
    of "Dr Rajesh Mehra" said earlier.

    Only within a file: across a study a bare "Mary" may be anyone, so it keeps its own key-map entry
    unless its file names her in full. A part two full names of the file share (Mary Smith and Mary
    Jones) is left to itself: a placeholder of its own is safer than a wrong merge."""
    owners: dict[str, set[str]] = {}
    for name in {normalise(name) for name in names if not is_cjk_word(name)}:
        words = name.split()
        # A label "Nurse Jones" or header "Dr. Mary Smith" holds a title, which is no part of a name:
        # "Dr." keyed as Mary Smith's would give every other doctor her placeholder.
        for word in {word for word in words if not _is_title(word)} if len(words) > 1 else []:
            owners.setdefault(word, set()).add(name)
    return {part: next(iter(wholes)) for part, wholes in owners.items() if len(wholes) == 1}


_TITLE_WORDS = frozenset(title.casefold() for title in EN_TITLES)


def _is_title(word: str) -> bool:
    """"dr", "Dr." or "PROF": a title, with or without its full stop."""
    return word.rstrip(".").casefold() in _TITLE_WORDS


# A name part standing alone: not inside a word, nor joined to one ("Smith-Jones", "O'Brien").
_ALONE = r"(?<![\w'’\-]){}(?![\w]|['’\-]\w)"


def name_part_findings(text: str, parts: list[str]) -> list:
    """Each of `parts` (first or last names) wherever it stands alone and capitalised in the text."""
    found = []
    for part in parts:
        pattern = re.compile(_ALONE.format(re.escape(part)), re.IGNORECASE)
        found += [make(text, m.start(), m.end(), "PERSON", "name-part") for m in pattern.finditer(text)
                  if propagable(m.group())]
    return found


def lone_name_findings(text: str, names: list[str]) -> list:
    """A one-word name a speaker label, header or participant id gives ("Will:", "# participant: Hope")
    wherever it stands alone and capitalised in the text, as a name part is ("Did Will help?", "Thanks
    Will."). A word that is also a stop word ("Will", "May") only where it opens no sentence: "Will you
    come?" keeps its word. Names that are words otherwise go unfound in talk ("Hope is our team lead")."""
    from spacy.lang.en.stop_words import STOP_WORDS

    found = []
    for name in names:
        # Not a label that is a word of its own ("Manager", "Mum", "Nurse"): a role, replaced as a label only.
        if is_cjk_word(name) or _RESPONDENT_CODE.match(name) or (_is_common_word(name.casefold())
                                                                 and name.casefold() not in STOP_WORDS):
            continue
        pattern = re.compile(_ALONE.format(re.escape(name)), re.IGNORECASE)
        found += [make(text, m.start(), m.end(), "PERSON", "name-part") for m in pattern.finditer(text)
                  if m.group()[:1].isupper() and (propagable(m.group()) or not opens_sentence(text, m.start()))]
    return found


# Header keys (as `turns.header_key` reads them: `# 访谈者：…` is "interviewer") whose value names a
# person when it is not a respondent code.
PERSON_HEADER_KEYS = frozenset({
    "participant", "interviewee", "respondent", "interviewer", "transcriber", "transcribed by", "note taker",
}) | with_traditional("记录人 记录者 记录员 转录 转录者 转录人 整理人".split())


def header_person_findings(text: str, is_person=lambda value: False) -> list:
    """"# participant: Rebecca Hargreaves", "# 访谈者：钱多多": the value, as a person, wherever the
    detector missed it; under any other key too when `is_person(value)` (a speaker's name, a person
    found elsewhere in the file). The participant id made from it is a placeholder already; the line
    itself must not keep the name."""
    found, offset = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        match = HEADER_LINE.match(line)
        if match and _names_a_person(header_key(match.group("key")), match.group("value"), is_person):
            found.append(make(text, offset + match.start("value"), offset + match.end("value"), "PERSON", "header"))
        offset += len(line) + 1
    return found


def _names_a_person(key: str, value: str, is_person) -> bool:
    if not value or _RESPONDENT_CODE.match(value):
        return False
    return key in PERSON_HEADER_KEYS or is_person(value)


_NAME_SEPARATORS = re.compile(r"[\s_\-.,/\\()\[\]]+")


def people_in_file_name(source_name: str, find) -> list[str]:
    """Names of people in a file's stored name ("interview_P9_Daniel_Kowalczyk.txt", a folder
    "Aisha Khan/"), read as words. A study keeps the real name to recognise the file; what leaves
    it (exports, reports) shows the name with the key map's entries replaced, so a person named
    only in the file name must be in the key map too. `find(text)` gives the text's findings.
    A name in lower case ("interview_p9_daniel_kowalczyk.txt") is looked for once more with the
    words capitalised that are not common words (`_capitalised`); one of two words or more."""
    stem = source_name.rsplit(".", 1)[0] if "." in source_name.rsplit("/", 1)[-1] else source_name
    words = _NAME_SEPARATORS.sub(" ", stem).strip()
    if not words:
        return []
    findings = find(words)
    people = {_without_codes(f.text) for f in findings if f.kind == "PERSON"}
    people |= _capitalised_runs(words, findings)
    cased = _capitalised(words)
    if cased != words:
        # Capitalising changes no offset, so each finding also slices the words as written.
        found = {_lower_case_name(words[f.start:f.end], cased[f.start:f.end]) for f in find(cased) if f.kind == "PERSON"}
        # Two words at least ("daniel kowalczyk"): a single word taken for a name this way is mostly an
        # ordinary one ("p20_member_checking"), and would then be replaced in every memo and theme name.
        people |= {name for name in found if len(name.split()) >= 2}
    return sorted({kept for name in people if (kept := _without_file_words(name))})


def _without_codes(name: str) -> str:
    # A model takes codes beside a name for part of it ("P3 Mary"), or a code alone for a name
    # ("P8 GMT20211129"): no name has a digit, so only the words without one are kept.
    return " ".join(word for word in name.split() if not any(ch.isdigit() for ch in word))


# Language codes and script names that label a transcript's language in its file name ("P51_zh.txt",
# "P3_EN_final"): the model takes them for a person, and a key-map entry "zh" would then be replaced
# in every memo and theme name. Only those of the languages a study here uses, and none that is also
# a surname (Ko, Ma, De).
LANGUAGE_CODES = frozenset(
    "zh en cn eng chi zho chs cht cmn yue hans hant tw hk sc tc zhcn zhtw enus engb fr es ja jp ru "
    "simplified traditional simp trad".split()
)
# Chinese words of file names ("访谈记录", "转录稿"): never a person, whatever jieba tags them.
ZH_FILE_NAME_WORDS = with_traditional(
    """访谈 访谈稿 访谈记录 记录 转录 转录稿 文字稿 逐字稿 录音 整理 整理稿 笔记 终稿 初稿 定稿 最终版 修改版
    修订版 中文 英文 翻译 译文 原文 备注 受访者 访谈者 焦点小组 座谈 座谈会 小组 深度访谈 深访 编号""".split()
)


def _without_file_words(name: str) -> str:
    """A name found in a file name without the language codes the model took in with it ("P51 zh");
    empty when only file-name words are left ("Interview Transcript Final"). Other words stay: a
    surname may be one ("Sarah Young", "Tom Case"), and keying its first name alone would leave it."""
    words = [word for word in name.split() if word.casefold() not in LANGUAGE_CODES]
    if name in ZH_FILE_NAME_WORDS or all(word.casefold() in EN_FILE_NAME_WORDS for word in words):
        return ""
    return " ".join(words)


# A capitalised name word of a file name: "Siobhan", "O'Connor", "McDonald", "Smith-Jones", "Ng".
_CAPITALISED_NAME_WORD = re.compile(r"[A-Z][a-z]*(?:[A-Z][a-z]+)*(?:['’\-][A-Z]?[a-z]+)*")


def _capitalised_runs(words: str, findings) -> set[str]:
    """Two or three capitalised words side by side in a file name, none a common word, title or code:
    a person however the model reads them ("P37 O'Connor Siobhan", surname first, it takes for nothing;
    "interview with Hope Ng" for an organisation). A file name is no sentence: its capitalised words
    beside codes and file-name words are mostly names. Not where the model finds a place ("St Albans")."""
    places = [(f.start, f.end) for f in findings if f.kind == "PLACE"]
    runs, run, offset = set(), [], 0
    for word in words.split(" ") + [""]:
        start, offset = offset, offset + len(word) + 1
        if (_CAPITALISED_NAME_WORD.fullmatch(word) and any(ch.islower() for ch in word)
                and not _is_common_word(word.casefold()) and word.casefold() not in _MORE_FILE_NAME_WORDS):
            run.append((start, word))
            continue
        if 2 <= len(run) <= 3:
            run_start, run_end = run[0][0], run[-1][0] + len(run[-1][1])
            if not any(s < run_end and run_start < e for s, e in places):
                runs.add(" ".join(w for _, w in run))
        run = []
    return runs


# Capitalised words of file names that are no names, besides `_common_words` ("Night Shift.txt").
_MORE_FILE_NAME_WORDS = frozenset(
    """shift shifts night nights burnout wellbeing stress results result analysis coding codes themes codebook
    consent report reports overview intro introduction debrief cohort arm control intervention trial
    transcripts export exported import imported backup sample samples test testing example examples
    st saint mt mount fort port lake north south east west upper lower central royal city county borough
    district road street lane avenue park trust""".split()
)


def _capitalised(words: str) -> str:
    """File-name words with each lower-case word capitalised unless it is a common word. A file name
    is no sentence: names in it are often in lower case, which the English model does not take for
    names; capitalised, common words would be ("Interview Transcript Final" as a person)."""
    return " ".join(word[0].upper() + word[1:] if _may_be_a_name(word) else word for word in words.split(" "))


def _may_be_a_name(word: str) -> bool:
    return (len(word) >= 2 and word.isalpha() and word.islower() and len(word[0].upper()) == 1
            and not _is_common_word(word))


def _lower_case_name(written: str, cased: str) -> str:
    """The name in a finding of the capitalised words, as written: the words capitalised by
    `_capitalised` or already, without codes and common words the model took in with them."""
    return " ".join(word for word, as_cased in zip(written.split(" "), cased.split(" "))
                    if as_cased[:1].isupper() and not any(ch.isdigit() for ch in word)
                    and not _is_common_word(word.casefold()))


def _is_common_word(word: str) -> bool:
    return in_word_list(word, _common_words())


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    # Work-talk words too ("sg_p5_admin_simplified.txt" gave the person "admin simplified").
    return english_common_words() | {title.casefold() for title in EN_TITLES} | LANGUAGE_CODES | EN_TALK_WORDS


_PLACEHOLDER = re.compile(r"\[[A-Z]+_\d+\]")


def redact_questions(parsed: ParsedTurns, find, pseudonymiser) -> ParsedTurns:
    """Survey questions (a units file's question column, kept in each turn's meta) with the same
    placeholders as the answers. The researcher wrote them, but "How was your visit to St Mary's?"
    names a place as surely as an answer does, and questions head Table 2 and every export.
    `find(text)` gives a question's findings."""
    questions = sorted({turn.meta["question"] for turn in parsed.turns if turn.meta.get("question")})
    clean = {}
    for question in questions:
        # A question may hold placeholders already (`_question_with_names`): the model reads some
        # of them as names ("[PERSON_6]" as a person "PERSON_6"), which must stay as they are.
        placed = [m.span() for m in _PLACEHOLDER.finditer(question)]
        findings = resolve_overlaps([f for f in find(question) if "\n" not in f.text
                                     and not any(s < f.end and f.start < e for s, e in placed)])
        clean[question], _ = apply_replacements(question, replacements_for(findings, pseudonymiser))
    if all(clean[q] == q for q in questions):
        return parsed
    turns = [replace(turn, meta={**turn.meta, "question": clean[turn.meta["question"]]})
             if turn.meta.get("question") else turn for turn in parsed.turns]
    return replace(parsed, turns=turns)


def _remap_turn(turn: TurnSpan, offsets: OffsetMap, labels: dict) -> TurnSpan:
    meta = dict(turn.meta)
    if "timestamps" in meta:
        meta["timestamps"] = [[offsets.start(s), offsets.end(e), t] for s, e, t in meta["timestamps"]]
    label = turn.speaker_label
    if turn.label_start is not None:
        label = labels.get((turn.label_start, turn.label_end), label)
    return replace(turn, start=offsets.start(turn.start), end=offsets.end(turn.end), meta=meta,
                   speaker_label=label, label_start=None, label_end=None)
