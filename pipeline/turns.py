"""Splitting a transcript into speaker turns.

A turn starts at a line that begins with a speaker label and runs until the next labelled
line. Its span covers the words only, not the label. Recognised out of the box:
role labels (`Interviewer:`, `I:`/`R:`, `Q:`/`A:`, `P3:`, `访谈者：`, `受访者：`, `问：`/`答：`…, and the
Traditional `訪談者：`, `受訪者：`…), a role with the speaker's name (`RESPONDENT (Gareth Pugh):`,
`Q (Kate):`), named speakers (`Mary Smith:`, `王芳：`, `[Mary]`, `Mary (00:01:02):`)
when the same name opens at least two lines, or once when it is shaped like a person's name
(`Tomasz Nowak:` opening a paragraph), and any pattern from `turns.label_patterns`. ASCII or
full-width colons. `A:`/`B:` alone are no roles: who asks the questions is the interviewer.
Transcription tools' exports too (`turn_formats.py`): a time before any label (`[00:00:01] Interviewer:`,
`00:00:05 P1:`, `[00:00:05] Mary Smith:`); the speaker and a time alone on a line with the words below
(Microsoft Teams `Sarah Jones   0:10`, Otter.ai `Speaker 1  0:03`, 讯飞听见/飞书妙记 `说话人1 00:00:03`,
`访谈者 00:01:02`) or with the words on the same line (`Sarah Jones 0:10 So tell me…`); Otter.ai's text
without timestamps (the speaker alone on a line, the words below), when the whole file has that shape;
Zoom's `[Sarah Jones] 10:02:33`; Rev's `Interviewer: (00:01)` and `Speaker 1 (00:00):`; a subtitle file
saved as text (its cue numbers and timing lines are no one's words). Numbered stand-ins (`Speaker 2`,
`SPEAKER_00`, `说话人2`) name no one and no role: read like `A:`/`B:`. When no speaker can be told to be the
interviewer, `ParsedTurns.notes` says so.
Lines starting with `#` before the first turn are a header (`# participant: P4`, `# 受访者：P4`).
A transcript with no labels is one participant's monologue, a turn per paragraph.
Timestamps like `[00:12:31]` inside a turn, and a label's own time, are kept as metadata and never
enter a statement.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from qualflow.pipeline.config import TurnsConfig
from qualflow.pipeline.turn_formats import (
    GENERIC_SPEAKER,
    TIME,
    TIME_ALONE,
    cue_lines,
    cue_spans,
    ends_a_question,
    ends_a_sentence,
    in_recording_order,
    is_generic_speaker,
    meeting_event,
    names_alone,
    only_numbered_speakers,
    speaker_and_time_line,
    speaker_number,
    time_before_label,
    tool_note,
)

INTERVIEWER_LABELS = {
    "interviewer", "moderator", "facilitator", "researcher", "i", "q", "int", "iv",
    "访谈者", "研究者", "采访者", "主持人", "访问者", "问",
    "訪談者", "採訪者", "訪問者", "問",  # Traditional (研究者 is written alike)
    # The interviewer as a job title: 访问员 / 訪問員 (Hong Kong, Malaysia), 访谈员 / 訪談員, 访员 / 訪員
    # (Taiwan's surveys). As names they recurred, so they were read as a person, placeholder and all.
    "访问员", "访谈员", "访员", "訪問員", "訪談員", "訪員",
    "调查员", "調查員",  # a survey's fieldworker, who asks the questions
}
PARTICIPANT_LABELS = {
    "participant", "interviewee", "respondent", "r", "a", "resp",
    "受访者", "被访者", "参与者", "答", "访谈对象",
    "受訪者", "被訪者", "參與者", "訪談對象",  # Traditional (答 is written alike)
    "受访人", "被访人", "受訪人", "被訪人",
}
# Header keys read as the English ones: `# 受访者：P12` is `# participant: P12`, so the participant id,
# the interviewer's name (to be redacted) and the date (saturation's order) are found whatever the language.
HEADER_KEYS = {
    **dict.fromkeys(("受访者", "被访者", "参与者", "访谈对象", "编号", "受访者编号", "受访人", "被访人",
                     "受訪者", "被訪者", "參與者", "訪談對象", "編號", "受訪者編號", "受訪人", "被訪人"), "participant"),
    **dict.fromkeys(("访谈者", "采访者", "研究者", "访问者", "访谈员", "访问员", "访员", "主持人", "调查员",
                     "訪談者", "採訪者", "訪問者", "訪談員", "訪問員", "訪員", "調查員"), "interviewer"),
    **dict.fromkeys(("日期", "访谈日期", "时间", "访谈时间", "訪談日期", "時間", "訪談時間"), "date"),
}
_ROLE_WORDS = "|".join(sorted((re.escape(w) for w in INTERVIEWER_LABELS | PARTICIPANT_LABELS), key=len, reverse=True))
_TIME = TIME
_COLON = r"[ \t]*[:：][ \t]*"
# Named speakers: 1-3 capitalised words (with an optional title), or 2-4 Chinese characters.
_NAME = r"(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?[ \t]+)?[A-Z][\w'’-]{0,20}(?:[ \t]+[A-Z][\w'’-]{0,20}){0,2}|[\u4e00-\u9fff]{2,4}"

_ROLE_LABEL = re.compile(rf"^[ \t]*(?P<label>P\d{{1,4}}|{_ROLE_WORDS}){_COLON}", re.IGNORECASE)
# A role or P-code and the words after a dash or a tab, not a colon: "Interviewer - How long…", "P22 – About…",
# "Interviewer<TAB>How long…" (a Word table pasted as text). Not the one-letter roles (I, Q, A, R, 问, 答):
# "I - I don't know" opens a participant's words.
_LONG_ROLE_WORDS = "|".join(sorted((re.escape(w) for w in INTERVIEWER_LABELS | PARTICIPANT_LABELS if len(w) > 1),
                                   key=len, reverse=True))
_ROLE_LABEL_DASH_OR_TAB = re.compile(
    rf"^[ \t]*(?P<label>P\d{{1,4}}|{_LONG_ROLE_WORDS})(?:[ \t]*[-–—][ \t]+|[ ]*\t[ \t]*)", re.IGNORECASE
)
# A role or P-code with its colon after a sentence's end, inside a line: a transcript saved on one line
# ("Interviewer: How long? P15: Nine years. Interviewer: …"), whose labels are then no labels.
_LABEL_INSIDE_A_LINE = re.compile(
    rf"(?<=[.?!。？！…\"”'’)\]])[ \t\u3000]*(?P<label>P\d{{1,4}}|{_LONG_ROLE_WORDS})[ \t]*[:：]", re.IGNORECASE
)
# Markdown bold or italics around a label: "**Interviewer:** …", "**P21**: …", "_Mary:_ …".
_EMPHASISED_LABEL = re.compile(
    r"^(?P<indent>[ \t]*)(?P<mark>\*\*|__|\*|_)(?P<label>[^*_\n:：]{1,40}?)"
    r"(?:(?P=mark)(?P<colon_after>[ \t]*[:：])|(?P<colon_inside>[ \t]*[:：])(?P=mark))"
)
# A role with the speaker's name, as professional transcription writes it: "RESPONDENT (Gareth Pugh):",
# "Q (Kate):", "[00:00:05] INTERVIEWER (Kate):" (a time before any label: `_match_label`).
# The role says who asks; the name is replaced.
_ROLE_WITH_NAME = re.compile(
    rf"^[ \t]*(?P<role>(?i:P\d{{1,4}}|{_ROLE_WORDS}))"
    rf"[ \t]*[(（][ \t]*(?P<label>{_NAME})[ \t]*[)）]{_COLON}"
)
# "[Mary]", "[Sarah Jones] 10:02:33" (Zoom's saved transcript), "Mary:", "Mary (00:01:02):".
_NAMED_LABEL = re.compile(
    rf"^[ \t]*(?:\[(?P<bracketed>{GENERIC_SPEAKER}|{_NAME})\](?:[ \t]*(?P<bracketed_time>{_TIME})(?![\d:]))?[ \t]*[:：]?"
    rf"|(?P<label>{_NAME})[ \t]*(?:[(（\[][ \t]*(?P<time>{_TIME})[ \t]*[)）\]])?{_COLON})[ \t]*"
)
# A tool's numbered stand-in is a label wherever it stands: "Speaker 1:", "Speaker 1 (00:00):", "SPEAKER_00:".
_GENERIC_LABEL = re.compile(
    rf"^[ \t]*(?P<label>{GENERIC_SPEAKER})[ \t]*(?:[(（\[][ \t]*(?P<time>{_TIME})[ \t]*[)）\]])?{_COLON}"
)
# The speaker and a time alone on a line, the words below: "Sarah Jones   0:10" (Teams), "Speaker 1  0:03"
# (Otter), "说话人1 00:00:03" (讯飞听见, 飞书妙记), "访谈者 00:01:02"; or the words after the time on the same
# line ("Sarah Jones 0:10 So tell me…"). Which of them are labels: `_speaker_time_lines`.
_SPEAKER_TIME_LINE = speaker_and_time_line(rf"{GENERIC_SPEAKER}|(?i:P\d{{1,4}}|{_ROLE_WORDS})|{_NAME}")
# A speaker alone on a line (Otter's text without timestamps): which lines are labels is `_names_alone`'s.
_NAME_ALONE = re.compile(rf"{GENERIC_SPEAKER}|(?i:P\d{{1,4}}|{_ROLE_WORDS})|{_NAME}")
_CJK_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
TIMESTAMP = re.compile(rf"[\[(（]\s*{_TIME}\s*[\])）]|(?<![\d:]){_TIME}(?![\d:])")
_ANNOTATION = re.compile(r"^[(\[（【][^()\[\]（）【】]*[)\]）】]$")  # a whole line in brackets
_HEADER = re.compile(r"^#\s*(?P<key>[\w -]+?)\s*[:：]\s*(?P<value>.*?)\s*$")
# The same on an unstripped line, so a value's offsets point into the text.
HEADER_LINE = re.compile(r"^\s*#\s*(?P<key>[\w -]+?)\s*[:：]\s*(?P<value>.*?)\s*$")
_PARTICIPANT_ID = re.compile(r"^P\d{1,4}$", re.IGNORECASE)
_FILE_PARTICIPANT = re.compile(r"(?:^|[^A-Za-z0-9])P(\d{1,4})(?![0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class TurnSpan:
    index: int
    role: str  # interviewer | participant | other
    speaker_label: str | None
    participant: str | None
    start: int
    end: int
    meta: dict = field(default_factory=dict)  # {"time": "00:01:02", "timestamps": [[start, end, "00:12:31"], ...]}
    label_start: int | None = None  # where the label's name sits in the text (for de-identification)
    label_end: int | None = None


@dataclass
class ParsedTurns:
    turns: list[TurnSpan]
    header: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the researcher should check ("访谈者" with no colon)


# A Chinese role word opening a line with a space but no colon ("访谈者 你好"): typed and speech-recognised
# transcripts write labels so, but a label needs its colon (a line may well start with 问 or 答 as a word),
# so these lines are read as text and the researcher is told.
_CJK_ROLE_WORDS = sorted((w for w in INTERVIEWER_LABELS | PARTICIPANT_LABELS if re.match(r"[\u4e00-\u9fff]", w)),
                         key=len, reverse=True)
_LABEL_WITHOUT_COLON = re.compile(rf"^[ \t]*({'|'.join(_CJK_ROLE_WORDS)})[ \t\u3000]+\S")


def _speaker_before_annotations(raw: list[list]) -> list | None:
    """The labelled turn that whole-line notes ("(laughs)", "[pause]") at the end of `raw` follow, if any."""
    at = len(raw)
    while at and raw[at - 1][5] == "other" and raw[at - 1][0] is None:
        at -= 1
    if at == len(raw) or not at or raw[at - 1][0] is None:
        return None
    return raw[at - 1]


def labels_without_colon(lines: list[str], found_labels: list) -> list[str]:
    """A note for each role word that opens unlabelled lines followed by a space instead of a colon."""
    counts = Counter(match.group(1) for line, found in zip(lines, found_labels)
                     if not found and (match := _LABEL_WITHOUT_COLON.match(line)))
    return [f'{n} lines start with "{word}" and a space but no colon: not read as a speaker label '
            f'(write "{word}：" to make it one)' for word, n in counts.most_common()]


def header_key(key: str) -> str:
    """A header key as stored: lower case, and a Chinese key as its English one (`HEADER_KEYS`)."""
    key = key.strip().lower()
    return HEADER_KEYS.get(key, key)


def _add_header_line(header: dict[str, str], match: re.Match) -> None:
    key = header_key(match.group("key"))
    # The first of two synonyms wins: "# 受访者：P3" then "# 编号：07" keep P3.
    if key not in header or key not in HEADER_KEYS.values():
        header[key] = match.group("value")


def read_header(text: str) -> dict[str, str]:
    """The `# key: value` lines before the first non-header line."""
    header: dict[str, str] = {}
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        match = _HEADER.match(stripped)
        if match:
            _add_header_line(header, match)
    return header


# A Chinese participant code in a file name: a respondent word and its number ("受访者03", "编号7").
_CJK_WORD_CODE = r"[\s_\-#.:：]*第?(?P<n>\d{1,3})(?![\d年月日\-./])"
_FILE_RESPONDENT_CODE = re.compile(r"(?:受访者|被访者|参与者|访谈对象|编号|受訪者|被訪者|參與者|訪談對象|編號|受访人|被访人|受訪人|被訪人)"
                                   + _CJK_WORD_CODE)
# An interview number ("访谈12"): the participant's code only when the name holds no person, since
# "王芳访谈2" is 王芳's second interview (flows/ingesting.py decides). Dates ("访谈2024年5月") are none.
_FILE_INTERVIEW_NUMBER = re.compile(r"(?:访谈|采访|访问|訪談|採訪|訪問)" + _CJK_WORD_CODE)


# One spelling per participant code, whatever its source (file name, header, speaker label, units
# column): "P01", "p1", "P 01", "P_01" are all P1. P<n> without padding is the form file names have
# always given, so the ids of stored studies (mostly from file names) keep theirs, and it is what
# new P<n> numbers are counted from (flows/ingesting.py). "Keep the first spelling seen" would make an
# id depend on the order files arrive in. Other codes (R17, resp_07) stay as written.
_P_CODE = re.compile(r"^P[ _-]?0*(\d{1,4})$", re.IGNORECASE)


def participant_code(value: str) -> str:
    """"P01", "p1" or "P 01" as P1; any other id (R17, resp_07, a name, a placeholder) as it is."""
    match = _P_CODE.match(value.strip())
    return f"P{int(match.group(1))}" if match else value


def participant_from_file_name(stem: str) -> str | None:
    """"P2_GMT20211119", "interview_p07", "受访者03" or "编号7_社工" give P2 / P7 / P3 / P7."""
    match = _FILE_PARTICIPANT.search(stem)
    if match:
        return f"P{int(match.group(1))}"
    match = _FILE_RESPONDENT_CODE.search(stem)
    return f"P{int(match.group('n'))}" if match else None


def interview_number_in_file_name(stem: str) -> str | None:
    """"访谈12" gives P12: interview no. 12, numbered as researchers number their participants."""
    match = _FILE_INTERVIEW_NUMBER.search(stem)
    return f"P{int(match.group('n'))}" if match else None


def role_of(label: str, config: TurnsConfig | None = None) -> str | None:
    """The role a label names, or None when it names a person rather than a role."""
    lowered = label.strip().lower()
    if config and lowered in {n.strip().lower() for n in config.interviewer_names}:
        return "interviewer"
    if lowered in INTERVIEWER_LABELS:
        return "interviewer"
    if lowered in PARTICIPANT_LABELS or _PARTICIPANT_ID.match(label.strip()):
        return "participant"
    return None


class TurnParser:
    def __init__(self, config: TurnsConfig | None = None):
        self.config = config or TurnsConfig()
        self._extra = [re.compile(p) for p in self.config.label_patterns]

    def _match_label(self, line: str, named_ok: set[str]):
        """(label, time, label_start, content_start, role) for a labelled line, else None; `role` is
        the one a role word beside a name gives ("RESPONDENT (Gareth Pugh):"), else None. A time may
        open the line ("[00:00:01] Interviewer: …") and may stand alone after the colon (Rev's
        "Interviewer: (00:01)", the words below): either is the turn's time, not its words."""
        found = self._label_at(line, named_ok)
        if found is None and (before := time_before_label(line)):
            at, time = before
            found = self._label_at(line[at:], named_ok)
            if found:
                label, own_time, label_start, content_start, role = found
                found = label, own_time or time, at + label_start, at + content_start, role
        return _with_time_alone(line, found)

    def _label_at(self, line: str, named_ok: set[str]):
        """`_match_label` for a line that starts with its label."""
        for pattern in self._extra:
            match = pattern.match(line)
            if match:
                return match.group("label"), None, match.start("label"), match.end(), None
        match = _ROLE_WITH_NAME.match(line)
        if match:
            role = role_of(match.group("role"), self.config)
            if _is_common_word(_without_title(match.group("label")).split()[0]):  # "INTERVIEWER (Translator):"
                return match.group("role"), None, match.start("role"), match.end(), role
            return match.group("label"), None, match.start("label"), match.end(), role
        match = _ROLE_LABEL.match(line) or _GENERIC_LABEL.match(line) or _ROLE_LABEL_DASH_OR_TAB.match(line)
        if match:
            return match.group("label"), match.groupdict().get("time"), match.start("label"), match.end(), None
        match = _NAMED_LABEL.match(line)
        if match:
            group = "bracketed" if match.group("bracketed") else "label"
            name = match.group(group)
            if name in named_ok or match.group("time") or group == "bracketed":
                return name, match.group("time") or match.group("bracketed_time"), match.start(group), match.end(), None
        return None

    def _speaker_time_lines(self, lines: list[str], colon_labels: list) -> dict[int, tuple]:
        """The lines that open with a speaker and a time (`_SPEAKER_TIME_LINE`), alone or with the words
        after them, and are labels: a role, a `P<n>` or a numbered stand-in ("Speaker 2"), an English name
        on two or more such lines unless all its words are common ones (a "Break 10:30" heading), or once
        when shaped like a person's name (`_speaker_shaped`; a single word only beside other such labels).
        A Chinese word is a speaker only as a personal name (`_chinese_name`), never for recurring: a
        diary's 吃药 8:00, 早餐 7:30, 下午 2:30 recur too. A one-letter role ("I 0:03") must recur too.
        The words on the same line ("Sarah Jones 0:10 So tell me…") make a label only where speakers take
        turns (`_turn_taking`) and no other line has a colon label (`colon_labels`, `_match_label`'s): in
        "P3: The rota said" a line "Sarah Jones 7:00 to 19:00" is P3's words."""
        candidates = {i: match for i, line in enumerate(lines) if (match := _SPEAKER_TIME_LINE.match(line))}
        counts = Counter(match.group("label") for match in candidates.values())
        alone = Counter(match.group("label") for match in candidates.values() if match.group("words") is None)

        def is_label(name: str, labelled_elsewhere: bool) -> bool:
            if role_of(name, self.config) or is_generic_speaker(name):
                return len(name.strip()) > 1 or counts[name] >= 2
            if _CJK_NAME.fullmatch(name):  # "王芳 00:01:02" recurring, or once beside "访谈者 00:00:01"
                said_enough = counts[name] >= 2 or labelled_elsewhere
                if _surname_and_title(name):  # "李老师 00:01:02" alone on its line, again and again: a speaker;
                    return alone[name] >= 2  # "王医生 10:00 查房" with the words beside it is a clinical note
                return said_enough and _chinese_name(name) and not _chinese_time_word(name)  # 周三 is a name too
            if counts[name] >= 2:
                return not all(_is_common_word(word) for word in _without_title(name).split())
            return len(candidates) >= 2 and _speaker_shaped(name, labelled_elsewhere)

        found = {i: match for i, match in candidates.items() if is_label(match.group("label"), False)}
        found |= {i: match for i, match in candidates.items() if is_label(match.group("label"), bool(found))}
        roles = {name for name in counts if role_of(name, self.config) or is_generic_speaker(name)}
        if any(found for i, found in enumerate(colon_labels) if i not in candidates) or not _turn_taking(found, roles):
            found = {i: match for i, match in found.items() if match.group("words") is None}
        return {i: (match.group("label"), match.group("time"), match.start("label"),
                    match.start("words") if match.group("words") else match.end(), None)
                for i, match in found.items()}

    def _names_alone(self, lines: list[str]) -> dict[int, tuple]:
        """Otter.ai's plain text without timestamps, when the whole file has its shape (`names_alone`):
        the lines holding a speaker alone, as labels with the words on the lines below. A speaker is a
        role word (not one letter), a numbered stand-in, a name on two or more such lines unless all its
        words are common ones, or once when shaped like a person's name; a Chinese name as `_chinese_name`."""

        def speaker(line: str) -> str | None:
            if _NAME_ALONE.fullmatch(line) and not re.fullmatch(r"[A-Za-z]", line):
                return line
            return None

        def is_speaker(name: str, times: int) -> bool:
            if role_of(name, self.config) or is_generic_speaker(name):
                return True
            if _CJK_NAME.fullmatch(name):
                return _chinese_name(name)
            if times >= 2:
                return not all(_is_common_word(word) for word in _without_title(name).split())
            return _speaker_shaped(name, True)

        return {i: (name, None, len(lines[i]) - len(lines[i].lstrip()), len(lines[i]), None)
                for i, name in names_alone(lines, speaker, is_speaker).items()}

    def _speakers_once(self, lines: list[str], found_labels: list, counts: Counter) -> list:
        """`found_labels` with the named labels that open a turn once only ("Tomasz Nowak: …", a
        colleague speaking once in a focus group) when they are shaped like a person's name
        (`_speaker_shaped`) and start a paragraph or follow a labelled line, so a name said once is
        still a label to replace. A heading or "Note: …" inside a turn stays text."""
        labelled_elsewhere = any(found_labels)
        found_now = list(found_labels)
        for i, line in enumerate(lines):
            if found_now[i]:
                continue
            at, match = _named_label(line)
            name = match.group("label") if match else None
            if not name or counts[name] != 1 or not line[at + match.end():].strip():
                continue
            turn_start = i == 0 or not lines[i - 1].strip() or found_now[i - 1] is not None
            if turn_start and _speaker_shaped(name, labelled_elsewhere):
                before = time_before_label(line) if at else None
                found = (name, before[1] if before else None, at + match.start("label"), at + match.end(), None)
                found_now[i] = _with_time_alone(line, found)
        return found_now

    @staticmethod
    def _named_label_counts(text: str) -> Counter:
        return Counter(m.group("label") for line in text.split("\n")
                       if (m := _named_label(line)[1]) and m.group("label"))

    def _recurring_names(self, text: str) -> set[str]:
        """Named labels count when the same name opens two or more lines (or is the header's
        participant), so a sentence like "Note: ..." or "Example: ..." is not taken for a speaker;
        a name-shaped one once only (`_speakers_once`)."""
        counts = self._named_label_counts(text)
        # The header's participant is a speaker however often they speak: "Zara: …" once in a couple
        # interview under "# participant: Zara" was read as the interviewer still talking.
        # The header's interviewer too (`# 访谈者：钱多多`), who may ask one question only.
        header = read_header(text)
        named = {header.get("participant"), header.get("interviewer")}
        return {name for name, n in counts.items() if n >= 2 or name in named}

    def parse(self, text: str, default_participant: str | None = None) -> ParsedTurns:
        header: dict[str, str] = {}
        lines = text.split("\n")
        # Labels are looked for with Markdown's emphasis around them blanked out, to the same width, so every
        # offset still points into the text.
        plain = [_without_label_emphasis(line) for line in lines]
        named_ok = self._recurring_names("\n".join(plain))
        raw: list[list] = []  # [label, time, label_start, start, end, role if the line gives one]
        # A subtitle file saved as text: its cue numbers and timing lines part turns as a blank line does.
        cues = cue_lines(lines)
        label_lines = ["" if i in cues else line for i, line in enumerate(plain)]
        colon_labels = [self._match_label(line, named_ok) for line in label_lines]
        time_lines = self._speaker_time_lines(label_lines, colon_labels)
        found_labels = [time_lines.get(i) or found for i, found in enumerate(colon_labels)]
        found_labels = self._speakers_once(label_lines, found_labels, self._named_label_counts("\n".join(plain)))
        if not any(found_labels) and (alone := self._names_alone(label_lines)):
            found_labels = [alone.get(i) for i in range(len(lines))]  # Otter's text without timestamps
        # Think-aloud and field notes often label only the interviewer ("MODERATOR: …"):
        # then every unlabelled paragraph is the participant speaking, not a continuation.
        interviewer_only = bool([f for f in found_labels if f]) and all(
            (found[4] or role_of(found[0], self.config)) == "interviewer" for found in found_labels if found)
        speakers = {found[0] for found in found_labels if found}
        seen_label = False
        # Where only the interviewer is labelled, a label alone on its line ("MODERATOR:", "Interviewer  0:03",
        # "Interviewer: (00:01)") keeps some lines below as its words (`_question_below`): up to this line.
        words_until = -1
        offset = 0
        cue_time = None  # the time of the subtitle cue the next line opens
        for i, (line, found) in enumerate(zip(lines, found_labels)):
            line_offset, offset = offset, offset + len(line) + 1
            stripped = line.strip()
            if i in cues:
                cue_time = cues[i] or cue_time
                continue
            if not stripped:
                continue
            if found:
                label, time, label_start, content_start, role = found
                seen_label = True
                words_until = -1
                if interviewer_only and not line[content_start:].strip():
                    words_until = _question_below(label_lines, found_labels, i)
                raw.append([label, time or cue_time, line_offset + label_start, line_offset + content_start,
                            line_offset + len(line.rstrip()), role])
                cue_time = None
                continue
            cue_time = None
            if not seen_label and stripped.startswith("#"):
                header_match = _HEADER.match(stripped)
                if header_match:
                    _add_header_line(header, header_match)
                continue
            line_start, line_end = line_offset + len(line) - len(line.lstrip()), line_offset + len(line.rstrip())
            if _ANNOTATION.match(stripped) or meeting_event(stripped, speakers) or tool_note(stripped):
                # "(laughs)", "[inaudible]", Teams' "Kate Morris stopped transcription", Otter's
                # "Transcribed by https://otter.ai"
                raw.append([None, None, None, line_start, line_end, "other"])
            elif interviewer_only and i <= words_until and raw[-1][0] is not None:
                raw[-1][4] = line_end
            elif interviewer_only:
                raw.append([None, None, None, line_start, line_end, "participant"])
            elif raw and seen_label and raw[-1][5] != "other":
                raw[-1][4] = line_end
            elif (speaker := _speaker_before_annotations(raw)) is not None:
                # "P1: I went there.\n(laughs)\nAnd then…": the words after a note on a line of its own are
                # still the speaker's. A turn of their own, pointing at the same label, so the name in it
                # is replaced as the label's is (redact.py).
                label, _, label_start, _, _, role = speaker
                raw.append([label, None, label_start, line_start, line_end, role])
            else:
                # Before the first label: "other" if labels follow, a monologue if none ever do.
                raw.append([None, None, None, line_start, line_end, None])
        parsed = self._build(text, raw, header, default_participant, seen_label, cue_spans(lines, cues))
        parsed.notes = labels_without_colon(lines, found_labels) + parsed.notes
        return parsed

    def from_source_turns(self, text: str, source_turns, default_participant: str | None = None) -> ParsedTurns:
        """Turns given by the file format itself (subtitle cues, table rows)."""
        raw = [[t.speaker, t.meta.get("start_time"), _label_before(text, t.speaker, t.start), t.start, t.end, None]
               for t in source_turns]
        turns = self._build(text, raw, {}, default_participant, any(t.speaker for t in source_turns))
        return ParsedTurns(turns=turns.turns, header={}, notes=turns.notes)

    def _build(self, text, raw, header, default_participant, seen_label, furniture=()) -> ParsedTurns:
        roles, notes = self._roles(text, raw, seen_label, header.get("interviewer"))
        base = header.get("participant") or default_participant
        base = participant_code(base) if base else base
        named_participants: dict[str, str] = {}
        same_person = _first_or_last_names([label for (label, *_), role in zip(raw, roles) if role == "participant"])
        turns = []
        for (label, time, label_start, start, end, _), role in zip(raw, roles):
            while start < end and text[start].isspace():
                start += 1
            if start >= end:
                continue  # a label with nothing said
            participant = None
            if role == "participant":
                if label and _PARTICIPANT_ID.match(label):
                    participant = participant_code(label)
                elif label and role_of(label, self.config) is None:
                    # A named participant: the file's participant id, numbered on if a file has several.
                    # "A (Gareth):" is the "RESPONDENT (Gareth Pugh):" of the same file.
                    speaker = same_person.get(label, label)
                    if speaker not in named_participants:
                        n = len(named_participants)
                        named_participants[speaker] = base if n == 0 and base else f"{base or 'S'}-{n + 1}"
                    participant = named_participants[speaker]
                else:
                    participant = base
            meta: dict = {}
            if time:
                meta["time"] = time
            # A subtitle cue's number and timing line inside a turn ("2\n00:00:05.000 --> …") count
            # as one timestamp, so the statements are cut around it.
            cues = [[a, b, time] for a, b, time in furniture if start <= a and b <= end]
            stamps = sorted(cues + [[m.start(), m.end(), m.group().strip("[]()（） ")]
                                    for m in TIMESTAMP.finditer(text, start, end)
                                    if not any(a <= m.start() < b for a, b, _ in cues)])
            if stamps:
                meta["timestamps"] = stamps
            # One letter ("B:", "M:") is no name to pseudonymise: it would turn a role into a person;
            # nor is a tool's "Speaker 2".
            is_name = (label is not None and len(label.strip()) > 1 and role_of(label, self.config) is None
                       and not _PARTICIPANT_ID.match(label) and not is_generic_speaker(label))
            name_at = label_start if is_name and label_start is not None else None
            turns.append(TurnSpan(len(turns), role, label, participant, start, end, meta,
                                  name_at, name_at + len(label) if name_at is not None else None))
        return ParsedTurns(turns=turns, header=header, notes=notes)

    def _roles(self, text: str, raw: list[list], seen_label: bool,
               interviewer: str | None = None) -> tuple[list[str], list[str]]:
        """Each turn's role, and a note when no speaker could be told to be the interviewer;
        `interviewer` is the header's (`# 访谈者：钱多多`), who asks whatever they say."""
        labels = [entry[0] for entry in raw]
        a_and_b = _only_a_and_b(labels) or only_numbered_speakers(labels)
        roles = []
        for label, *_, hint in raw:
            if label is None:
                roles.append(hint or ("other" if seen_label else "participant"))
            elif hint:
                roles.append(hint)  # "INTERVIEWER (Kate):": the role word beside the name says
            elif a_and_b:
                # A: and B: name no role ("A" is the answer only beside Q:), nor does "Speaker 1": who asks
                # decides, unless the researcher named the interviewer (`turns.interviewer_names`).
                named = label.strip().lower() in {n.strip().lower() for n in self.config.interviewer_names}
                roles.append("interviewer" if named else "?")
            else:
                roles.append(role_of(label, self.config) or ("interviewer" if label == interviewer else "?"))
        notes = []
        if "?" in roles:
            questioner = self._questioner(labels, roles, text, raw)
            speakers = sorted({label for label, role in zip(labels, roles) if role == "?"})
            if questioner is None and a_and_b and "interviewer" not in roles:
                # Neither asks: "A", or the first numbered stand-in ("Speaker 1"), as transcribers order them.
                questioner = min(speakers, key=lambda label: (label.strip().upper() != "A", speaker_number(label)))
                notes.append(f'no speaker mostly asks questions: "{questioner}" was read as the interviewer; '
                             f'check, and name the interviewer in turns.interviewer_names if it is another')
            elif questioner is None and len(everyone := _participant_speakers(labels, roles)) > 1 \
                    and "interviewer" not in roles:
                # Counted with the speakers a label makes participants: "Sarah:" beside "P7:" is two.
                notes.append(f"no speaker mostly asks questions: all {len(everyone)} speakers were read as "
                             f"participants; name the interviewer in turns.interviewer_names or a "
                             f"'# interviewer:' header")
            roles = [("interviewer" if label == questioner else "participant") if role == "?" else role
                     for label, role in zip(labels, roles)]
        return roles, notes

    @staticmethod
    def _questioner(labels, roles, text, raw) -> str | None:
        """Among named speakers, the interviewer is the one whose turns are mostly questions,
        unless a role label already names the interviewer. A lone named speaker beside speakers a
        label makes participants ("Sarah: …" / "P7: …", "王芳：…" / "受访者：…") is measured against
        them: the interviewer when they mostly ask, and ask more than any of them."""
        if "interviewer" in roles:
            return None
        undecided = _question_shares(labels, roles, text, raw, "?")
        if len(undecided) >= 2:
            # Named speakers only, as before: whoever asks the most of them.
            best = max(undecided, key=lambda name: (undecided[name][0], -undecided[name][1]))
            return best if undecided[best][0] >= 0.4 else None
        participants = {name: share for name, share in
                        _question_shares(labels, roles, text, raw, "participant").items() if name not in undecided}
        if len(undecided) != 1 or not participants:
            return None
        ((named, (share, _)),) = undecided.items()
        return named if share >= 0.4 and share > max(asks for asks, _ in participants.values()) else None


