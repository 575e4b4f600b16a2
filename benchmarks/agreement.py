"""Agreement between qualflow and the human coding of the evaluation data (issue #6).

    python benchmarks/agreement.py [--eval DIR] [--datasets a,b] [--work DIR] [--markdown] [--json FILE]

For every folder of the evaluation data (default ../shared/eval) that holds a coding file
qualflow imports (a REFI-QDA .qdpx or a Taguette project database, *.sqlite3) AND the
transcripts it codes, it does what a researcher would:

1. `qualflow run` on the transcripts, with the default config (no per-dataset settings):
   the folder's raw/ when there is one, else the sources shipped inside the .qdpx
   (extracted into the work folder, never into the project);
2. `qualflow import-coding` of the coding file (alignment figures are printed);
3. `qualflow compare` at the qualflow level chosen automatically (closest number of groups),
   against the codes as coded and, for a hierarchical codebook, at each upper depth that
   has at most half as many codes.

The study databases live in --work (default: a temporary folder, removed afterwards); give
a folder to keep them, and a second run over it reuses the stored runs (the flow is
idempotent). Figures are those of `qualflow compare`; see pipeline/coding/agreement.py. The
statements compared are those qualflow clusters; "left out" counts the rest of the coded
transcripts (interviewer turns, too short, ...) and "coded left out" how many of them the
coder had coded. ARI/NMI/V are over "ARI n" statements (one label on each side) only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# "statements" are the units (statements qualflow clusters); "left out" the other statements of the coded
# transcripts, "coded left out" how many of those the coder had coded; ARI/NMI/V are over "ARI n" only.
COLUMNS = ["dataset", "codes at", "codes", "level", "labels", "statements", "left out", "coded left out", "F1 1:1",
           "P", "R", "F1 m:1", "kappa", "alpha", "char kappa", "char kappa (by source)", "ARI n", "ARI", "NMI", "V",
           "coverage", "uncoded"]


def coded_datasets(eval_dir: Path, names: list[str] | None) -> list[tuple[str, Path, Path | None]]:
    """(name, coding file, transcript folder or None when the .qdpx ships the sources)."""
    from qualflow.pipeline.coding.taguette import SQLITE_MAGIC

    found = []
    for folder in sorted(p for p in Path(eval_dir).iterdir() if p.is_dir()):
        if names and folder.name not in names:
            continue
        codings = sorted(folder.rglob("*.qdpx")) + sorted(
            p for p in folder.rglob("*.sqlite3") if p.read_bytes()[:16] == SQLITE_MAGIC)
        raw = folder / "raw"
        for coding in codings[:1]:
            if raw.is_dir() or coding.suffix == ".qdpx":
                found.append((folder.name, coding, raw if raw.is_dir() else None))
    missing = set(names or []) - {name for name, _, _ in found}
    if missing:
        raise SystemExit(f"no coding file with its transcripts for {', '.join(sorted(missing))} in {eval_dir}")
    return found


def extract_sources(qdpx: Path, inbox: Path) -> Path:
    """The project's text sources as files named like their TextSource, through the same safe reader."""
    from qualflow.pipeline.coding.refi import read_qdpx

    imported = read_qdpx(qdpx.read_bytes(), qdpx.name, "coder")
    inbox.mkdir(parents=True, exist_ok=True)
    for name, document in imported.documents.items():
        if document.text:
            (inbox / Path(name).name).write_text(document.text, encoding="utf-8")
    return inbox


