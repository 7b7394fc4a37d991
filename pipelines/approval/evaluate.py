"""Holdout metrics: discrimination, probability scores, calibration, per route and per group.

Pure functions of (labels, probabilities, group labels); nothing here fits a model.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

ECE_BINS = 10
EPS = 1e-15


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> list[dict]:
    """Equal-width probability bins: cases, mean predicted, observed rate (empty bins left out)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    sum_p = np.bincount(which, weights=p, minlength=bins)
    sum_y = np.bincount(which, weights=y.astype(np.float64), minlength=bins)
    return [
        {
            "bin": [round(float(edges[b]), 2), round(float(edges[b + 1]), 2)],
            "cases": int(counts[b]),
            "mean_predicted": float(sum_p[b] / counts[b]),
            "observed_rate": float(sum_y[b] / counts[b]),
        }
        for b in range(bins)
        if counts[b]
    ]


def ece(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error: case-weighted mean |observed - predicted| over equal-width bins."""
    return _ece(calibration_table(y, p, bins))


def _ece(table: list[dict]) -> float:
    n = sum(row["cases"] for row in table)
    if not n:
        return float("nan")
    return float(sum(row["cases"] * abs(row["observed_rate"] - row["mean_predicted"])
                     for row in table) / n)


def scores(y: np.ndarray, p: np.ndarray, reference: np.ndarray) -> dict:
    """Metrics of one set of cases. `reference` is the no-skill forecast for each case
    (its route's base rate in the training window) that Brier skill is measured against."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    n = len(y)
    if n == 0:
        return {"cases": 0}
    both_classes = 0 < y.sum() < n
    model_brier = brier(y, p)
    reference_brier = brier(y, reference)
    table = calibration_table(y, p)
    return {
        "cases": n,
        "observed_rate": float(y.mean()),
        "mean_predicted": float(p.mean()),
        # AUC is undefined when only one outcome occurs.
        "roc_auc": float(roc_auc_score(y, p)) if both_classes else None,
        "log_loss": log_loss(y, p),
        "brier": model_brier,
        "brier_reference": reference_brier,
        "brier_skill": (1.0 - model_brier / reference_brier) if reference_brier > 0 else None,
        "ece": _ece(table),
        "calibration": table,
    }


def by_group(y: np.ndarray, p: np.ndarray, reference: np.ndarray, groups: np.ndarray) -> dict:
    """scores() for each value of `groups` (a string array; `unknown` is a group like any other)."""
    groups = np.asarray(groups).astype(str)
    masks = {str(g): groups == g for g in np.unique(groups)}
    return {g: scores(y[m], p[m], reference[m]) for g, m in masks.items()}


def largest_calibration_gap(groups: dict, min_cases: int = 100) -> dict | None:
    """The two groups whose calibration-in-the-large (mean predicted - observed) differ most.

    Groups under min_cases holdout cases are left out (their gap is mostly noise);
    when fewer than two groups qualify, all groups are compared.
    """
    def gap(s: dict) -> float:
        return s["mean_predicted"] - s["observed_rate"]

    pool = {g: s for g, s in groups.items() if s.get("cases", 0) >= min_cases}
    if len(pool) < 2:
        pool = {g: s for g, s in groups.items() if s.get("cases", 0) > 0}
    if len(pool) < 2:
        return None
    high = max(pool, key=lambda g: gap(pool[g]))
    low = min(pool, key=lambda g: gap(pool[g]))
    return {
        "difference": gap(pool[high]) - gap(pool[low]),
        "most_overestimated": {"group": high, "cases": pool[high]["cases"],
                               "mean_predicted_minus_observed": gap(pool[high])},
        "most_underestimated": {"group": low, "cases": pool[low]["cases"],
                                "mean_predicted_minus_observed": gap(pool[low])},
        "min_cases": min_cases if all(s["cases"] >= min_cases for s in pool.values()) else 1,
    }


def evaluate(y: np.ndarray, p: np.ndarray, reference: np.ndarray, routes: np.ndarray,
             age_bands: np.ndarray, regions: np.ndarray) -> dict:
    """The full holdout report: overall, per route, per age band and per region."""
    age = by_group(y, p, reference, age_bands)
    region = by_group(y, p, reference, regions)
    return {
        "overall": scores(y, p, reference),
        "by_route": by_group(y, p, reference, routes),
        "by_age_band": age,
        "by_region": region,
        "largest_calibration_gap": {
            "age_band": largest_calibration_gap(age),
            "region": largest_calibration_gap(region),
        },
    }
