"""Context from neighbouring statements (pipeline/context.py)."""

import numpy as np
from qualflow.pipeline.cluster import ThemeClusterer
from qualflow.pipeline.context import add_context, sequential_coherence, with_context


def interviews(n_documents: int = 6, per_document: int = 12, dim: int = 24, seed: int = 0):
    """Each document talks about one topic (its statements are noisy copies of a topic vector)."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(n_documents, dim))
    vectors = np.vstack([t + 1.5 * rng.normal(size=(per_document, dim)) for t in topics])
    documents = np.repeat([f"interview-{d}" for d in range(n_documents)], per_document).tolist()
    positions = list(range(per_document)) * n_documents
    return vectors, documents, positions


def test_coherent_interviews_pass_the_test_and_unrelated_rows_do_not():
    vectors, documents, positions = interviews()
    z, pairs = sequential_coherence(vectors, documents, positions)
    assert pairs == 6 * 11 and z > 2
    # The same rows, stored one after another in a single "document" in random order
    # (a table of unrelated answers): neighbours are no closer than any two rows.
    order = np.random.default_rng(1).permutation(len(vectors))
    z_mixed, _ = sequential_coherence(vectors[order], ["table"] * len(vectors), list(range(len(vectors))))
    assert z_mixed < 2
    assert not with_context(vectors[order], ["table"] * len(vectors), list(range(len(vectors))))[1]
    assert with_context(vectors, documents, positions)[1]


def test_too_few_neighbours_is_no_evidence():
    vectors, documents, positions = interviews(n_documents=2, per_document=5)
    _, added = with_context(vectors, documents, positions, mode="auto")
    assert not added  # 8 adjacent pairs < MIN_PAIRS
    assert with_context(vectors, documents, positions, mode="on")[1]
    assert not with_context(vectors, documents, positions, mode="off")[1]


def test_context_pulls_a_statement_towards_its_neighbours_only_within_its_document():
    vectors, documents, positions = interviews()
    blended = add_context(vectors, documents, positions, window=2, weight=0.5)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    topic_of = np.repeat(np.arange(6), 12)
    centres = np.vstack([unit[topic_of == t].mean(axis=0) for t in range(6)])
    before = np.mean([unit[i] @ centres[topic_of[i]] for i in range(len(unit))])
    after = np.mean([blended[i] @ centres[topic_of[i]] for i in range(len(unit))])
    assert after > before
    # The first statement of interview-1 is not blended with the last of interview-0.
    alone = add_context(vectors[[11, 12]], ["interview-0", "interview-1"], [11, 0])
    assert np.allclose(alone, unit[[11, 12]])


def test_context_does_not_depend_on_the_input_order():
    vectors, documents, positions = interviews()
    order = np.random.default_rng(2).permutation(len(vectors))
    shuffled = add_context(vectors[order], [documents[i] for i in order], [positions[i] for i in order])
    assert np.allclose(shuffled, add_context(vectors, documents, positions)[order])


def test_context_helps_find_topics_that_single_statements_hide():
    from sklearn.metrics import adjusted_rand_score

    vectors, documents, positions = interviews(n_documents=6, per_document=20)
    truth = np.repeat(np.arange(6), 20)
    plain = ThemeClusterer(reducer="pca").fit(vectors).assigned_
    blended, added = with_context(vectors, documents, positions)
    assert added
    with_neighbours = ThemeClusterer(reducer="pca").fit(blended).assigned_
    assert adjusted_rand_score(truth, with_neighbours) > adjusted_rand_score(truth, plain)


def test_a_clustering_that_context_collapses_falls_back_to_the_statements_alone():
    """Seen on a real think-aloud study (serdif, 3,599 statements): with context, one subcategory
    held 85% of the statements. Here a clusterer that collapses whenever it is given blended
    vectors stands in for that, so the fallback itself is what is tested."""
    from qualflow.pipeline.context import collapsed, fit_in_context

    vectors, documents, positions = interviews(n_documents=6, per_document=20)
    raw = vectors.copy()

    class CollapsesOnContext(ThemeClusterer):
        def fit(self, given):
            super().fit(given)
            if not np.allclose(given, raw):
                self.assigned_ = np.zeros(len(given), dtype=int)
            return self

    model = fit_in_context(lambda: CollapsesOnContext(reducer="pca"), vectors, documents, positions, mode="on")
    assert not model.context_ and not collapsed(model) and len(set(model.assigned_)) > 1
    kept = fit_in_context(lambda: ThemeClusterer(reducer="pca"), vectors, documents, positions, mode="on")
    assert kept.context_ and not collapsed(kept)
