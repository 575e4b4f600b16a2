"""Speaker labels as transcription tools export them, beside the typed ones `turns.py` reads.

- a time before the label: `[00:00:01] Interviewer: …`, `00:00:01 P1: …`, `(00:01) Mary Smith: …`;
- the speaker and a time alone on a line, the words on the lines below (Microsoft Teams, Otter.ai,
  讯飞听见, 飞书妙记 and other Chinese meeting tools): `Sarah Jones   0:10`, `Speaker 1  0:03`,
  `说话人1 00:00:03`, `访谈者 00:01:02`; or with the words on the same line, as some tools export a
  turn: `Sarah Jones 0:10 So tell me…`, `说话人1 00:00:03 你好…`;
- Otter.ai's plain text without timestamps: the speaker alone on a line, the words below, a blank line
  between turns (`names_alone`), and its "Transcribed by https://otter.ai" at the end (`tool_note`);
- a time alone after the colon, the words below (Rev): `Interviewer: (00:01)`;
- a time after a bracketed speaker (Zoom's saved transcript): `[Sarah Jones] 10:02:33`;
- numbered stand-ins for speakers a tool could not name: `Speaker 1`, `SPEAKER_00`, `说话人 2`. They
  name no role and no person: who mostly asks is the interviewer, as for `A:`/`B:`;
- the cue numbers and timing lines of a subtitle file saved as text (`00:00:01.000 --> 00:00:04.000`);
- a meeting tool's note between turns (`Kate Morris stopped transcription`), which is no one's words.

Times are the turn's metadata (`meta["time"]`); a cue's number and timing line are kept as
`meta["timestamps"]` spans, so neither ever enters a statement.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# Unidentified speakers as tools number them. Case-insensitive: "SPEAKER 1", "speaker_00".
NUMBERED_SPEAKER = r"(?i:speaker|spk|说话人|說話人|发言人|發言人)[ \t_]*\d{1,3}"
GENERIC_SPEAKER = rf"{NUMBERED_SPEAKER}|(?i:unknown|unidentified)[ \t]+(?i:speaker)"
_GENERIC_SPEAKER = re.compile(rf"(?:{GENERIC_SPEAKER})")
_NUMBERED_SPEAKER = re.compile(rf"(?:{NUMBERED_SPEAKER})")

# A time that opens a line before a label: "[00:00:01] ", "(00:01) ", "00:00:01 ".
LEADING_TIME = re.compile(rf"^[ \t]*(?:[\[(（][ \t]*(?P<time>{TIME})[ \t]*[\])）]|(?P<bare>{TIME})(?=[ \t]))[ \t]*")
# A time alone after a label's colon, the words on the next line (Rev: "Interviewer: (00:01)").
TIME_ALONE = re.compile(rf"^[ \t]*[\[(（][ \t]*(?P<time>{TIME})[ \t]*[\])）][ \t]*$")
# A subtitle cue's timing line ("00:00:01.000 --> 00:00:04.000", SRT's commas too).
_CUE_TIMING = re.compile(rf"^[ \t]*(?P<time>{TIME})[ \t]*-->[ \t]*{TIME}\b.*$")


# What a meeting tool writes about a speaker between turns: Teams' "Kate Morris started transcription".
_MEETING_EVENT = re.compile(r"^(?P<who>.+?)[ \t]+(?:started|stopped)[ \t]+(?:transcription|recording)\.?$")


def meeting_event(line: str, speakers: set[str]) -> bool:
    """Whether `line` (stripped) is a meeting tool's note that one of the file's `speakers` started or
    stopped transcribing or recording: no one's words ("We stopped recording" is, as "We" is no speaker)."""
    match = _MEETING_EVENT.match(line)
    return bool(match) and match.group("who") in speakers


# What a transcription tool adds at the end of its export: Otter's free plan's "Transcribed by https://otter.ai".
_TOOL_NOTE = re.compile(r"^Transcribed by (?:https?://)?(?:www\.)?otter\.ai/?\.?$", re.IGNORECASE)


def tool_note(line: str) -> bool:
    """Whether `line` (stripped) is a transcription tool's note about itself: no one's words."""
    return _TOOL_NOTE.match(line) is not None


def is_generic_speaker(label: str | None) -> bool:
    """"Speaker 1", "SPEAKER_00", "说话人2", "Unknown Speaker": a tool's stand-in, no one's name."""
    return bool(label) and _GENERIC_SPEAKER.fullmatch(label.strip()) is not None


def only_numbered_speakers(labels: list[str | None]) -> bool:
    """Whether the speakers are all numbered stand-ins ("Speaker 1", "说话人2"): like `A:` and `B:`,
    they name no role, so who mostly asks is the interviewer."""
    named = {label for label in labels if label}
    return bool(named) and all(_NUMBERED_SPEAKER.fullmatch(label.strip()) for label in named)


def speaker_number(label: str) -> int:
    """The number of a numbered stand-in ("Speaker 2" gives 2), 0 for any other label."""
    match = _NUMBERED_SPEAKER.fullmatch(label.strip())
    return int(re.search(r"\d+$", match.group()).group()) if match else 0


def time_before_label(line: str) -> tuple[int, str] | None:
    """(where a label may start, the time) when `line` opens with a time, else None."""
    match = LEADING_TIME.match(line)
    if not match:
        return None
    return match.end(), match.group("time") or match.group("bare")


