"""Choosing the significant statements: the ones worth clustering.

Nothing is dropped: every statement is kept, and one that is not clustered carries the
reason, so a researcher can list the exclusions and disagree.
"""

from __future__ import annotations

import re

from qualflow.pipeline.config import SelectConfig
from qualflow.pipeline.deid.lexicon import with_traditional
from qualflow.pipeline.language import content_tokens

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)

INTERVIEWER_TURN = "interviewer turn (kept as context)"
NOT_A_SPEAKER_TURN = "not a speaker turn"
BACKCHANNEL = "back-channel or filler"


def _squash(text: str) -> str:
    return _NOT_WORD.sub("", text.lower())


class StatementSelector:
    def __init__(self, config: SelectConfig | None = None):
        self.config = config or SelectConfig()
        # The lists are written in Simplified: Taiwan and Hong Kong transcripts write 對, 謝謝, 再見.
        words = with_traditional(self.config.backchannels)
        units = sorted({_squash(word) for word in words if _squash(word)}, key=len, reverse=True)
        # "对对对", "嗯嗯，好的", "yeah yeah okay": any run of back-channel words and nothing else.
        self._backchannel = re.compile("^(?:" + "|".join(map(re.escape, units)) + ")+$") if units else None

    def exclusion_reason(self, text: str, tokens: list[str], role: str) -> str | None:
        """None when the statement should be clustered, else why not."""
        if role == "interviewer":
            return INTERVIEWER_TURN
        if role != "participant":
            return NOT_A_SPEAKER_TURN
        squashed = _squash(text)
        if not squashed or (self._backchannel and self._backchannel.match(squashed)):
            return BACKCHANNEL
        n_content = len(content_tokens(tokens))
        if n_content < self.config.min_content_tokens:
            return f"too short ({n_content} content word{'s' if n_content != 1 else ''})"
        return None
