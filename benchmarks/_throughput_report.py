"""Tables and issue #7's targets for benchmarks/throughput.py (runs are the children's JSON dicts)."""

from __future__ import annotations

import math

from _corpus import fit_exponent

# The flow's tasks (flows/tasks.py) in the order the data flows through them.
STEPS = ["analyse", "store_file", "store", "embed", "encode", "place_new", "cluster", "describe",
         "store_suggestions", "write_report"]
MAX_RATIO, MAX_INCREMENTAL, MAX_RSS_GIB, MAX_EXPONENT = 2.0, 0.10, 2.0, 1.2


def step_seconds(run: dict) -> dict[str, float]:
    """Inner seconds per task, then Prefect's share and the flow's own glue."""
    inner, outer = run["inner"], run["outer"]
    rows = {step: inner.get(step, 0.0) for step in STEPS}
    rows["Prefect task runs (outer - inner)"] = sum(outer.get(s, 0.0) - inner.get(s, 0.0) for s in STEPS)
    rows["flow glue (body - task calls)"] = inner.get("flow body", 0.0) - sum(outer.get(s, 0.0) for s in STEPS)
    rows["Prefect flow start/end (call - body)"] = run["flow_s"] - inner.get("flow body", 0.0)
    return rows


def _row(n, run: dict) -> list[str]:
    ratio = run["flow_s"] / run["raw_s"] if run.get("raw_s") else math.nan
    raw = f"{run['raw_s']:.1f}" if "raw_s" in run else "-"
    raw_rate = f"{run['raw_texts'] / run['raw_s']:.0f}" if run.get("raw_s") else "-"
    return [str(n), str(run["transcripts"]), str(run["statements"]), f"{run['significant']} ({run['distinct']})",
            f"{run['imports_s']:.1f}", f"{run['flow_s']:.1f}", f"{run['significant'] / run['flow_s']:.0f}",
            raw, raw_rate, "-" if math.isnan(ratio) else f"{ratio:.1f}", f"{run['peak_rss'] / 2**20:.0f}"]


HEADER = ["N", "transcripts", "statements", "significant (distinct)", "imports s", "flow s", "e2e stmt/s",
          "raw enc s", "raw stmt/s", "flow/raw", "peak RSS MiB"]


def _rows(runs: dict, incremental: dict | None, base: int) -> list[list[str]]:
    rows = [_row(n, run) for n, run in runs.items()]
    if incremental:
        rows.append(_row(f"{base}+1", incremental))
    return rows


def text_table(runs: dict, incremental: dict | None, base: int, exponent: float) -> str:
    rows = [HEADER] + _rows(runs, incremental, base)
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.append(f"flow s = the code_interviews call (with Prefect's temporary server start unless --server); e2e stmt/s = "
                 f"significant statements / flow s; raw stmt/s = distinct texts / raw encoding s; "
                 f"growth exponent of flow s over N: {exponent:.2f}")
    return "\n".join(lines)


def markdown_table(runs: dict, incremental: dict | None, base: int, exponent: float) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(runs, incremental, base)]
    lines.append(f"\nGrowth of flow time with N: exponent {exponent:.2f} (log-log fit over {', '.join(map(str, runs))}).")
    return "\n".join(lines)


def step_table(runs: dict, sizes: list[int]) -> str:
    per_size = {n: step_seconds(runs[n]) for n in sizes}
    largest = max(sizes)
    total = runs[largest]["flow_s"]
    names = list(per_size[largest])
    width = max(len(name) for name in names)
    lines = [f"{'step':<{width}}  " + "  ".join(f"{f'N={n}':>8}" for n in sizes) + f"  {'share':>6}  {'exponent':>8}"]
    for name in names:
        values = [per_size[n][name] for n in sizes]
        positive = [(n, v) for n, v in zip(sizes, values) if v > 0.005]
        k = fit_exponent(*zip(*positive))[0] if len(positive) > 1 else math.nan
        lines.append(f"{name:<{width}}  " + "  ".join(f"{v:8.2f}" for v in values)
                     + f"  {per_size[largest][name] / total:6.1%}  {k:8.2f}")
    lines.append(f"{'flow (total)':<{width}}  " + "  ".join(f"{runs[n]['flow_s']:8.2f}" for n in sizes))
    return "\n".join(lines)


def check_targets(runs: dict, incremental: dict | None, base: int, exponent: float, gib: int):
    """(True | False | None for not measured, description) per target."""
    lines = []
    if 100 in runs:
        run = runs[100]
        ratio = run["flow_s"] / run["raw_s"]
        text = (f"end-to-end time <= {MAX_RATIO:g} x raw encoding time at N=100 "
                f"({run['flow_s']:.1f} s vs {run['raw_s']:.1f} s: {ratio:.1f} x)")
        lines.append((ratio <= MAX_RATIO, text))
    else:
        lines.append((None, "end-to-end vs raw encoding at N=100: N=100 not run"))
    if incremental:
        share = incremental["flow_s"] / runs[base]["flow_s"]
        text = (f"incremental run (+1 interview to {base}) <= {MAX_INCREMENTAL:.0%} of the full run "
                f"({incremental['flow_s']:.1f} s vs {runs[base]['flow_s']:.1f} s: {share:.0%})")
        lines.append((share <= MAX_INCREMENTAL, text))
    n = 500 if 500 in runs else max(runs)
    rss = runs[n]["peak_rss"] / gib
    lines.append((rss < MAX_RSS_GIB if n == 500 else None,
                  f"peak RSS < {MAX_RSS_GIB:g} GiB at N=500 ({rss:.2f} GiB at N={n})"))
    ok = None if math.isnan(exponent) else exponent <= MAX_EXPONENT
    sizes = sorted(runs)
    local = fit_exponent(sizes[-2:], [runs[n]["flow_s"] for n in sizes[-2:]])[0] if len(sizes) > 2 else math.nan
    # Fixed costs (Prefect's server, numba compilation, model loading) flatten the fit over all
    # sizes; the slope between the two largest sizes says more about how the work grows.
    note = f"; between N={sizes[-2]} and N={sizes[-1]}: {local:.2f}" if not math.isnan(local) else ""
    lines.append((ok, f"growth close to linear: exponent <= {MAX_EXPONENT} ({exponent:.2f} over all sizes{note})"))
    return lines