def speaker_and_time_line(speaker: str) -> re.Pattern:
    """A line opening with a speaker (`speaker`, a regex with a `label` group's contents) and a time: alone,
    the words on the lines below, or followed by the words (group `words`, None when alone)."""
    return re.compile(rf"^[ \t]*(?P<label>{speaker})[ \t\u3000]+(?P<time>{TIME})"
                      rf"(?:[ \t\u3000]+(?P<words>\S.*?))?[ \t\u3000]*$")


def in_recording_order(times: list[str]) -> bool:
    """Whether `times` never go back, as a recording's do: "0:10", "0:35", "1:02:03". A rota's
    "7:00 to 19:00" then "19:00 to 7:00", or a diary's days, go back. "m:ss" and "h:mm:ss" are read as a
    tool writes them; a diary's "8:00" read as minutes keeps its order all the same."""
    seconds = []
    for time in times:
        parts = [int(part) for part in re.split(r"[.,]", time)[0].split(":")]
        seconds.append(parts[0] * 3600 + parts[1] * 60 + parts[2] if len(parts) == 3 else parts[0] * 60 + parts[1])
    return all(earlier <= later for earlier, later in zip(seconds, seconds[1:]))


def ends_a_question(line: str) -> bool:
    """Whether `line` ends in a question mark (?, ？), a closing quote or bracket after it allowed."""
    return _last_mark(line) in ("?", "？")


def ends_a_sentence(line: str) -> bool:
    """Whether `line` ends a sentence (. ! 。 ！ …, or a question mark), not wrapped on to the next line."""
    return _last_mark(line) in (".", "!", "。", "！", "…", "?", "？")


def _last_mark(line: str) -> str:
    """The last character of `line` but for spaces and closing quotes or brackets."""
    return line.rstrip().rstrip("\"'”’」』)）")[-1:]


def names_alone(lines: list[str], speaker: Callable[[str], str | None],
                is_speaker: Callable[[str, int], bool]) -> dict[int, str]:
    """Otter.ai's plain text without timestamps: {line: speaker} for the lines holding a speaker's name
    alone, the words on the lines below, a blank line between turns. `speaker` gives a line's name if it is
    shaped like one, `is_speaker(name, times)` whether a name said `times` times is a speaker.

    A one-line paragraph ("Early Career", a poem's refrain) looks the same, so the file as a whole must have
    the shape: four or more such paragraphs, two or more speakers who recur, such paragraphs at least 80%
    of those from the first of them on, and someone who mostly asks questions (or Otter's note at the end).
    Otherwise {}: the file is read as before."""
    blocks = _paragraphs(lines)
    noted = any(tool_note(lines[first].strip()) for first, _ in blocks)
    blocks = [(first, last) for first, last in blocks if not tool_note(lines[first].strip())]
    named = {first: (name, last) for first, last in blocks
             if last > first and (name := speaker(lines[first].strip()))}
    counts = Counter(name for name, _ in named.values())
    named = {first: (name, last) for first, (name, last) in named.items() if is_speaker(name, counts[name])}
    recurring = [name for name, n in counts.items() if n >= 2 and is_speaker(name, n)]
    if len(named) < 4 or len(recurring) < 2:
        return {}
    from_first = [block for block in blocks if block[0] >= min(named)]
    if len(named) < 0.8 * len(from_first):
        return {}
    if not noted and not _someone_mostly_asks(lines, named):
        return {}
    return {first: name for first, (name, _) in named.items()}


def _paragraphs(lines: list[str]) -> list[tuple[int, int]]:
    """(first line, last line) of each run of non-blank lines."""
    blocks: list[tuple[int, int]] = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if blocks and blocks[-1][1] == i - 1:
            blocks[-1] = (blocks[-1][0], i)
        else:
            blocks.append((i, i))
    return blocks


def _someone_mostly_asks(lines: list[str], named: dict[int, tuple[str, int]]) -> bool:
    """Whether one speaker's paragraphs mostly (40%, as `TurnParser._questioner`) end in a question mark:
    an interview's shape, which headed paragraphs and a poem's refrains lack."""
    asked, spoke = Counter(), Counter()
    for first, (name, last) in named.items():
        spoke[name] += 1
        asked[name] += lines[last].rstrip().endswith(("?", "？"))
    return any(asked[name] >= 0.4 * spoke[name] and asked[name] for name in spoke)


def cue_lines(lines: list[str]) -> dict[int, str | None]:
    """The lines of a subtitle file's cue furniture: each timing line (with its start time), the cue
    number just before it, and a first line "WEBVTT". They are no one's words."""
    furniture: dict[int, str | None] = {}
    for i, line in enumerate(lines):
        match = _CUE_TIMING.match(line)
        if match:
            furniture[i] = match.group("time")
            if i > 0 and lines[i - 1].strip().isdigit():
                furniture[i - 1] = None
    if furniture:
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is not None and lines[first].strip().startswith("WEBVTT"):
            furniture[first] = None
    return furniture


def cue_spans(lines: list[str], furniture: dict[int, str | None]) -> list[list]:
    """[start, end, time] in the text of each cue's number and timing line (one span), from `cue_lines`:
    a turn that runs past one keeps it as a timestamp, so its statements are cut around it."""
    spans: list[list] = []
    offset = 0
    for i, line in enumerate(lines):
        line_offset, offset = offset, offset + len(line) + 1
        if i not in furniture or not line.strip():
            continue
        span = [line_offset + len(line) - len(line.lstrip()), line_offset + len(line.rstrip()), furniture[i]]
        if furniture.get(i - 1, "") is None and spans and spans[-1][2] is None:
            spans[-1][1:] = span[1:]  # the cue's number, then its timing line
        else:
            spans.append(span)
    return spans
