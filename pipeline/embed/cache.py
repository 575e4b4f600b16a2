"""Embedding with a cache in the study database, keyed by (encoder id, text hash)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

import numpy as np
from qualflow.models import Embedding
from qualflow.pipeline.embed._base import BaseEncoder
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

# One row per encoder, with no vector, marks a study whose Chinese statements are embedded in the form
# pipeline.embed.text_to_embed gives; readers never ask for this encoder id. Its value changes with that form:
# "qualflow:chinese-embedded-in-simplified" marked Simplified script alone (before 2026-11-27's Cantonese
# words), "qualflow:chinese-embedded-as-simplified-mandarin" the Cantonese table before its words of work,
# home and time (返工, 攰 …), "...-mandarin-2" the table rewriting its words also across Mandarin words
# (完成日期 read as 完总是期), so such a study embeds its rewritten statements again, once.
SIMPLIFIED_FORM_MARK = "qualflow:chinese-embedded-as-simplified-mandarin-3"


def encode_in_batches(encoder: BaseEncoder, texts: list[str], batch_size: int) -> np.ndarray:
    """The encoder on consecutive batches of `batch_size`. Vectors differ in the last bits with the
    company a text is batched in, so every runner cuts the same batches: results stay identical."""
    return np.vstack([encoder.embed(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)])


def embed_with_cache(
    session: Session, encoder: BaseEncoder, texts: list[str], text_hashes: list[str], batch_size: int = 64,
    progress: Callable[[int, int], None] | None = None,
    encode_chunks: Callable[[list[list[str]]], Iterable[np.ndarray]] | None = None, chunk_batches: int = 1,
    rewritten: list[bool] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` in order, and how many had to be computed (the rest came from the cache).

    `rewritten` says which texts are not the statement as stored but the form the encoder sees
    (Chinese in Simplified script, pipeline.embed.text_to_embed), still keyed by the stored statement's
    hash, where readers and withdrawals find vectors. Until a study is marked as embedding that form,
    such a text's cached vector is of the text as written (an older version): it is computed again,
    once, and replaced rather than reused.

    The texts to compute are cut into chunks of `chunk_batches` batches. `encode_chunks` turns the
    list of chunks into their vectors, in order and lazily (a task runner may compute them
    elsewhere, in parallel); by default `encoder` computes them here. Each chunk is committed as
    soon as its vectors arrive: a run that is killed keeps the chunks it finished, and the next run
    computes only the rest. A vector that another run stored meanwhile is not stored twice.
    `progress(n, total)` is told of each chunk of n of the total computed."""
    cached = cached_vectors(session, encoder.id, sorted(set(text_hashes)))
    stale = set()
    if rewritten is not None and not _marked_simplified(session, encoder.id):
        stale = {h for h, is_rewritten in zip(text_hashes, rewritten) if is_rewritten and h in cached}
        for text_hash in stale:
            del cached[text_hash]
    missing = {}
    for text, text_hash in zip(texts, text_hashes):
        if text_hash not in cached:
            missing.setdefault(text_hash, text)
    missing_hashes = list(missing)
    step = batch_size * chunk_batches
    chunks = [missing_hashes[start : start + step] for start in range(0, len(missing_hashes), step)]
    if encode_chunks is None:
        def encode_chunks(pieces):
            return (encode_in_batches(encoder, piece, batch_size) for piece in pieces)
    for batch, vectors in zip(chunks, encode_chunks([[missing[h] for h in chunk] for chunk in chunks])):
        rows = []
        for text_hash, vector in zip(batch, vectors):
            cached[text_hash] = vector
            rows.append({"encoder_id": encoder.id, "text_hash": text_hash, "dim": int(vector.shape[0]),
                         "vector": np.asarray(vector).astype("<f4").tobytes()})
        replaced = sorted(stale.intersection(batch))
        if replaced:
            session.execute(delete(Embedding).where(Embedding.encoder_id == encoder.id,
                                                    Embedding.text_hash.in_(replaced)))
        _insert_new(session, rows)
        session.commit()
        if progress is not None:
            progress(len(batch), len(missing_hashes))
    if rewritten is not None:
        _insert_new(session, [{"encoder_id": SIMPLIFIED_FORM_MARK, "text_hash": _mark_key(encoder.id), "dim": 0,
                               "vector": b""}])
        session.commit()
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.vstack([cached[h] for h in text_hashes]).astype(np.float32), len(missing_hashes)


def _mark_key(encoder_id: str) -> str:
    return hashlib.sha256(encoder_id.encode("utf-8")).hexdigest()  # encoder ids outgrow the 64-character column


def _marked_simplified(session: Session, encoder_id: str) -> bool:
    return session.scalar(select(Embedding.id).where(Embedding.encoder_id == SIMPLIFIED_FORM_MARK,
                                                     Embedding.text_hash == _mark_key(encoder_id))) is not None


def cached_vectors(session: Session, encoder_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
    cached: dict[str, np.ndarray] = {}
    for chunk_start in range(0, len(hashes), 500):  # stay under SQLite's bound-parameter limit
        chunk = hashes[chunk_start : chunk_start + 500]
        rows = session.execute(
            select(Embedding.text_hash, Embedding.vector).where(
                Embedding.encoder_id == encoder_id, Embedding.text_hash.in_(chunk)
            )
        )
        for text_hash, blob in rows:
            cached[text_hash] = np.frombuffer(blob, dtype="<f4")
    return cached


def _insert_new(session: Session, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: two runs at once may embed the same text."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # other databases: plain inserts (one run at a time)
        session.add_all(Embedding(**row) for row in rows)
        return
    session.execute(insert(Embedding).values(rows).on_conflict_do_nothing(index_elements=["encoder_id", "text_hash"]))
