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
