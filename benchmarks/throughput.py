"""Throughput of the batch flow on generated corpora, against the raw encoder (issue #7, part 7).

    python benchmarks/throughput.py [--sizes 10,100,500 | --quick] [--seed 0] [--profile N] [--server] [--markdown]

For each size N, a child process runs the real Prefect flow (`code_interviews`, as `qualflow
run` does) over N invented interviews (benchmarks/_corpus.py) into a fresh data folder, then
times the raw encoder (`encoder.embed` in batches of `embed.batch_size`) on the same
statements: the distinct texts of the significant statements it stored, which is exactly what
the flow had to embed. A last child adds one interview to the 100-interview study (the
incremental run). Figures:

- end to end: seconds of the `code_interviews` call (Prefect's temporary server start included,
  unless `--server` runs a Prefect server for all runs, as a scheduled deployment has; Python and
  library imports reported apart); statements/s = significant statements / seconds;
- ratio: end-to-end seconds / raw encoding seconds of the same statements (target <= 2 at N=100);
- peak RSS: `getrusage(RUSAGE_SELF).ru_maxrss` read inside the child when the flow returns,
  before the raw-encoder timing loads a second encoder (RUSAGE_CHILDREN in the parent would be a
  maximum over all children so far, not this run's). Prefect's temporary API server is a separate
  process and is not counted;
- steps: each Prefect task's own function is wrapped with a timer (inner time) and so is the
  task call (outer: inner + Prefect's task-run bookkeeping); "flow glue" is the rest of the flow
  body (stored-name lookups, loading the encoder and spaCy models, …), "Prefect flow start/end"
  the call minus the body;
- growth: log(seconds) fitted against log(N), per total and per step.

Temporary folders hold the corpora and data; nothing is written into the repository except
Prefect's home and numba's cache under .cache/. `--profile N` adds one cProfile'd run of size N
(slower than the timed runs; only its ranking matters) and saves the stats under .cache/bench/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / ".cache" / "bench"
os.environ.setdefault("PREFECT_HOME", str(CACHE_DIR / "prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # _corpus, when run as a script

from _corpus import fit_exponent, write_corpus
from _throughput_report import check_targets, markdown_table, step_table, text_table

GIB = 1024**3


@contextmanager
def prefect_server(home: Path):
    """`prefect server start` on a free loopback port for the children, as a scheduled deployment has
    one running: the flows then skip starting Prefect's temporary server (10-20 s per process)."""
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": api}
    server = subprocess.Popen([str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if urllib.request.urlopen(f"{api}/health", timeout=5).status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the Prefect server did not start") from None
                time.sleep(1)
        os.environ["PREFECT_API_URL"] = api
        yield api
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.terminate()
        server.wait(timeout=30)


def run_child(inbox: Path, data: Path, raw: bool, profile: Path | None = None, keep: str | None = None) -> dict:
    """One flow run in a fresh Python process (see `child`); its JSON result, also kept in
    .cache/bench/throughput_<keep>.json so a long run's figures survive a later failure."""
    command = [sys.executable, __file__, "--child", str(inbox), str(data)] + (["--raw"] if raw else [])
    command += ["--profile-out", str(profile)] if profile else []
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"child run failed ({done.returncode}): {' '.join(command)}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - started
    if keep:
        (CACHE_DIR / f"throughput_{keep}.json").write_text(json.dumps(result, indent=1))
    return result


def child(inbox: str, data: str, raw: bool, profile_out: str | None) -> None:
    """Run the flow once, with timers around each task; print one JSON line."""
    import resource
    from collections import defaultdict

    started = time.perf_counter()
    from prefect.tasks import Task
    from qualflow.flows import batch, tasks

    imports_s = time.perf_counter() - started
    inner, outer, calls = defaultdict(float), defaultdict(float), defaultdict(int)

    def timed(name, fn, into):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                into[name] += time.perf_counter() - t0
        return wrapper

    for value in vars(tasks).values():
        if isinstance(value, Task):
            value.fn = timed(value.name, value.fn, inner)
    task_call = Task.__call__

    def counted_call(self, *args, **kwargs):
        calls[self.name] += 1
        return timed(self.name, task_call, outer)(self, *args, **kwargs)

    Task.__call__ = counted_call
    batch.code_interviews.fn = timed("flow body", batch.code_interviews.fn, inner)

    profiler = None
    if profile_out:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    summary = batch.code_interviews(inbox, data)
    flow_s = time.perf_counter() - t0
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile_out)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB

    result = {"imports_s": imports_s, "flow_s": flow_s, "peak_rss": peak_rss, "inner": inner, "outer": outer,
              "calls": calls, "transcripts_added": summary.transcripts_added, "failed": summary.failed,
              "statements_added": summary.statements_added, "embedded": summary.embedded,
              "themes": summary.themes, **study_counts(data)}
    if raw:
        result.update(raw_encoding(data))
    print(json.dumps(result))


def study_counts(data: str) -> dict:
    from qualflow.models import Statement, Store, Transcript, default_database_url
    from qualflow.pipeline.persist import significant_statements

    store = Store(default_database_url(Path(data)))
    with store.session() as session:
        rows = significant_statements(session)
        counts = {"transcripts": store.count(Transcript), "statements": store.count(Statement),
                  "significant": len(rows), "distinct": len({s.text_hash for s in rows})}
    store.dispose()
    return counts


def raw_encoding(data: str) -> dict:
    """The encoder alone on the distinct texts of the stored significant statements."""
    from qualflow.models import Store, default_database_url
    from qualflow.pipeline.config import load_config
    from qualflow.pipeline.embed import select_backend
    from qualflow.pipeline.persist import significant_statements

    store = Store(default_database_url(Path(data)))
    with store.session() as session:
        texts = list({s.text_hash: s.text for s in significant_statements(session)}.values())
    store.dispose()
    config = load_config(None)
    t0 = time.perf_counter()
    encoder = select_backend(config.embed)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for start in range(0, len(texts), config.embed.batch_size):
        encoder.embed(texts[start : start + config.embed.batch_size])
    return {"raw_s": time.perf_counter() - t0, "raw_texts": len(texts), "encoder_load_s": load_s}


def print_profile(path: Path, limit: int = 25) -> None:
    import pstats

    stats = pstats.Stats(str(path))
    for key in ("cumulative", "tottime"):
        print(f"\ncProfile, top {limit} by {key} ({path}):")
        stats.sort_stats(key).print_stats(limit)


def _run_all(tmp: Path, args, sizes: list[int], base: int, say) -> tuple[dict, dict | None]:
    """The warm-up, the profiled run if asked, each size and the incremental run, each in a child."""
    runs, incremental = {}, None
    tag = "-server" if args.server else ""  # figures kept apart per mode in .cache/bench/
    write_corpus(tmp / "warmup", 1, seed=args.seed + 1)
    warm = run_child(tmp / "warmup", tmp / "warmup-data", raw=False)
    say(f"warm-up, 1 interview, not counted (Prefect database, numba cache): {warm['process_s']:.1f} s")
    if args.profile:
        write_corpus(tmp / "inbox-profile", args.profile, seed=args.seed)
        prof = CACHE_DIR / f"throughput_{args.profile}.prof"
        profiled = run_child(tmp / "inbox-profile", tmp / "data-profile", raw=False, profile=prof,
                             keep=f"profile{args.profile}")
        say(f"profiled run, {args.profile} interviews: flow {profiled['flow_s']:.1f} s under cProfile")
    for n in sizes:
        write_corpus(tmp / f"inbox-{n}", n, seed=args.seed)
        runs[n] = run_child(tmp / f"inbox-{n}", tmp / f"data-{n}", raw=True, keep=f"N{n}{tag}")
        say(f"N={n}: flow {runs[n]['flow_s']:.1f} s, raw encoding {runs[n]['raw_s']:.1f} s")
        if n == base:
            write_corpus(tmp / f"inbox-{n}", 1, seed=args.seed, start=n)  # interview number n+1
            incremental = run_child(tmp / f"inbox-{n}", tmp / f"data-{n}", raw=False, keep=f"N{n}+1{tag}")
            say(f"incremental (+1 to {n}): flow {incremental['flow_s']:.1f} s")
    return runs, incremental


def _kept_runs(sizes: list[int], base: int, tag: str = "") -> tuple[dict, dict | None]:
    """The figures the last runs kept in .cache/bench/ (--from-cache; with --server, that mode's)."""
    def kept(label: str) -> dict | None:
        path = CACHE_DIR / f"throughput_{label}{tag}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    runs = {n: kept(f"N{n}") for n in sizes}
    return {n: run for n, run in runs.items() if run}, kept(f"N{base}+1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,500", help="comma-separated numbers of interviews")
    parser.add_argument("--quick", action="store_true", help="sizes 5,20 and an incremental run on 20 (a smoke run)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", type=int, metavar="N", help="add one cProfile'd run of N interviews")
    parser.add_argument("--markdown", action="store_true", help="print only the Markdown table on stdout")
    parser.add_argument("--server", action="store_true",
                        help="run the flows against a running `prefect server start` (as scheduled runs do) "
                             "instead of a temporary server started in each run")
    parser.add_argument("--from-cache", action="store_true",
                        help="run nothing: print the tables from the figures the last runs kept in .cache/bench/")
    parser.add_argument("--child", nargs=2, metavar=("INBOX", "DATA"), help=argparse.SUPPRESS)
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child(*args.child, args.raw, args.profile_out)
        return 0
    sizes = [5, 20] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    base = 100 if 100 in sizes else max(sizes, default=0)  # the study the incremental run adds to
    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.markdown else (lambda *a: print(*a, flush=True))
    started = time.perf_counter()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    if args.from_cache:
        runs, incremental = _kept_runs(sizes, base, "-server" if args.server else "")
        sizes, args.profile = list(runs), None
    else:
        with tempfile.TemporaryDirectory(prefix="qualflow-throughput-") as tmp:
            with prefect_server(Path(tmp) / "prefect-home") if args.server else nullcontext():
                runs, incremental = _run_all(Path(tmp), args, sizes, base, say)

    exponent = fit_exponent(sizes, [runs[n]["flow_s"] for n in sizes])[0] if len(sizes) > 1 else float("nan")
    say("\n" + text_table(runs, incremental, base, exponent))
    say("\nTime per step (seconds, summed over files; inner = the task's function, outer adds Prefect's task run):")
    say(step_table(runs, sizes))
    say("\nTargets (issue #7):")
    for passed, text in check_targets(runs, incremental, base, exponent, GIB):
        say(f"  {'PASS' if passed is True else 'FAIL' if passed is False else 'n/a '}  {text}")
    if args.markdown:
        print(markdown_table(runs, incremental, base, exponent))
    else:
        say("\n" + markdown_table(runs, incremental, base, exponent))
    if args.profile and not args.markdown:
        print_profile(CACHE_DIR / f"throughput_{args.profile}.prof")
    say(f"\nwall time {time.perf_counter() - started:.0f} s. Shared or busy machines give noisy figures: "
        "compare runs made on the same quiet machine.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
