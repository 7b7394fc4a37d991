"""Benchmark: `relief guide --json` from a cold process vs `python -c "import sklearn, duckdb"`.

Target: at most 1.5x. Needs a home with a promoted model (--home), or builds one
from 50,000 synthetic cases. Alternates the two commands, reports medians.

    .venv/bin/python benchmarks/guide.py [--home DIR] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", default=None)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if args.home is None:
        sys.path.insert(0, str(REPO / "benchmarks"))
        from train import build_home  # benchmarks/train.py

        from pipelines.approval import train

        home = build_home(Path(tempfile.mkdtemp(prefix="relief-bench-guide-")), 50_000)
        train.train_and_maybe_promote(home)
        args.home = str(home.root)
    python = sys.executable
    baseline_cmd = [python, "-c", "import sklearn, duckdb"]
    guide_cmd = [python, "-m", "pipelines.cli", "guide", "--home", args.home, "--json",
                 "--route", "interest_suspension", "--product", "credit_card",
                 "--overdue-days", "120", "--prior-overdues-12m", "1",
                 "--doc-income-proof", "true", "--requested-months", "24"]
    timed(guide_cmd)  # warm the page cache once; every measured run is a new process
    base, guide = [], []
    for _ in range(args.runs):
        base.append(timed(baseline_cmd))
        guide.append(timed(guide_cmd))
    b, g = statistics.median(base), statistics.median(guide)
    print(f"python -c 'import sklearn, duckdb': median {b:.2f} s over {args.runs} runs")
    print(f"relief guide --json (cold process):  median {g:.2f} s over {args.runs} runs")
    print(f"ratio: {g / b:.2f}x (target at most 1.5x)")


if __name__ == "__main__":
    main()
