"""Subtitle transcripts: .vtt (webvtt-py) and .srt (pysrt), one turn per speaker stretch.

Automatic transcription (Zoom, Teams, Otter, Whisper) commonly exports these. The speaker
is a WebVTT voice tag `<v Mary Smith>` or a leading `Name:` in the cue text; timestamps
go into the turn's meta and never into the text, so they cannot end up in statements.
"""

from __future__ import annotations

import html
import re

from qualflow.pipeline.readers._common import RawTurn, unreadable
from qualflow.pipeline.readers._text import decode_bytes

# <v Mary Smith> or <v.loud Mary Smith> at the start of a line.
_VOICE = re.compile(r"^\s*<v(?:\.[^\s>]*)?[ \t]+([^>]*?)\s*>")
# `Name:` / `名字：` at the start of a line. Up to 40 characters starting with a letter and
# without sentence punctuation, so "Well, what I mean is: ..." is not a speaker (a title
# such as "Dr." may open it); an ASCII colon must be followed by a space or the line end,
# so "10:30" and "http://" are not speakers either.
_LABEL = re.compile(
    r"^\s*(?P<label>(?:[^\W\d_]{1,4}\.\s*)?[^\W\d_][^:：.,;!?。，；！？、\n]{0,39}?)\s*(?::(?=\s|$)|：)\s*"
)
_MAX_LABEL_WORDS = 4
# Markup an SRT may carry: HTML-like styling tags and ASS override blocks such as {\an8}.
# Only known tags, since a bare "<" in SRT text is literal.
_SRT_MARKUP = re.compile(r"</?(?:i|b|u|s|font)(?:\s[^>]*)?>|\{\\[^}]*\}", re.IGNORECASE)
# An SRT timing line, "00:00:01,000 --> 00:00:03,500" (pysrt also takes "." and other digit counts).
_SRT_TIMING = re.compile(r"^\s*\d+:\d+:\d+[,.]\d+\s*-->\s*\d+:\d+:\d+[,.]\d+")
# WebVTT escapes "<" and "&" in text, so every <...> in a cue is markup (as webvtt-py assumes).
_VTT_TAG = re.compile(r"<[^>]*>")


def read_vtt(data: bytes, name: str) -> list[RawTurn]:
    import webvtt

    text = decode_bytes(data, name)
    try:
        captions = webvtt.from_string(text)
        cues = [(caption.start, caption.end, caption.lines) for caption in captions]
    except Exception as error:  # webvtt-py's MalformedFileError / MalformedCaptionError
        raise unreadable(name, f"not a readable .vtt file ({type(error).__name__})") from None
    return _turns_from_cues(cues, name, text, _vtt_line)


def read_srt(data: bytes, name: str) -> list[RawTurn]:
    import pysrt

    text = decode_bytes(data, name)
    try:
        # ERROR_RAISE: pysrt's default skips a cue it cannot parse, and a turn that
        # silently goes missing is worse for an analysis than a file that says it is broken.
        items = pysrt.from_string(_separate_srt_cues(text), error_handling=pysrt.SubRipFile.ERROR_RAISE)
        # SRT writes "00:01:02,500"; use WebVTT's "00:01:02.500" so all formats agree.
        cues = [(str(item.start).replace(",", "."), str(item.end).replace(",", "."), item.text.split("\n"))
                for item in items]
    except Exception as error:  # pysrt's InvalidItem / InvalidTimeString
        raise unreadable(name, f"not a readable .srt file ({type(error).__name__})") from None
    return _turns_from_cues(cues, name, text, _srt_line)


def _separate_srt_cues(text: str) -> str:
    """`text` with a blank line before every cue that lacks one.

    pysrt splits cues at blank lines only, so a file without them (some exporters and hand
    edits) put the next cue's number and timing line into the previous cue's text. A cue
    starts at a timing line, together with the line before it when that is a cue number and
    the file numbers its cues (its first timing line has a number before it); otherwise a
    number line stays text.
    """
    lines = text.splitlines(keepends=True)
    timings = [index for index, line in enumerate(lines) if _SRT_TIMING.match(line)]
    if not timings:
        return text
    numbered = timings[0] > 0 and lines[timings[0] - 1].strip().isdigit()
    starts = set()
    for index in timings[1:]:
        start = index - 1 if numbered and lines[index - 1].strip().isdigit() else index
        if start > 0 and lines[start - 1].strip():
            starts.add(start)
    if not starts:
        return text
    out = []
    for index, line in enumerate(lines):
        if index in starts:
            previous = out[-1]
            if not previous.endswith(("\n", "\r")):  # a last line without its line end
                out[-1] = previous + "\n"
            out.append("\r\n" if previous.endswith("\r\n") else "\n")
        out.append(line)
    return "".join(out)


def _vtt_line(line: str) -> tuple[str | None, str]:
    voice = _VOICE.match(line)
    speaker = voice.group(1) if voice else None
    words = html.unescape(_VTT_TAG.sub("", line))
    if speaker is None:
        return _split_label(words)
    return speaker or None, words


def _srt_line(line: str) -> tuple[str | None, str]:
    return _split_label(_SRT_MARKUP.sub("", line))


def _split_label(line: str) -> tuple[str | None, str]:
    match = _LABEL.match(line)
    if match and len(match.group("label").split()) <= _MAX_LABEL_WORDS:
        return match.group("label").strip(), line[match.end():]
    return None, line


def _turns_from_cues(cues, name: str, source: str, parse_line) -> list[RawTurn]:
    """Cues → turns. A line with a speaker starts a new turn; other lines continue the
    current one. Consecutive cues of the same named speaker are merged into one turn (first
    start, last end), because captioners cut one answer into many 2-5 second cues. Cues
    without a speaker are not merged: nothing says they are the same person.
    """
    if not cues and source.strip():
        raise unreadable(name, "no subtitle cues found")
    turns: list[RawTurn] = []
    for start, end, lines in cues:
        in_cue: list[tuple[str | None, list[str]]] = []
        for line in lines:
            speaker, words = parse_line(line)
            if speaker is not None or not in_cue:
                in_cue.append((speaker, [words]))
            else:
                in_cue[-1][1].append(words)
        for speaker, parts in in_cue:
            words = join_lines(parts)
            if not words:
                continue
            previous = turns[-1] if turns else None
            if previous is not None and speaker is not None and previous.speaker == speaker:
                turns[-1] = RawTurn(speaker, join_lines([previous.words, words]),
                                    {"start_time": previous.meta["start_time"], "end_time": end})
            else:
                turns.append(RawTurn(speaker, words, {"start_time": start, "end_time": end}))
    return turns


def join_lines(parts: list[str]) -> str:
    """Join wrapped caption lines: a space between words, nothing between Chinese characters
    (a space there would be read as a word boundary that the speaker never made)."""
    joined = ""
    for part in (part.strip() for part in parts):
        if not part:
            continue
        if joined and not (_is_cjk(joined[-1]) and _is_cjk(part[0])):
            joined += " "
        joined += part
    return joined


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (0x2E80 <= code <= 0x9FFF      # radicals, CJK punctuation, kana, CJK Unified (+ Ext. A)
            or 0xF900 <= code <= 0xFAFF   # compatibility ideographs
            or 0xFF00 <= code <= 0xFFEF   # full-width forms (，：？！)
            or 0x20000 <= code <= 0x3FFFF)  # CJK Unified extensions B and later
