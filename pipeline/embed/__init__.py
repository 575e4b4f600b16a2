"""Sentence encoders behind one interface, chosen by `embed.backend` in the config."""

from __future__ import annotations

from qualflow.pipeline.config import EmbedConfig
from qualflow.pipeline.embed._base import BaseEncoder


def select_backend(config: EmbedConfig) -> BaseEncoder:
    if config.backend == "use":
        from qualflow.pipeline.embed._use import UniversalSentenceEncoder

        return UniversalSentenceEncoder()
    if config.backend == "e5":
        from qualflow.pipeline.embed._e5 import E5Encoder

        return E5Encoder()
    from qualflow.pipeline.embed._sentencetransformers import SentenceTransformerEncoder

    return SentenceTransformerEncoder(config.model, batch_size=config.batch_size)


__all__ = ["BaseEncoder", "select_backend"]
