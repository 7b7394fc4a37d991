"""Benchmark: training end to end on about 1M decided synthetic cases (target < 60 s).

Builds a home with synthetic cases (not timed), then times
train.train_and_maybe_promote(home) and, as the baseline in the same run, one
default HistGradientBoostingClassifier fit on the same encoded rows. Prints
seconds, the ratio, and peak memory (max RSS).

    .venv/bin/python benchmarks/train.py [--decided 1000000] [--home DIR]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines import synth, warehouse  # noqa: E402
from pipelines.approval import train, training_set  # noqa: E402
from pipelines.config import Home  # noqa: E402


def build_home(root: Path, decided: int) -> Home:
    home = Home.resolve(root)
    cases = int(decided / 0.95) + 1  # about 5% are pending or withdrawn
    frame = pl.concat(list(synth.generate(cases, seed=20250101))).drop("true_probability")
    with warehouse.open_writer(home, "benchmark") as con:
        con.register("incoming", frame)
        con.execute("insert into cases by name select *, 'synthetic' as source, 1 as batch_id "
                    "from with_derived_buckets('incoming')")
        warehouse.publish(home, con)
    return home


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decided", type=int, default=1_000_000)
    parser.add_argument("--home", default=None, help="an existing home (skips generation)")
    args = parser.parse_args()
    root = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="relief-bench-train-"))
    home = Home.resolve(root) if args.home else build_home(root, args.decided)

    started = time.perf_counter()
    result = train.train_and_maybe_promote(home)
    elapsed = time.perf_counter() - started

    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    data = training_set.read_training_set(home)
    with threadpool_limits(limits=train.FIT_THREADS):
        t0 = time.perf_counter()
        HistGradientBoostingClassifier().fit(data.X, data.y)
        baseline = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    chosen = result["metrics"]["candidates"][result["chosen"]]["metrics"]["overall"]
    print(f"decided cases: {len(data):,} (trained on {result['trained_on']['cases']:,})")
    print(f"train_and_maybe_promote: {elapsed:.1f} s (target < 60 s); chosen {result['chosen']}, "
          f"holdout log loss {chosen['log_loss']:.4f}, ECE {chosen['ece']:.4f}")
    from pipelines.approval import registry

    meta = registry.load_metadata(home, result["version"])
    parts = ", ".join(f"{name} {c['fit_seconds']:.1f} s on {c.get('fit_rows', '?'):,} rows"
                      for name, c in meta["metrics"]["candidates"].items())
    print(f"  inside: candidates (fit, calibrate, score) {parts}; bootstrap "
          f"{meta['bootstrap_seconds']:.1f} s ({meta['rows']['bootstrap_refits']} refits); "
          f"train() {meta['training_seconds']:.1f} s; reading, scoring the current model and "
          f"saving {elapsed - meta['training_seconds']:.1f} s")
    print(f"baseline, one default HistGradientBoostingClassifier fit on all rows: {baseline:.1f} s")
    print(f"ratio: {elapsed / baseline:.2f}x the baseline")
    print(f"peak memory (max RSS): {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
