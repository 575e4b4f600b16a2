"""Imported manual coding follows a transcript to its next version.

A team codes its copy of a document; qualflow aligned those spans onto the stored transcript when
the coding was imported. When the file is edited later (a typo fixed, a passage added) the study's
live transcript is a new version with its own text and offsets (pipeline/versions.py). Left on the
old version, the codings would drop out of every comparison, which reads only live transcripts.
So they move to the new version, their spans carried across the edit with the same character
alignment the import used (old stored text -> new stored text). A span whose every character was
edited away stays with the coding import but is no longer placed (start and end None, quality 0),
as an unalignable span is at import time.
"""

from __future__ import annotations

from qualflow.models import Transcript
from qualflow.models.coding import ManualCoding
from qualflow.pipeline.coding.align import char_alignment, map_span
from sqlalchemy import select
from sqlalchemy.orm import Session


def move_codings(session: Session, old: Transcript, new: Transcript) -> dict[str, int]:
    """Move the codings of `old` onto `new`; how many moved and how many of those lost their place."""
    codings = list(session.scalars(select(ManualCoding).where(ManualCoding.transcript_id == old.id)
                                   .order_by(ManualCoding.id)))
    moved = {"codings": len(codings), "codings_unplaced": 0}
    if not codings:
        return moved
    mapping = char_alignment(old.text, new.text)
    for coding in codings:
        coding.transcript_id = new.id
        if coding.start is None or coding.end is None:
            continue
        where = map_span(mapping, coding.start, coding.end, new.text)
        if where is None:
            coding.start = coding.end = None
            coding.quality = 0.0
            moved["codings_unplaced"] += 1
        else:
            # Quality stays "share of the coded characters found": found at import, then kept by the edit.
            coding.start, coding.end = where[0], where[1]
            coding.quality = round(coding.quality * where[2], 4)
    session.flush()
    return moved