def _question_shares(labels, roles, text, raw, role_counted: str) -> dict[str, tuple[float, int]]:
    """For each labelled speaker of turns with `role_counted`: (share of their turns that end in a
    question mark, number of turns), in order of first turn."""
    asked, spoke = Counter(), Counter()
    for label, role, (_, _, _, start, end, _) in zip(labels, roles, raw):
        if label is not None and role == role_counted:
            spoke[label] += 1
            asked[label] += text[start:end].rstrip().endswith(("?", "？"))
    return {name: (asked[name] / spoke[name], spoke[name]) for name in spoke}


def _participant_speakers(labels: list[str | None], roles: list[str]) -> list[str]:
    """The labelled speakers read as participants or not yet decided ("?"), in order of first turn."""
    return list(dict.fromkeys(label for label, role in zip(labels, roles)
                              if label is not None and role in ("?", "participant")))


def _label_before(text: str, speaker: str | None, words_start: int) -> int | None:
    """Where a structured source's speaker label sits: just before its words ("Name: words"), so a
    named speaker of a subtitle cue ("Tomasz Nowak: …", `<v Kate Morris>`) is replaced as a label is."""
    if not speaker or not _names_someone(speaker):
        return None
    label_start = words_start - len(": ") - len(speaker)
    return label_start if label_start >= 0 and text[label_start:words_start] == f"{speaker}: " else None


