"""What every reader shares: the turn record it returns and the one-line error it raises."""

from __future__ import annotations

from typing import NamedTuple

from qualflow.pipeline.errors import UnreadableFile


class RawTurn(NamedTuple):
    """One turn as found in a source with explicit turns (subtitle cue, table row).

    Not yet normalised: `ingest` normalises speaker and words and computes the offsets,
    so offset arithmetic lives in one place.
    """

    speaker: str | None
    words: str
    meta: dict


def unreadable(name: str, reason: str) -> UnreadableFile:
    """An UnreadableFile whose message is ONE line starting with the file name.

    Reasons can carry library messages or member names from an untrusted archive, so every
    line break (including the Unicode ones str.splitlines knows) is folded into a space.
    """
    return UnreadableFile(" ".join(f"{name}: {reason}".splitlines()))
