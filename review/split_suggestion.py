"""A sub-clustering suggestion for splitting a theme: k-means on the statements' cached vectors.

Only a suggestion: nothing is stored until the reviewer picks statements and splits.
"""

from __future__ import annotations

import numpy as np
from qualflow.models import Embedding, Statement
from qualflow.models.queries import current_theme_set, theme_suggestions
from qualflow.review.actions import ReviewError, _theme
from sqlalchemy import select
from sqlalchemy.orm import Session


def suggest_split(session: Session, theme_id: int, n_groups: int = 2) -> list[list[int]]:
    """Statement ids of the theme in `n_groups` groups, largest first."""
    from sklearn.cluster import KMeans

    theme = _theme(session, theme_id)
    statements: list[Statement] = [row.statement for row in theme_suggestions(session, theme)]
    if len(statements) < 2 * n_groups:
        raise ReviewError(f"{theme.code} has too few statements ({len(statements)}) to suggest a split")
    theme_set = current_theme_set(session)
    hashes = {s.text_hash for s in statements}
    cached = {e.text_hash: e for e in session.scalars(
        select(Embedding).where(Embedding.encoder_id == theme_set.encoder_id, Embedding.text_hash.in_(hashes)))}
    usable = [s for s in statements if s.text_hash in cached]
    if len(usable) < 2 * n_groups:
        raise ReviewError(f"the statements of {theme.code} have no stored vectors; run `qualflow run` first")
    vectors = np.vstack([np.frombuffer(cached[s.text_hash].vector, dtype="<f4") for s in usable])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12  # cosine geometry, as the clusterer uses
    labels = KMeans(n_clusters=n_groups, n_init=10, random_state=0).fit_predict(vectors)
    groups = [[s.id for s, label in zip(usable, labels) if label == k] for k in range(n_groups)]
    return sorted(groups, key=len, reverse=True)