def _names_someone(speaker: str) -> bool:
    """"Tomasz Nowak", "王芳": a name; "Speaker 1", "Unknown speaker", "Host": a transcription tool's
    stand-in, which no placeholder should turn into a person."""
    return any(word.isalpha() and not _is_common_word(word) for word in speaker.split())


def _first_or_last_names(labels: list[str | None]) -> dict[str, str]:
    """Each one-word label that is the first or last name of exactly one longer label: "Gareth" ->
    "Gareth Pugh", who is one speaker whichever way the transcriber wrote it."""
    full = {label for label in labels if label and len(label.split()) > 1}
    owners: dict[str, set[str]] = {}
    for name in full:
        words = _without_title(name).split()
        for word in {words[0], words[-1]} if words else set():
            owners.setdefault(word, set()).add(name)
    return {label: next(iter(owners[label])) for label in set(labels)
            if label and label not in full and len(owners.get(label, ())) == 1}


def _without_title(name: str) -> str:
    return _TITLE.sub("", name, count=1)


_TITLE = re.compile(r"^(?:Dr|Mr|Mrs|Ms|Prof)\.?[ \t]+")
# Words that open a line with a colon without naming anyone ("Note:", "Update:", "Action points:"),
# besides stop words and the lexicon's common words (`_is_common_word`).
_NOT_SPEAKER_WORDS = frozenset(
    """
    note notes update updates question questions answer answers comment comments example examples summary
    background context observation observations aside action actions agenda topic topics theme themes point
    points step steps task tasks issue issues result results finding findings outcome outcomes aim aims goal
    goals objective objectives purpose reason reasons problem problems solution solutions definition quote
    source reference references warning important reminder prompt probe probes reply response responses end
    start break pause time date location venue duration present attendees absent apologies section
    introduction conclusion consent debrief closing opening translator translation interpreter transcriber
    key main next final total overall general additional other follow side todo edit edits ps nb re fyi
    unknown unidentified guest host audience everyone multiple several inaudible crosstalk
    """.split()
)


