"""Benchmark: holdout log loss and fit time of each candidate against fitting rows.

Justifies the row caps in pipelines/approval/train.py: where the curve is flat, more
rows only cost time. Uses a home with a promoted-or-not synthetic training set
(e.g. one built by benchmarks/train.py), the same time split and calibration rows
as training, sigmoid calibration. The baseline is the smallest size of each
candidate, in the same run.

    .venv/bin/python benchmarks/train_learning_curve.py --home DIR [--rows 25000,50000,100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.approval import candidates, evaluate, train, training_set  # noqa: E402
from pipelines.approval import features as F  # noqa: E402
from pipelines.config import Home  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True)
    parser.add_argument("--rows", default="25000,50000,100000,200000")
    parser.add_argument("--candidates", default=",".join(train.CANDIDATES))
    args = parser.parse_args()
    data = training_set.read_training_set(Home.resolve(Path(args.home)))
    rng = np.random.default_rng(candidates.SEED)
    holdout_mask = training_set.time_split(data.applied_on)
    train_set, holdout = data.take(~holdout_mask), data.take(holdout_mask)
    cal_mask = rng.random(len(train_set)) < train.CALIBRATION_SHARE
    fit, cal = train_set.take(~cal_mask), train_set.take(cal_mask)
    cal = cal.take(np.sort(rng.choice(len(cal), min(len(cal), 50_000), replace=False)))
    kept = F.kept_index(F.uninformative(fit.X))
    print(f"fit rows available {len(fit):,}, calibration {len(cal):,}, holdout {len(holdout):,}")
    for name in args.candidates.split(","):
        first = None
        for rows in (int(r) for r in args.rows.split(",")):
            sample = fit.take(np.sort(rng.choice(len(fit), min(rows, len(fit)), replace=False)))
            with threadpool_limits(limits=train.FIT_THREADS):
                t0 = time.perf_counter()
                # The form training gives so many rows (curves per route or shared).
                model = candidates.make_candidate(name, len(sample), kept).fit(sample.X, sample.y)
                seconds = time.perf_counter() - t0
                calibrated = candidates.calibrate(model, cal.X, cal.y, "sigmoid")
                loss = evaluate.log_loss(holdout.y, candidates.positive(calibrated, holdout.X))
            first = first or (loss, seconds)
            extra = f", {model[-1].n_iter_} iterations" if name == "gradient_boosting" else ""
            print(f"{name:<20} {len(sample):>8,} rows: holdout log loss {loss:.5f} "
                  f"({loss - first[0]:+.5f} vs smallest), fit {seconds:6.1f} s "
                  f"({seconds / first[1]:.1f}x smallest){extra}", flush=True)


if __name__ == "__main__":
    main()
