"""Time to write `export assignments` rows as CSV and as an XLSX workbook, at growing row counts.

    python benchmarks/export_speed.py [--rows 1000 4000 20000]

Prints seconds per format and the fitted growth exponent (time ~ rows^k; 1 is linear). An audit found the
XLSX writer quadratic (20,000 rows: 267 s against 7 s for CSV), since it found each appended row through
openpyxl's `max_row`, which scans every cell. Synthetic rows of the export's 18 columns; no study is needed.
"""

from __future__ import annotations

import argparse
import math
import time

from qualflow.pipeline.coding.export_tables import to_csv, to_xlsx

COLUMNS = [f"column_{i}" for i in range(18)]


def rows_of(n: int) -> list[dict]:
    return [{column: f"statement {i}: 夜班太多 and the ward is short of staff ({column})" for column in COLUMNS}
            for i in range(n)]


def timed(write, rows: list[dict]) -> float:
    started = time.perf_counter()
    write(rows)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 4000, 20000])
    sizes = sorted(parser.parse_args().rows)
    figures = {"csv": [], "xlsx": []}
    print(f"{'rows':>8} {'csv s':>8} {'xlsx s':>8}")
    for n in sizes:
        rows = rows_of(n)
        figures["csv"].append(timed(lambda r: to_csv(r, COLUMNS), rows))
        figures["xlsx"].append(timed(lambda r: to_xlsx(r, COLUMNS, "assignments"), rows))
        print(f"{n:>8} {figures['csv'][-1]:>8.2f} {figures['xlsx'][-1]:>8.2f}")
    if len(sizes) > 1:
        for name, seconds in figures.items():
            exponent = math.log(seconds[-1] / seconds[0]) / math.log(sizes[-1] / sizes[0])
            print(f"{name}: time grows as rows^{exponent:.2f} from {sizes[0]} to {sizes[-1]} rows")


if __name__ == "__main__":
    main()
