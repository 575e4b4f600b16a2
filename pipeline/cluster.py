"""Grouping statement vectors into candidate themes with HDBSCAN.

Interview studies are small, so the smallest theme grows with the number of statements
instead of being one fixed number, and no statement is dropped: one that lies outside
every dense cluster is placed in its nearest theme, flagged as an outlier, with its
similarity, and as a weak fit when that similarity is low.
"""

from __future__ import annotations

import math
import warnings

import numpy as np


def centre_per_language(vectors: np.ndarray, languages: list[str], min_group: int = 20) -> np.ndarray:
    """Subtract each language's mean vector from its statements.

    Multilingual encoders keep a language direction: without this, English and Chinese
    statements on the same topic land in different themes. Centring each language (when
    it has at least `min_group` statements, so its mean is stable) removes that offset;
    on the example interviews it raises the minority language's share in a subcategory
    from 16% to 39%.
    """
    vectors = np.asarray(vectors, dtype=np.float64).copy()
    languages = np.asarray(languages)
    groups = [g for g in np.unique(languages) if (languages == g).sum() >= min_group]
    if len(groups) < 2:
        return vectors
    for group in groups:
        members = languages == group
        vectors[members] -= vectors[members].mean(axis=0)
    return vectors


def auto_min_cluster_size(n_statements: int) -> int:
    """About half the square root of n, at least 3: 25 statements -> 3, 500 -> 11, 20,000 -> 71."""
    return max(3, int(round(0.5 * math.sqrt(max(n_statements, 1)))))