def labels_inside_lines(text: str) -> list[str]:
    """Speaker labels written inside lines rather than at their start (at most three, as written): why a
    file saved on one line has no participant's words."""
    found = dict.fromkeys(m.group("label") for m in _LABEL_INSIDE_A_LINE.finditer(text))
    return list(found)[:3]


def _without_label_emphasis(line: str) -> str:
    """The line with Markdown's ** (or __, *, _) around an opening label turned into spaces:
    "**P21:** About…" is read as "  P21:   About…", which has the same offsets."""
    match = _EMPHASISED_LABEL.match(line)
    if match is None:
        return line
    mark = " " * len(match.group("mark"))
    colon = match.group("colon_after") or match.group("colon_inside")
    label = match.group("indent") + mark + match.group("label")
    label += mark + colon if match.group("colon_after") else colon + mark
    return label + line[match.end():]


def _with_time_alone(line: str, found: tuple | None) -> tuple | None:
    """A found label with a time alone after its colon (Rev's "Interviewer: (00:01)", the words on
    the next line) as its time, its words starting past it."""
    if found and (alone := TIME_ALONE.match(line[found[3]:])):
        label, time, label_start, _, role = found
        return label, time or alone.group("time"), label_start, len(line), role
    return found


def _named_label(line: str) -> tuple[int, re.Match | None]:
    """`_NAMED_LABEL` on `line`, or past a time that opens it ("[00:00:05] Mary Smith: …"), and where
    it was matched from."""
    match = _NAMED_LABEL.match(line)
    if match or not (before := time_before_label(line)):
        return 0, match
    return before[0], _NAMED_LABEL.match(line[before[0]:])


