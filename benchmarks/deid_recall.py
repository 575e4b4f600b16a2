"""De-identification benchmark: recall and precision per language and kind on the invented fixtures.

    python benchmarks/deid_recall.py [--cache-dir DIR]

Fixtures (tests/fixtures/deid/, all people invented): `{en,zh}_names.txt` with
`{en,zh}_names.gold.json` (every identifier a human would remove: start, end, text, kind), the same
for `{en,zh}_heldout` (written once the rules were done; never used to change them), and
`{en,zh}_negatives.txt` (interview talk with no identifiers: anything found is a false positive).

Per kind: gold = identifiers annotated; found = findings of that kind; recall = share of gold
spans overlapped by a finding of the same kind; precision = share of findings that overlap a gold
span of the same kind. The "any kind" row ignores kinds: what was removed, whatever it was called
(the privacy figure; "ORG" for a hospital that the annotation calls an ORG but the tool a PLACE
counts here). "negatives" counts findings on the identifier-free text, by kind.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

from qualflow.pipeline.deidentify import KINDS, Deidentifier, Finding

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "deid"
LANGUAGES = ("en", "zh")
# "names" was written before the rules and read while building them; "heldout" was written after
# the rules were done and has not been used to change them.
FIXTURE_SETS = ("names", "heldout")


def load_gold(language: str, fixture: str = "names") -> tuple[str, list[dict]]:
    text = (FIXTURES / f"{language}_{fixture}.txt").read_text("utf-8")
    gold = json.loads((FIXTURES / f"{language}_{fixture}.gold.json").read_text("utf-8"))
    for item in gold:
        if text[item["start"] : item["end"]] != item["text"]:
            raise ValueError(f"{language} gold span {item} does not match the text")
    return text, gold


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def score(gold: list[dict], found: list[Finding]) -> dict[str, dict[str, float]]:
    """{kind or "any": {gold, found, recalled, correct, recall, precision}}."""
    rows = {}
    for kind in (*KINDS, "any"):
        g = [x for x in gold if kind == "any" or x["kind"] == kind]
        f = [x for x in found if kind == "any" or x.kind == kind]
        recalled = sum(any(_overlaps(x["start"], x["end"], y.start, y.end) for y in f) for x in g)
        correct = sum(any(_overlaps(y.start, y.end, x["start"], x["end"]) for x in g) for y in f)
        if g or f:
            rows[kind] = {
                "gold": len(g),
                "found": len(f),
                "recalled": recalled,
                "correct": correct,
                "recall": recalled / len(g) if g else float("nan"),
                "precision": correct / len(f) if f else float("nan"),
            }
    return rows


def evaluate(
    deidentifier: Deidentifier, language: str, fixture: str = "names"
) -> tuple[dict, dict[str, int], list[Finding], list[Finding]]:
    """Scores on a fixture, false positives by kind on the negatives, and both finding lists."""
    text, gold = load_gold(language, fixture)
    found = deidentifier.find(text, language)
    negatives_text = (FIXTURES / f"{language}_negatives.txt").read_text("utf-8")
    negatives = deidentifier.find(negatives_text, language)
    by_kind: dict[str, int] = {}
    for f in negatives:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    return score(gold, found), by_kind, found, negatives


def _fmt(x: float) -> str:
    return "  -  " if math.isnan(x) else f"{x:5.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "qualflow-jieba")
    parser.add_argument("--misses", action="store_true", help="also list missed gold spans and wrong findings")
    args = parser.parse_args()
    deidentifier = Deidentifier(cache_dir=args.cache_dir)
    for fixture in FIXTURE_SETS:
        for language in LANGUAGES:
            rows, negatives, found, _ = evaluate(deidentifier, language, fixture)
            print(f"\n{language}, {fixture}: {FIXTURES / f'{language}_{fixture}.txt'}")
            print(f"  {'kind':8} {'gold':>5} {'found':>6} {'recall':>7} {'precision':>9}")
            for kind, row in rows.items():
                print(f"  {kind:8} {row['gold']:5d} {row['found']:6d} {_fmt(row['recall']):>7} {_fmt(row['precision']):>9}")
            if fixture == "names":
                total = sum(negatives.values())
                detail = ", ".join(f"{k} {v}" for k, v in sorted(negatives.items())) or "none"
                print(f"  negatives ({language}_negatives.txt, no identifiers): {total} false positives ({detail})")
            if args.misses:
                _, gold = load_gold(language, fixture)
                for item in gold:
                    if not any(f.kind == item["kind"] and _overlaps(f.start, f.end, item["start"], item["end"]) for f in found):
                        print(f"    missed {item['kind']:6} {item['text']!r}")
                for f in found:
                    if not any(f.kind == x["kind"] and _overlaps(f.start, f.end, x["start"], x["end"]) for x in gold):
                        print(f"    wrong  {f.kind:6} {f.text!r} ({f.source})")


if __name__ == "__main__":
    main()
