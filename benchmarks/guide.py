"""Benchmark: `relief guide --json` from a cold process vs `python -c "import sklearn, duckdb"`,
and `relief guide --profiles FILE --json` on 1,000 profiles (target: well under 10 s).

Target: at most 1.5x, whichever candidate is promoted. Without --home it builds a
home from 50,000 synthetic cases and trains it twice into two copies, once with each
candidate as the only one (so one copy holds a promoted logistic model, the other a
promoted boosting model), then alternates the baseline and the guide on each home,
every run a new process, and reports medians and ratios. With --home it measures that
home's promoted model only. The batch: --batch profiles (default 1,000) from a
synthetic file of another seed, written as a CSV in the contract's column names, answered
by one process per run (the model loads once; similar cases are counted in one query).

    .venv/bin/python benchmarks/guide.py [--home DIR] [--runs 7] [--batch 1000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CANDIDATES = ("logistic_regression", "gradient_boosting")


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
    return time.perf_counter() - t0


def build_homes(cases: int) -> dict[str, str]:
    """candidate -> a home where that candidate is the promoted model (same cases)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from train import build_home  # benchmarks/train.py

    from pipelines.approval import train
    from pipelines.config import Home

    first = build_home(Path(tempfile.mkdtemp(prefix="relief-bench-guide-")), cases)
    homes = {}
    for i, candidate in enumerate(CANDIDATES):
        root = first.root if i == 0 else Path(str(first.root) + f"-{candidate}")
        if i:
            shutil.copytree(first.root, root)
            shutil.rmtree(root / "models")
        home = Home.resolve(root)
        # Only this candidate competes, so it is the one promoted.
        train.CANDIDATES = (candidate,)
        result = train.train_and_maybe_promote(home, force=True)
        assert result["promoted"] and result["chosen"] == candidate
        homes[candidate] = str(home.root)
    return homes


def promoted(home: str) -> str:
    from pipelines.approval import registry
    from pipelines.config import Home

    root = Home.resolve(home)
    meta = registry.load_metadata(root, registry.current_version(root))
    scoring = (meta.get("scoring_form") or {}).get("file")
    return (f"{meta['metrics']['chosen']} ({meta['rows']['bootstrap_refits']} bootstrap "
            f"refits, {'scoring.npz' if scoring else 'model.skops'})")


def profiles_file(n: int) -> str:
    """n synthetic profiles (seed 77) as a CSV in the contract's column names."""
    import polars as pl

    from pipelines import synth

    frame = pl.concat(list(synth.generate(n, seed=77))).head(n)
    path = Path(tempfile.mkdtemp(prefix="relief-bench-profiles-")) / "profiles.csv"
    frame.drop("true_probability").with_columns(pl.col(pl.Boolean).cast(pl.String)).write_csv(path)
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", default=None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1_000, help="profiles in the batch run")
    args = parser.parse_args()
    homes = {"given home": args.home} if args.home else build_homes(args.cases)
    python = sys.executable
    baseline_cmd = [python, "-c", "import sklearn, duckdb"]

    def guide_cmd(home: str) -> list[str]:
        return [python, "-m", "pipelines.cli", "guide", "--home", home, "--json",
                "--route", "interest_suspension", "--product", "credit_card",
                "--overdue-days", "120", "--prior-overdues-12m", "1",
                "--doc-income-proof", "true", "--requested-months", "24"]

    for home in homes.values():
        timed(guide_cmd(home))  # warm the page cache once; every measured run is a new process
    base: list[float] = []
    guide: dict[str, list[float]] = {name: [] for name in homes}
    for _ in range(args.runs):
        base.append(timed(baseline_cmd))
        for name, home in homes.items():
            guide[name].append(timed(guide_cmd(home)))
    b = statistics.median(base)
    print(f"python -c 'import sklearn, duckdb': median {b:.2f} s over {args.runs} runs")
    for name, home in homes.items():
        g = statistics.median(guide[name])
        print(f"relief guide --json, {promoted(home)}: median {g:.2f} s, "
              f"ratio {g / b:.2f}x (target at most 1.5x)")
    path = profiles_file(args.batch)
    for name, home in homes.items():
        batch = [python, "-m", "pipelines.cli", "guide", "--home", home, "--json",
                 "--profiles", path]
        runs, cpu = [], []
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs.append(timed(batch))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        wall, used = statistics.median(runs), statistics.median(cpu)
        # On a shared machine the wall time moves with others' load; the CPU time used
        # and the ratio to the import baseline move much less.
        print(f"relief guide --profiles ({args.batch:,} profiles) --json, {promoted(home)}: "
              f"median {wall:.2f} s over 3 runs ({wall / b:.2f}x the import baseline; "
              f"CPU {used:.2f} s; the one-profile run above: {statistics.median(guide[name]):.2f} s)")


if __name__ == "__main__":
    main()
