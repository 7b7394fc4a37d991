"""Benchmark: `relief synth` of 1M and 10M cases (CSV), wall time and peak memory.

Each run is a child process; its peak resident memory is the child's own
ru_maxrss (os.wait4). The baseline, measured in the same run, is a child that
draws as many random numbers as the output has cells and writes them with
polars to CSV in chunks of the same size: the floor of "random numbers to a
CSV file" that the generator's mechanism and labelling add to.

    .venv/bin/python benchmarks/synth.py [--cases 1000000 10000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLUMNS = 23  # the contract's columns
CHUNK_ROWS = 200_000


def baseline_child(cases: int, out: Path) -> None:
    """Random draws of the same number of cells, written by polars as CSV."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(0)
    with open(out, "wb") as f:
        for start in range(0, cases, CHUNK_ROWS):
            n = min(CHUNK_ROWS, cases - start)
            draws = rng.random((n, COLUMNS))
            frame = pl.DataFrame({f"c{i}": draws[:, i] * 1000 for i in range(COLUMNS)})
            frame = frame.with_columns(pl.col(f"c{i}").cast(pl.Int64) for i in range(0, COLUMNS, 2))
            frame.write_csv(f, include_header=start == 0, float_precision=2)


def measure(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MiB) of one child process."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    return wall, usage.ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--baseline-child", nargs=2, metavar=("CASES", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_child:
        baseline_child(int(args.baseline_child[0]), Path(args.baseline_child[1]))
        return

    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"{'cases':>11} {'what':<10} {'seconds':>8} {'cases/s':>10} {'peak MiB':>9} "
              f"{'file MiB':>9} {'time ratio':>10}")
        for cases in args.cases:
            base_out = work / f"baseline-{cases}.csv"
            base_wall, base_rss = measure([python, __file__, "--baseline-child", str(cases),
                                           str(base_out)])
            base_size = base_out.stat().st_size / 2**20
            base_out.unlink()
            out = work / f"synthetic-{cases}.csv"
            wall, rss = measure([python, "-m", "pipelines.cli", "synth", "--home", str(work),
                                 "--cases", str(cases), "--seed", "20250101", "--out", str(out)])
            size = out.stat().st_size / 2**20
            out.unlink()
            print(f"{cases:>11,} {'baseline':<10} {base_wall:>8.1f} {cases / base_wall:>10,.0f} "
                  f"{base_rss:>9.0f} {base_size:>9.0f} {1.0:>10.2f}")
            print(f"{cases:>11,} {'synth':<10} {wall:>8.1f} {cases / wall:>10,.0f} "
                  f"{rss:>9.0f} {size:>9.0f} {wall / base_wall:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