def _is_common_word(word: str) -> bool:
    from qualflow.pipeline.deid.lexicon import in_word_list

    return in_word_list(word.strip(".").casefold(), _common_words())


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    from qualflow.pipeline.deid.lexicon import english_common_words

    return english_common_words() | _NOT_SPEAKER_WORDS | INTERVIEWER_LABELS | PARTICIPANT_LABELS


def _speaker_shaped(name: str, labelled_elsewhere: bool) -> bool:
    """A named label that may stand once: one to three capitalised words that are not common words
    ("Tomasz Nowak", "Dr Patel"), a single word only where the file labels other turns too ("Ben:" in
    a focus group, never a lone "Update:"). Chinese names (2-4 characters) are left to their recurring."""
    words = _without_title(name).split()
    if not words or not all(re.fullmatch(r"[A-Z][a-z][\w'’-]*|[A-Z]['’][A-Z][\w'’-]*", word) for word in words):
        return False
    if any(_is_common_word(word) for word in words):
        return False
    return len(words) > 1 or labelled_elsewhere or _TITLE.match(name) is not None


def _chinese_name(name: str) -> bool:
    """王芳, 欧阳娜娜: a personal name as de-identification judges one (no role word, no common word)."""
    from qualflow.pipeline.deid.chinese_names import plausible_name

    return role_of(name) is None and plausible_name(name)