class ThemeClusterer:
    """Parameters in __init__, work in fit, results in attributes ending in `_` (scikit-learn style).

    Two levels: dense HDBSCAN clusters are subcategories (`assigned_`, 0 = largest),
    grouped into themes (`parents_` per subcategory, `themes_` per statement). Order-invariant:
    rows are put into a canonical order defined by their values before fitting, so the same
    statements in any order give the same themes.
    """

    def __init__(self, min_cluster_size: int | str = "auto", reducer: str = "umap", n_components: int = 5,
                 weak_fit_threshold: float | str = "auto", random_state: int = 0):
        self.min_cluster_size = min_cluster_size
        self.reducer = reducer
        self.n_components = n_components
        self.weak_fit_threshold = weak_fit_threshold
        self.random_state = random_state

    def fit(self, vectors: np.ndarray) -> ThemeClusterer:
        vectors = unit_length(np.asarray(vectors, dtype=np.float64))
        n, dim = vectors.shape if vectors.ndim == 2 else (0, 0)
        # Work in a canonical order defined by the values, so input order cannot matter,
        # then put the results back in the caller's order.
        order = np.lexsort(vectors.T[::-1]) if n else np.arange(0)
        canonical = vectors[order]
        dense, reduced = self._dense_labels(canonical)
        assigned, similarity = _assign_to_nearest_centre(canonical, dense)
        # Theme 0 is the largest after placement; ties go to the earlier canonical row.
        mapping = _rank_by_size(assigned)
        dense = np.array([mapping.get(k, -1) for k in dense], dtype=int)
        assigned = np.array([mapping.get(k, -1) for k in assigned], dtype=int)

        self.labels_ = np.empty(n, dtype=int)
        self.labels_[order] = dense  # -1 where HDBSCAN called the statement an outlier
        self.assigned_ = np.empty(n, dtype=int)
        self.assigned_[order] = assigned
        self.similarity_ = np.empty(n)
        self.similarity_[order] = similarity
        self.outlier_ = self.labels_ < 0
        self.n_subcategories_ = len(mapping)
        self.reduced_ = np.empty_like(reduced)
        self.reduced_[order] = reduced  # the space HDBSCAN found the subcategories in
        self.centroids_ = np.vstack([unit_length(vectors[self.labels_ == k].mean(axis=0))
                                     for k in range(self.n_subcategories_)]) if self.n_subcategories_ else np.zeros((0, dim))
        # Only statements placed by nearest centre can fit weakly: dense members define their theme.
        self.weak_fit_ = self.outlier_ & (self.similarity_ < self._weak_fit_threshold(vectors))
        # Second level: subcategories grouped into themes, numbered largest first, by where their
        # dense members lie in the reduced space (see `_group_subcategories`).
        reduced_centres = np.vstack([self.reduced_[self.labels_ == k].mean(axis=0) for k in range(self.n_subcategories_)]) \
            if self.n_subcategories_ else np.zeros((0, self.reduced_.shape[1] if self.reduced_.ndim == 2 else 0))
        parents = _group_subcategories(reduced_centres)
        theme_sizes = np.bincount(parents[self.assigned_], minlength=parents.max() + 1) if n else np.zeros(0, int)
        theme_rank = {old: new for new, old in enumerate(sorted(range(len(theme_sizes)),
                                                                key=lambda t: (-theme_sizes[t], t)))}
        self.parents_ = np.array([theme_rank[p] for p in parents], dtype=int)
        self.n_themes_ = len(theme_rank)
        self.themes_ = self.parents_[self.assigned_] if n else np.zeros(0, dtype=int)
        self.theme_similarity_ = similarity_to_dense_centre(vectors, self.themes_, self.outlier_)
        return self

    def _weak_fit_threshold(self, vectors: np.ndarray) -> np.ndarray:
        """Per statement, the similarity below which its placement is a weak fit.

        "auto": below every dense member of the subcategory it was placed in, i.e. further
        from the centre than anything HDBSCAN itself put there. A member is measured against
        the centre of the *other* members (leave one out): counted in its own centre, each of
        a small subcategory's few members looks closer than it is, and the outliers, which are
        never part of the centre, would be judged against an inflated bar. Encoders differ
        widely (unrelated sentences score ~0.1 with USE and ~0.8 with e5), so a fixed cosine
        would flag everything with one encoder and nothing with another."""
        if self.weak_fit_threshold != "auto":
            return np.full(len(self.assigned_), float(self.weak_fit_threshold))
        floor = np.array([least_typical_member(vectors[(self.assigned_ == k) & ~self.outlier_])
                          for k in range(self.n_subcategories_)])
        return floor[self.assigned_] if len(self.assigned_) else np.zeros(0)

    def _dense_labels(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """HDBSCAN's labels (-1: noise) and the reduced vectors it clustered, both in `vectors`' order."""
        n = len(vectors)
        if n < 4:
            return np.zeros(n, dtype=int), unit_length(vectors)
        reduced = self._reduce(vectors)
        size = auto_min_cluster_size(n) if self.min_cluster_size == "auto" else int(self.min_cluster_size)
        size = max(2, min(size, n // 2))
        labels = _hdbscan_labels(reduced, size, "eom")
        if _collapsed(labels):
            # EOM keeps the most persistent clusters, which in a small or weakly structured study is
            # the first split: one group holding most statements (on the evaluation data, qc_refi's 158
            # units; clustered alone, llmcode's 37 single-code units got 2 groups for 8 codes). That is no
            # subcategory (the same bar as pipeline.context's collapse), so the finest clusters (leaves)
            # are used instead.
            labels = _hdbscan_labels(reduced, size, "leaf")
        if labels.max() < 1:
            # Fewer than two dense groups (common under ~40 statements): fall back to
            # agglomerative clustering, which always gives themes and is deterministic.
            labels = self._agglomerative(reduced)
        return labels, reduced

    def _reduce(self, vectors: np.ndarray) -> np.ndarray:
        """Density is hard to find in 300-700 dimensions; a few dimensions make clusters visible."""
        n = len(vectors)
        if self.reducer == "none" or self.n_components >= min(vectors.shape) or n <= self.n_components + 2:
            return unit_length(vectors)
        if self.reducer == "pca":
            from sklearn.decomposition import PCA

            return unit_length(PCA(n_components=self.n_components, random_state=self.random_state).fit_transform(vectors))
        from umap import UMAP

        # A fixed random_state makes UMAP single-threaded and repeatable; min_dist=0 packs
        # clusters tightly, which is what density clustering wants (as BERTopic does).
        n_neighbors = min(15, n - 1)
        # From 4,096 rows UMAP would switch to approximate neighbours (pynndescent), whose numba code
        # takes ~35 s to compile in every new process; exact neighbours cost less here and are exact.
        knn = exact_neighbours(vectors, n_neighbors) if n >= APPROXIMATE_FROM else (None, None, None)
        with warnings.catch_warnings():
            # With exact neighbours UMAP warns that it cannot `transform` new data later; qualflow never
            # asks it to (later statements are placed by their similarity to themes, pipeline/place.py).
            warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]", category=UserWarning)
            # Many identical answers (a survey of 20,000 with 2,800 different texts) leave the neighbour graph in
            # pieces, and UMAP falls back from spectral to random initialisation with three lines of its own
            # text on the terminal. The fallback is seeded by random_state, so the result stays repeatable.
            warnings.filterwarnings("ignore", message=r"Spectral initialisation failed", category=UserWarning)
            return UMAP(
                n_neighbors=n_neighbors, n_components=self.n_components, min_dist=0.0, metric="cosine",
                random_state=self.random_state, n_jobs=1, init="spectral" if n > 40 else "random",
                precomputed_knn=knn,
            ).fit_transform(vectors)

    def _agglomerative(self, vectors: np.ndarray) -> np.ndarray:
        from sklearn.cluster import AgglomerativeClustering

        n_clusters = max(2, min(len(vectors) // 3, int(round(math.sqrt(len(vectors) / 2)))))
        return AgglomerativeClustering(n_clusters=n_clusters, metric="cosine", linkage="average").fit_predict(vectors)


APPROXIMATE_FROM = 4096  # umap-learn's own switch to approximate nearest neighbours


def exact_neighbours(vectors: np.ndarray, k: int, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k nearest rows by cosine distance (itself first, at 0), as UMAP's
    `precomputed_knn` wants them; computed in chunks so memory stays at chunk x n."""
    units = unit_length(vectors).astype(np.float32)
    n = len(units)
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, chunk):
        block = np.clip(1.0 - units[start:start + chunk] @ units.T, 0.0, 2.0)
        rows = np.arange(len(block))
        block[rows, start + rows] = -1.0  # a row is its own nearest neighbour, whatever the rounding
        nearest = np.argpartition(block, k - 1, axis=1)[:, :k]
        order = np.argsort(np.take_along_axis(block, nearest, axis=1), axis=1, kind="stable")
        indices[start:start + chunk] = np.take_along_axis(nearest, order, axis=1)
        distances[start:start + chunk] = np.maximum(np.take_along_axis(block, indices[start:start + chunk], axis=1), 0)
    return indices, distances


def similarity_to_dense_centre(vectors: np.ndarray, groups: np.ndarray, outlier: np.ndarray) -> np.ndarray:
    """Each statement's cosine to the centre of its group's dense members (all members when the group
    has none): outliers placed by nearest centre never move a centre. Rows of `groups` below 0 get 0."""
    vectors = unit_length(np.asarray(vectors, dtype=np.float64))
    groups, outlier = np.asarray(groups), np.asarray(outlier, dtype=bool)
    similarity = np.zeros(len(groups))
    for group in np.unique(groups[groups >= 0]):
        members = groups == group
        dense = members & ~outlier
        centre = unit_length(vectors[dense if dense.any() else members].mean(axis=0))
        similarity[members] = vectors[members] @ centre
    return similarity


def unit_length(vectors: np.ndarray) -> np.ndarray:
    """A vector, or each row of a matrix, scaled to length 1 (zero vectors stay zero)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _group_subcategories(centres: np.ndarray) -> np.ndarray:
    """The theme of each subcategory: average-linkage clustering of the centres of their dense
    members in the reduced space (Euclidean), with the number of themes that gives the best
    silhouette between √n and n/2 for n subcategories: at least as many themes as published studies
    report for their subcategories (7 -> 3, 25 -> 5), since silhouette alone favours two; at most
    one theme per two subcategories. Fewer than four subcategories are themes of their own.

    Why the reduced space: it is where HDBSCAN found the subcategories, and UMAP keeps which of them
    are neighbours. In the encoder's space the centres of a study's subcategories are all about
    equally similar (with USE, a study's sentences share much of their vector), so grouping them
    there was close to chance on some data: issue #4, top-level themes against the human codes, mean
    AMI over 5 data sets x 10 UMAP seeds 0.229 -> 0.315 (difference +0.086, 95% bootstrap interval
    [+0.050, +0.127]; better on 4 of 5 sets, cpsycoune -0.003), llmcode 0.051 -> 0.319."""
    n = len(centres)
    if n < 4:
        return np.arange(n, dtype=int)
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    best, best_score = None, -2.0
    smallest = max(2, math.ceil(math.sqrt(n)))
    for k in range(smallest, max(smallest, n // 2) + 1):
        labels = AgglomerativeClustering(n_clusters=k, metric="euclidean", linkage="average").fit_predict(centres)
        score = silhouette_score(centres, labels, metric="euclidean")
        if score > best_score + 1e-9:  # ties keep the smaller number of themes
            best, best_score = labels, score
    return best


def least_typical_member(members: np.ndarray) -> float:
    """The lowest cosine of a member (unit rows) to the centre of the *other* members: the weak-fit
    bar of their subcategory (see `ThemeClusterer._weak_fit_threshold`); 0 below two members."""
    if len(members) < 2:
        return 0.0
    others = members.sum(axis=0) - members  # row i: the sum of every member but i
    loo = np.einsum("ij,ij->i", members, others) / np.maximum(np.linalg.norm(others, axis=1), 1e-12)
    return float(loo.min())


def _hdbscan_labels(reduced: np.ndarray, size: int, selection: str) -> np.ndarray:
    """HDBSCAN's dense clusters (-1: noise), with min_samples=1.

    Every statement HDBSCAN calls noise is placed in its nearest subcategory anyway, so a
    conservative noise call (min_samples = size/2) only turns statements into outliers judged
    against a tight core, and flagged as weak fits when they lie outside it. With leaf selection
    and min_samples = size/2 a third of the statements were noise (35% on cpsycoune, 33% on serdif,
    mean over 10 UMAP seeds; issue #4). min_samples=1 with excess-of-mass selection (HDBSCAN's
    default) keeps them in their clusters (13% and 17% noise; weak fits 10.5% -> 3.0% and 2.6% ->
    0.7%) at the same agreement with human codes over 10 UMAP seeds (ARI -0.011 [-0.032, +0.010]
    on cpsycoune, +0.009 [+0.007, +0.011] on serdif). Chosen with the other data sets each time
    when any one of the five was left out. See `ThemeClusterer._dense_labels` for the collapse guard."""
    import hdbscan

    return hdbscan.HDBSCAN(min_cluster_size=size, min_samples=1, metric="euclidean",
                           cluster_selection_method=selection).fit_predict(reduced)


# EOM's clustering has collapsed when one dense group holds more than this share of all statements.
MAX_LARGEST_SHARE = 0.5


def _collapsed(labels: np.ndarray) -> bool:
    """Fewer than two dense groups, or one holding more than half of all statements."""
    dense = labels[labels >= 0]
    return labels.max() < 1 or np.bincount(dense).max() > MAX_LARGEST_SHARE * len(labels)


def _assign_to_nearest_centre(vectors: np.ndarray, dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every row's theme (its dense cluster, or the nearest centre for outliers) and its
    cosine similarity to that theme's centre of dense members."""
    n_themes = int(dense.max() + 1) if len(dense) else 0
    if n_themes == 0:
        return np.full(len(dense), -1, dtype=int), np.zeros(len(dense))
    centroids = np.vstack([unit_length(vectors[dense == k].mean(axis=0)) for k in range(n_themes)])
    similarities = vectors @ centroids.T
    assigned = np.where(dense >= 0, dense, similarities.argmax(axis=1))
    return assigned, similarities[np.arange(len(dense)), assigned]


def _rank_by_size(labels: np.ndarray) -> dict[int, int]:
    kept = [int(k) for k in np.unique(labels) if k >= 0]
    ranked = sorted(kept, key=lambda k: (-int((labels == k).sum()), int(np.argmax(labels == k))))
    return {old: new for new, old in enumerate(ranked)}
