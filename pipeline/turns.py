"""Splitting a transcript into speaker turns.

A turn starts at a line that begins with a speaker label (`Interviewer:`, `P3:`, `受访者：`…)
and runs until the next labelled line. Its span covers the words only, not the label.
Lines starting with `#` before the first turn are a header (`# participant: P4`).
A transcript with no labels at all is one participant's monologue, a turn per paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

INTERVIEWER_LABELS = {
    "interviewer", "moderator", "facilitator", "researcher", "i", "q",
    "访谈者", "研究者", "采访者", "主持人", "问",
}
PARTICIPANT_LABELS = {
    "participant", "interviewee", "respondent", "r", "a",
    "受访者", "被访者", "参与者", "答",
}

_LABEL = re.compile(
    r"^[ \t]*(?P<label>P\d{1,4}|[A-Za-z]{1,20}|受访者|被访者|参与者|访谈者|研究者|采访者|主持人|问|答)"
    r"[ \t]*[:：][ \t]*",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^#\s*(?P<key>[\w -]+?)\s*[:：]\s*(?P<value>.*?)\s*$")
_PARTICIPANT_ID = re.compile(r"^P\d{1,4}$", re.IGNORECASE)


@dataclass(frozen=True)
class TurnSpan:
    index: int
    role: str  # interviewer | participant | other
    speaker_label: str | None
    participant: str | None
    start: int
    end: int


@dataclass
class ParsedTurns:
    turns: list[TurnSpan]
    header: dict[str, str] = field(default_factory=dict)


def _role_of(label: str) -> str | None:
    lowered = label.lower()
    if lowered in INTERVIEWER_LABELS:
        return "interviewer"
    if lowered in PARTICIPANT_LABELS or _PARTICIPANT_ID.match(label):
        return "participant"
    return None  # a word followed by a colon that is not a known label: ordinary text


def _lines_with_offsets(text: str):
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def parse_turns(text: str, default_participant: str | None = None) -> ParsedTurns:
    header: dict[str, str] = {}
    # Each open turn: [role, label, start, end]; end grows as continuation lines arrive.
    open_turns: list[list] = []
    seen_label = False
    for offset, line in _lines_with_offsets(text):
        stripped = line.strip()
        if not stripped:
            continue
        match = _LABEL.match(line)
        role = _role_of(match.group("label")) if match else None
        if role is not None:
            seen_label = True
            content_start = offset + match.end()
            open_turns.append([role, match.group("label"), content_start, offset + len(line.rstrip())])
            continue
        if not seen_label and stripped.startswith("#"):
            header_match = _HEADER.match(stripped)
            if header_match:
                header[header_match.group("key").strip().lower()] = header_match.group("value")
            continue
        line_start = offset + (len(line) - len(line.lstrip()))
        line_end = offset + len(line.rstrip())
        if open_turns and seen_label:
            open_turns[-1][3] = line_end
        else:
            # Text before any label: a paragraph of a monologue (role decided below).
            open_turns.append([None, None, line_start, line_end])

    participant = header.get("participant") or default_participant
    turns = []
    for role, label, start, end in open_turns:
        # Skip whitespace between a label and words that begin on the next line.
        while start < end and text[start].isspace():
            start += 1
        if start >= end:
            continue  # a label with nothing said
        if role is None:
            role = "other" if seen_label else "participant"
        turn_participant = None
        if role == "participant":
            turn_participant = label.upper() if label and _PARTICIPANT_ID.match(label) else participant
        turns.append(TurnSpan(len(turns), role, label, turn_participant, start, end))
    return ParsedTurns(turns=turns, header=header)