def _surname_and_title(word: str) -> bool:
    """李老师, 王医生, 陈姑娘: a surname and a title, as Chinese transcripts often name a speaker."""
    from qualflow.pipeline.deid.lexicon import SURNAMES, ZH_TITLE_SET

    return word[0] in SURNAMES and word[1:] in ZH_TITLE_SET


def _chinese_time_word(word: str) -> bool:
    """上午, 下午, 周一 (週一): a word jieba's dictionary tags as a time ("下午 2:30" opens a diary's line)."""
    import jieba.posseg

    from qualflow.pipeline.chinese_script import to_simplified

    jieba.dt.check_initialized()
    tags = jieba.posseg.dt.word_tag_tab
    return (tags.get(word) or tags.get(to_simplified(word))) == "t"


def _question_below(lines: list[str], found_labels: list, at: int) -> int:
    """The last line a label alone on line `at` keeps, where only the interviewer is labelled: up to and
    including the first line ending in a question mark ("What do you see on this page?"), as the line after
    it is the participant's answer ("Um, a button, I guess."), if the lines before it are one sentence
    wrapped ("What do you make of the\nlayout here?"); else the first line only. An answer read as the
    interviewer's is lost to the analysis, a question left to the participant only clustered: so after
    "Please open the settings." the participant's "Okay. Is that it?" stays theirs, and a second question
    ("How was the shift?\nAnd the handover?") is left to the participant too."""
    below = at + 1
    while below < len(lines) and lines[below].strip() and not found_labels[below]:
        if ends_a_question(lines[below]):
            return below
        if ends_a_sentence(lines[below]):
            break
        below += 1
    return at + 1


