"""Reading the human-coded evaluation units, and caching their embeddings, for benchmarks/quality.py.

Each folder of ../shared/eval with a `units.csv` is one dataset (see its SOURCE.md). Every unit with
text is clustered, as a researcher would cluster every statement of a study; only units with exactly
one code in `codes` are scored: a clustering gives each unit one group, so a unit with two human codes
has no single right answer. (`cluster="scored"` clusters the scored units alone, as the benchmark did
before; on data where most units carry several codes that leaves a few dozen units out of hundreds.)
A unit whose `speaker` is an interviewer by qualflow's own speaker-label rule (Interviewer, Moderator,
访谈者, ...: `pipeline.turns.INTERVIEWER_LABELS`) is dropped, as qualflow never clusters an
interviewer's turns; the same rule for every data set (it drops serdif's 182 MODERATOR rows).
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np



def is_interviewer(speaker: str | None) -> bool:
    """Whether a unit's speaker is an interviewer by the rule qualflow applies to transcripts' labels."""
    from qualflow.pipeline.turns import INTERVIEWER_LABELS

    return (speaker or "").strip().lower() in INTERVIEWER_LABELS


@dataclass
class Dataset:
    name: str
    language: str  # "en" or "zh"
    texts: list[str]  # every unit that is clustered
    codes: list[str]  # aligned with texts: the unit's one code, or "" when it is not scored
    n_rows: int  # rows in units.csv
    n_multi_code: int  # not scored: more than one code
    n_interviewer: int  # dropped: interviewer turns (by the speaker column)
    n_uncoded: int  # not scored: no code (dropped when there is no text either)
    # Each kept unit's document and row number in units.csv: qualflow reads a unit next to its
    # neighbours (pipeline.context), as it reads a statement next to its neighbours in an interview.
    documents: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    # Every code the human coders put on a clustered unit, the unscored units' codes included: the
    # size of the codebook the clustering is compared with (k for k-means, the level to compare).
    codebook: set[str] = field(default_factory=set)
    # Every code of each clustered unit (sorted, each once; [] for an uncoded unit): the multi-code
    # units too, for the sensitivity figure that scores one row per (unit, code) pair (_report.py).
    unit_codes: list[list[str]] = field(default_factory=list)

    @property
    def scored(self) -> np.ndarray:
        """Which clustered units are scored (exactly one code), as a mask aligned with texts."""
        return np.array([bool(code) for code in self.codes], dtype=bool)

    @property
    def n_scored(self) -> int:
        return int(self.scored.sum())

    @property
    def n_codes(self) -> int:
        return len(self.codebook | {code for code in self.codes if code})

    @property
    def code_ids(self) -> np.ndarray:
        """The scored units' codes as integers (sorted code names), for the scikit-learn metrics."""
        names = sorted({code for code in self.codes if code})
        index = {name: i for i, name in enumerate(names)}
        return np.array([index[c] for c in self.codes if c], dtype=int)


def split_codes(field: str) -> list[str]:
    return [code.strip() for code in (field or "").split(";") if code.strip()]


def detect_language(texts: list[str]) -> str:
    """"zh" when CJK ideographs are a large share of the letters; the datasets are monolingual."""
    letters = [ch for text in texts for ch in text if ch.isalpha()]
    cjk = sum(1 for ch in letters if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")
    return "zh" if letters and cjk / len(letters) > 0.3 else "en"


def read_units(path: Path, name: str | None = None, cluster: str = "all") -> Dataset:
    """One dataset from a units.csv (the file's folder name is the dataset name).

    cluster="all" keeps every unit with text (unscored ones with code ""); "scored" keeps only the
    units with exactly one code."""
    if cluster not in ("all", "scored"):
        raise ValueError(f"cluster must be 'all' or 'scored', not {cluster!r}")
    name = name or path.parent.name
    texts, codes, documents, positions, codebook, unit_codes = [], [], [], [], set(), []
    n_rows = n_multi = n_interviewer = n_uncoded = 0
    # utf-8-sig: some upstream files carry a BOM, which would otherwise stick to the first header.
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            n_rows += 1
            row_codes = split_codes(row.get("codes", ""))
            text = (row.get("text") or "").strip()
            if is_interviewer(row.get("speaker")):
                n_interviewer += 1
                continue
            scored = bool(text) and len(set(row_codes)) == 1
            n_uncoded += not row_codes or not text
            n_multi += bool(text) and len(set(row_codes)) > 1
            if not text or (cluster == "scored" and not scored):
                continue
            texts.append(text)
            codes.append(row_codes[0] if scored else "")
            codebook.update(row_codes)
            unit_codes.append(sorted(set(row_codes)))
            documents.append(row.get("document") or "")
            positions.append(n_rows)
    return Dataset(name, detect_language(texts), texts, codes, n_rows, n_multi, n_interviewer, n_uncoded,
                   documents, positions, codebook, unit_codes)


def find_datasets(eval_dir: Path, names: list[str] | None = None) -> list[Path]:
    """units.csv paths, sorted by folder name; unknown requested names are an error."""
    found = {p.parent.name: p for p in sorted(Path(eval_dir).glob("*/units.csv"))}
    if not names:
        return list(found.values())
    unknown = [n for n in names if n not in found]
    if unknown:
        raise SystemExit(f"no units.csv for {', '.join(unknown)} in {eval_dir} (have: {', '.join(found)})")
    return [found[n] for n in names]


def texts_digest(texts: list[str]) -> str:
    """Short hash of the exact unit texts, so an edited units.csv never reuses stale vectors."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8") + b"\x00")
    return digest.hexdigest()[:12]


def cached_embeddings(
    dataset: Dataset, encoder_name: str, cache_dir: Path, make_encoder: Callable[[], object], batch_size: int = 64
) -> tuple[np.ndarray, float, bool]:
    """Vectors for the dataset's texts, seconds spent, and whether they came from the cache.

    The encoder is only built on a cache miss (loading one costs seconds to minutes).
    """
    # What the pipeline embeds (pipeline/embed `text_to_embed`: Chinese in Simplified script), so the
    # benchmark measures what users get; the cache is named after those texts.
    from qualflow.pipeline.embed import text_to_embed
    from qualflow.pipeline.language import detect_language

    texts = [text_to_embed(text, detect_language(text)) for text in dataset.texts]
    path = Path(cache_dir) / f"{dataset.name}.{encoder_name}.{texts_digest(texts)}.npy"
    if path.exists():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors, 0.0, True
    started = time.perf_counter()
    encoder = make_encoder()
    chunks = [encoder.embed(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
    vectors = np.vstack(chunks).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors, time.perf_counter() - started, False
