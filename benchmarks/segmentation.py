"""Segmentation benchmark: speed, and how well statements fit human-coded highlights.

    python benchmarks/segmentation.py [--eval ../shared/eval]

Speed: statements per second from text to statements (turns + sentencizer + merge/split),
for English (the serdif think-aloud transcripts) and Chinese (the CPsyCounE dialogues).
Fit, on serdif: each human highlight is located in qualflow's text of the same transcript
(by its words, since Taguette's offsets count bytes in its own copy of the text); then
  - covered by <= 3 statements: share of highlights that overlap at most 3 statements;
  - statements crossing a boundary: share of statements, among those touching a highlight,
    with a highlight's start or end strictly inside them (after trimming spaces).
Reads the evaluation data in place; copies nothing.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import time
from pathlib import Path

from _eval_data import is_interviewer  # benchmarks/, first on sys.path when run as a script
from qualflow.pipeline.ingest import normalise_text, read_document
from qualflow.pipeline.segment import Segmenter
from qualflow.pipeline.turns import parse_turns, participant_from_file_name


def segment_all(segmenter: Segmenter, texts: list[tuple[str, str]]):
    """[(name, text)] -> {name: statements}, and the seconds it took."""
    started = time.perf_counter()
    out = {}
    for name, text in texts:
        parsed = parse_turns(text, default_participant=participant_from_file_name(name))
        out[name] = segmenter.segment(text, parsed.turns)
    return out, time.perf_counter() - started


def _squash(text: str) -> tuple[str, list[int]]:
    """Text without whitespace, with each kept character's offset in the original."""
    kept = [(i, ch) for i, ch in enumerate(text) if not ch.isspace()]
    return "".join(ch for _, ch in kept), [i for i, _ in kept]


def locate(highlight: str, text: str, squashed: tuple[str, list[int]]) -> tuple[int, int] | None:
    """Where a highlight's words sit in `text`, ignoring differences in whitespace and quotes."""
    fold = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
    target, _ = _squash(normalise_text(highlight).translate(fold))
    haystack, positions = squashed
    at = haystack.translate(fold).find(target)
    if not target or at < 0:
        return None
    return positions[at], positions[at + len(target) - 1] + 1


def fit_to_highlights(eval_dir: Path, statements_by_doc: dict, texts: dict) -> dict:
    rows = list(csv.DictReader(open(eval_dir / "serdif_taguette_usability" / "units.csv", encoding="utf-8")))
    found = missing = covered = 0
    boundaries: dict[str, list[int]] = {}
    for row in rows:
        if is_interviewer(row.get("speaker")) or row["document"] not in texts:
            continue
        text = texts[row["document"]]
        span = locate(row["text"], text, _squash_cache(row["document"], text))
        if span is None:
            missing += 1
            continue
        found += 1
        touching = [s for s in statements_by_doc[row["document"]] if s.start < span[1] and span[0] < s.end]
        covered += len(touching) <= 3
        boundaries.setdefault(row["document"], []).extend(span)
    touching_total = crossing = 0
    for doc, cuts in boundaries.items():
        for statement in statements_by_doc[doc]:
            inside = [c for c in cuts if statement.start < c < statement.end]
            touches = inside or any(statement.start <= c <= statement.end for c in cuts)
            touching_total += bool(touches)
            crossing += bool(inside)
    return {"highlights": found, "not located": missing, "covered_by_at_most_3": covered / max(found, 1),
            "statements_crossing_a_boundary": crossing / max(touching_total, 1), "statements_touching": touching_total}


_SQUASHED: dict[str, tuple] = {}


def _squash_cache(name: str, text: str):
    if name not in _SQUASHED:
        _SQUASHED[name] = _squash(text)
    return _SQUASHED[name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "eval")
    args = parser.parse_args()
    segmenter = Segmenter(cache_dir=Path(".cache/jieba"))
    segmenter.segment("P1: warm up. 受访者：预热一下。", parse_turns("P1: warm up.\n受访者：预热一下。").turns)

    english = {p.name: read_document(p).text for p in sorted((args.eval / "serdif_taguette_usability" / "raw").glob("*.odt"))}
    chinese = {}
    for path in sorted(glob.glob(str(args.eval / "cpsycoune_zh" / "CPsyCounE" / "*" / "*.json"))):
        turns = json.load(open(path, encoding="utf-8"))
        chinese[f"{Path(path).parent.name}/{Path(path).name}"] = normalise_text("\n".join(turns))

    print("segmentation benchmark")
    for label, texts in (("en (serdif, 17 transcripts)", english), ("zh (CPsyCounE, 45 dialogues)", chinese)):
        statements, seconds = segment_all(segmenter, list(texts.items()))
        n = sum(len(v) for v in statements.values())
        chars = sum(len(t) for t in texts.values())
        print(f"  {label}: {n} statements from {chars:,} characters in {seconds:.2f} s = {n / seconds:,.0f} statements/s")
        if texts is english:
            english_statements = statements
    fit = fit_to_highlights(args.eval, english_statements, english)
    print(f"  serdif highlights located: {fit['highlights']} (not located: {fit['not located']})")
    print(f"  highlights covered by <= 3 statements: {fit['covered_by_at_most_3']:.1%}")
    print(f"  statements crossing a highlight boundary: {fit['statements_crossing_a_boundary']:.1%} "
          f"of {fit['statements_touching']} statements touching a highlight")


if __name__ == "__main__":
    main()
