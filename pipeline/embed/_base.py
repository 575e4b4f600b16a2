"""The smallest interface an encoder needs (after BERTopic's BaseEmbedder)."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class BaseEncoder(ABC):
    """Turns texts into L2-normalised float32 vectors.

    `id` names the model and its version; the embedding cache is keyed by it, so two
    encoders that could give different vectors must never share an id.
    """

    id: str
    # The languages the model was trained on, when it is known to be not multilingual (None: any).
    languages: frozenset[str] | None = None

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray: ...

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = np.asarray(self._encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)