def run_dataset(name: str, coding: Path, transcripts: Path | None, work: Path) -> dict:
    from qualflow.flows.batch import code_interviews
    from qualflow.models import Store, default_database_url
    from qualflow.models.coding import ManualCode
    from qualflow.pipeline.coding.compare import compare_study
    from qualflow.pipeline.coding.importer import import_coding

    data = work / name / "data"
    if transcripts is None:
        transcripts = extract_sources(coding, work / name / "inbox")
    started = time.perf_counter()
    summary = code_interviews(str(transcripts), str(data))
    flow_seconds = time.perf_counter() - started
    store = Store(default_database_url(data))
    stats = import_coding(store, coding)
    with store.session() as session:
        depth = max((code.path.count(" / ") + 1 for code in session.query(ManualCode)), default=1)
        results = [("as coded", compare_study(session, "auto", None))]
        as_coded = results[0][1]["comparisons"][0]["codes"] if results[0][1]["comparisons"] else 0
        for d in range(1, depth):
            # Upper levels of a hierarchical codebook, while they are clearly coarser than the codes used.
            upper = compare_study(session, "auto", d)
            if upper["comparisons"] and upper["comparisons"][0]["codes"] <= as_coded / 2:
                results.append((f"depth {d}", upper))
    store.dispose()
    return {"dataset": name, "coding_file": coding.name, "transcripts": summary.transcripts_added,
            "flow_seconds": round(flow_seconds, 1), "import": stats,
            "results": [{"codes_at": at, **result} for at, result in results]}


def table_rows(run: dict) -> list[list[str]]:
    def num(value) -> str:
        return "–" if value is None else f"{value:.3f}"

    rows = []
    for result in run["results"]:
        for figures in result["comparisons"] + ([result["human_ceiling"]] if result["human_ceiling"] else []):
            one, clustering = figures["one_to_one"], figures["clustering"]
            # Over the same codes as "char kappa": those on compared statements (a code only on
            # statements left out keeps its row but is in no mean).
            off_units = set(figures.get("codes_on_no_statement", []))
            by_source = [r["char_kappa_by_source"] for r in figures["per_code"]
                         if r["char_kappa_by_source"] is not None and r["code"] not in off_units]
            rows.append([run["dataset"] + ("" if figures["candidate"] == "qualflow" else " (human ceiling)"),
                         result["codes_at"], str(figures["codes"]), figures.get("level", result["level"]), str(figures["labels"]),
                         str(figures["statements"]), str(figures["statements_not_units"]["statements"]),
                         ", ".join(str(c["statements"]) for c in figures["coded_statements_left_out"].values()),
                         num(one["f1"]), num(one["precision"]), num(one["recall"]),
                         num(figures["many_to_one"]["f1"]), num(figures["kappa"]), num(figures["alpha"]),
                         num(figures["char_kappa_mean"]), num(sum(by_source) / len(by_source) if by_source else None),
                         str(clustering["statements"]), num(clustering["ari"]), num(clustering["nmi"]),
                         num(clustering["v_measure"]),
                         num(figures["coverage"]), num(figures["uncoded_share"])])
    return rows


def print_table(rows: list[list[str]], markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(COLUMNS) + " |")
        print("|" + "---|" * len(COLUMNS))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]
    for row in [COLUMNS, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--datasets", help="comma-separated folder names (default: all with coding + transcripts)")
    parser.add_argument("--work", type=Path, help="keep the study databases here (default: a temporary folder)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--json", type=Path, help="also write every figure as JSON here")
    args = parser.parse_args(argv)
    datasets = coded_datasets(args.eval, args.datasets.split(",") if args.datasets else None)
    work = args.work or Path(tempfile.mkdtemp(prefix="qualflow-agreement-"))
    runs = []
    try:
        for name, coding, transcripts in datasets:
            run = run_dataset(name, coding, transcripts, work)
            runs.append(run)
            stats = run["import"]
            print(f"{name}: {run['transcripts']} transcripts stored in this run ({run['flow_seconds']} s); "
                  f"{coding.name}: {stats['spans']} spans by {', '.join(stats['coders'])}, {stats['aligned']} aligned, "
                  f"{stats['well_aligned']} with ≥90% of characters found (mean "
                  f"{stats['mean_quality_of_aligned']:.1%}); {stats['documents_matched']} of {stats['documents']} "
                  f"documents matched", flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print_table([row for run in runs for row in table_rows(run)], args.markdown)
    if args.json:
        args.json.write_text(json.dumps(runs, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
