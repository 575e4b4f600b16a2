"""A statement's neighbours in its interview, as part of what it means.

Cut out of an interview, "it takes too long" could be about any topic; the statements around
it say which. Human coders read in context, so each statement's vector is blended with the
mean of its neighbours in the same document (up to `window` statements either side).

Context only helps when neighbouring statements really are about the same thing. That is
measured, not assumed: the mean similarity of adjacent statements is compared with the mean
similarity of all pairs, and the blend is used only when adjacent pairs are significantly
closer (a z-test over the adjacent pairs). A table of unrelated survey answers or reviews,
stored one after another in a single "document", fails the test and is clustered as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from qualflow.pipeline.cluster import (
    MAX_LARGEST_SHARE,  # one bar for a collapsed clustering
    unit_length,
)

# Adjacent statements must be this many standard errors closer than an average pair.
MIN_Z = 2.0
# Fewer adjacent pairs than this is too little evidence either way.
MIN_PAIRS = 20


def reading_order(documents: Sequence, positions: Sequence[int]) -> np.ndarray:
    """Row indices sorted by (document, position): context never depends on the input order."""
    return np.lexsort((np.asarray(positions), np.asarray([str(d) for d in documents])))


def sequential_coherence(vectors: np.ndarray, documents: Sequence, positions: Sequence[int]) -> tuple[float, int]:
    """(z, pairs): how much closer adjacent statements of one document are than any two
    statements, in standard errors of the adjacent pairs' mean."""
    order = reading_order(documents, positions)
    vectors = _unit_rows(vectors)[order]
    documents = [str(documents[i]) for i in order]
    same_document = [i for i in range(len(vectors) - 1) if documents[i] == documents[i + 1]]
    if len(same_document) < 3:
        return 0.0, len(same_document)
    index = np.asarray(same_document)
    adjacent = np.einsum("ij,ij->i", vectors[index], vectors[index + 1])
    n = len(vectors)
    total = vectors.sum(axis=0)
    all_pairs = (total @ total - n) / (n * (n - 1))  # mean over i != j, without an n x n matrix
    spread = adjacent.std(ddof=1)
    if spread == 0:
        return 0.0, len(index)
    return float((adjacent.mean() - all_pairs) / (spread / math.sqrt(len(index)))), len(index)


def add_context(vectors: np.ndarray, documents: Sequence, positions: Sequence[int], window: int = 2,
                weight: float = 0.5) -> np.ndarray:
    """Each row plus `weight` x the mean of its same-document neighbours within `window` places
    in reading order, at unit length; rows come back in the caller's order."""
    order = reading_order(documents, positions)
    ordered = _unit_rows(vectors)[order]
    ordered_documents = [str(documents[i]) for i in order]
    blended = ordered.copy()
    n = len(ordered)
    for i in range(n):
        lo, hi = max(0, i - window), min(n, i + window + 1)
        neighbours = [j for j in range(lo, hi) if j != i and ordered_documents[j] == ordered_documents[i]]
        if neighbours:
            blended[i] = ordered[i] + weight * ordered[neighbours].mean(axis=0)
    result = np.empty_like(blended)
    result[order] = blended
    return _unit_rows(result)


def with_context(vectors: np.ndarray, documents: Sequence, positions: Sequence[int], mode: str = "auto",
                 window: int = 2, weight: float = 0.5) -> tuple[np.ndarray, bool]:
    """The vectors to cluster and whether context was added. mode: "auto" (when the
    sequential-coherence test passes), "on" or "off"."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if mode == "off" or window < 1 or weight <= 0 or len(vectors) < 2:
        return vectors, False
    if mode == "auto":
        z, pairs = sequential_coherence(vectors, documents, positions)
        if pairs < MIN_PAIRS or z < MIN_Z:
            return vectors, False
    return add_context(vectors, documents, positions, window, weight), True


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    return unit_length(np.asarray(vectors, dtype=np.float64))  # the pair statistics are taken in float64


def collapsed(model) -> bool:
    """A clustering whose largest subcategory holds more than MAX_LARGEST_SHARE of the statements
    has collapsed: with strong context, each statement's nearest neighbours become the statements
    next to it in its interview, and density clustering then sees one long connected blob."""
    sizes = np.bincount(np.asarray(model.assigned_)) if len(model.assigned_) else np.zeros(1, dtype=int)
    return len(model.assigned_) >= 50 and sizes.max() > MAX_LARGEST_SHARE * len(model.assigned_)


def fit_in_context(make_clusterer, vectors: np.ndarray, documents: Sequence, positions: Sequence[int],
                   mode: str = "auto", window: int = 2, weight: float = 0.5):
    """A fitted clusterer from `make_clusterer()`, on the vectors with context when it applies;
    when context makes the clustering collapse into one giant group, the fit without it.
    `model.context_` says which was kept."""
    blended, added = with_context(vectors, documents, positions, mode, window, weight)
    model = make_clusterer().fit(blended)
    if added and collapsed(model):
        model = make_clusterer().fit(np.asarray(vectors, dtype=np.float64))
        added = False
    model.context_ = added
    return model
