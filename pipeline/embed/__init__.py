"""Sentence encoders behind one interface, chosen by `embed.backend` in the config."""

from __future__ import annotations

from qualflow.pipeline.chinese_script import to_simplified
from qualflow.pipeline.config import EmbedConfig
from qualflow.pipeline.embed._base import BaseEncoder
from qualflow.pipeline.embed.cantonese import as_mandarin

# Languages (pipeline/language.py:detect_language) whose text holds Chinese: "mixed" is Chinese with
# English words in it ("我们ICU的shift"), which OpenCC leaves as they are.
_CHINESE = frozenset({"zh", "mixed"})


def select_backend(config: EmbedConfig) -> BaseEncoder:
    if config.backend == "use":
        from qualflow.pipeline.embed._use import UniversalSentenceEncoder

        return UniversalSentenceEncoder()
    if config.backend == "e5":
        from qualflow.pipeline.embed._e5 import E5Encoder

        return E5Encoder()
    from qualflow.pipeline.embed._sentencetransformers import SentenceTransformerEncoder

    return SentenceTransformerEncoder(config.model, batch_size=config.batch_size)


def text_to_embed(text: str, language: str) -> str:
    """The form of a statement the encoder sees: Chinese in Simplified script, and written Cantonese with its
    commonest words in Mandarin (pipeline/embed/cantonese.py). The encoders place a Traditional sentence far
    from its own Simplified form (cosine about 0.6 with USE), so a Taipei interview would form themes of its
    own, and a Cantonese one likewise; the text is still stored and shown as written. Simplified Mandarin and
    English text come back unchanged, so their cached vectors stay valid."""
    return as_mandarin(to_simplified(text)) if language in _CHINESE else text


__all__ = ["BaseEncoder", "select_backend", "text_to_embed"]
