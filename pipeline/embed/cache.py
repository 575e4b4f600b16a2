"""Embedding with a cache in the study database, keyed by (encoder id, text hash)."""

from __future__ import annotations

import numpy as np
from qualflow.models import Embedding
from qualflow.pipeline.embed._base import BaseEncoder
from sqlalchemy import select
from sqlalchemy.orm import Session


def embed_with_cache(
    session: Session, encoder: BaseEncoder, texts: list[str], text_hashes: list[str], batch_size: int = 64
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` in order, and how many had to be computed (the rest came from the cache)."""
    wanted = sorted(set(text_hashes))
    cached: dict[str, np.ndarray] = {}
    for chunk_start in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
        chunk = wanted[chunk_start : chunk_start + 500]
        rows = session.execute(
            select(Embedding.text_hash, Embedding.vector).where(
                Embedding.encoder_id == encoder.id, Embedding.text_hash.in_(chunk)
            )
        )
        for text_hash, blob in rows:
            cached[text_hash] = np.frombuffer(blob, dtype="<f4")
    missing = {}
    for text, text_hash in zip(texts, text_hashes):
        if text_hash not in cached:
            missing.setdefault(text_hash, text)
    missing_hashes = list(missing)
    for batch_start in range(0, len(missing_hashes), batch_size):
        batch = missing_hashes[batch_start : batch_start + batch_size]
        vectors = encoder.embed([missing[h] for h in batch])
        for text_hash, vector in zip(batch, vectors):
            cached[text_hash] = vector
            session.add(
                Embedding(
                    encoder_id=encoder.id,
                    text_hash=text_hash,
                    dim=int(vector.shape[0]),
                    vector=vector.astype("<f4").tobytes(),
                )
            )
        session.flush()
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.vstack([cached[h] for h in text_hashes]).astype(np.float32), len(missing_hashes)