def _turn_taking(found: dict[int, re.Match], roles: set[str]) -> bool:
    """Whether the speaker-and-time lines `found` read as a conversation: two or more speakers, one of them
    on two or more lines unless all are `roles` (访谈者 and 受访者 once each are an exchange), the times in
    recording order (`in_recording_order`). A travel diary's
    "Kuala Lumpur 9:30 we landed" then "Penang Island 14:00", each place once, is no conversation; nor is a
    rota's "Sarah Jones 7:00 to 19:00", "Priya Patel 19:00 to 7:00", "Sarah Jones 7:00 …", whose times go back."""
    counts = Counter(match.group("label") for match in found.values())
    times = [found[i].group("time") for i in sorted(found)]
    recurs = max(counts.values(), default=0) >= 2 or set(counts) <= roles
    return len(counts) >= 2 and recurs and in_recording_order(times)


def _only_a_and_b(labels: list[str | None]) -> bool:
    """Whether the speakers are exactly A and B, as many Chinese transcripts write them (no Q)."""
    return {label.strip().upper() for label in labels if label} == {"A", "B"}


def parse_turns(text: str, default_participant: str | None = None, config: TurnsConfig | None = None) -> ParsedTurns:
    return TurnParser(config).parse(text, default_participant)


def turns_of_document(document, default_participant: str | None = None,
                      config: TurnsConfig | None = None) -> ParsedTurns:
    """Turns from the format when it has them (subtitles, tables), else from speaker labels."""
    parser = TurnParser(config)
    if getattr(document, "source_turns", None):
        return parser.from_source_turns(document.text, document.source_turns, default_participant)
    return parser.parse(document.text, default_participant)
