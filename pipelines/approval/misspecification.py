"""The 90% interval's misspecification term, per route, measured on the holdout
(docs/model.md, "The 90% interval").

The bootstrap refits measure estimation noise, and the other candidate's disagreement
shows model-form error only where the two candidates differ; an error both share (a
kink in the truth that both smooth over alike) shows in neither. The holdout shows it:
grouped by predicted probability, or by one feature's value, the observed approval rate
of a group differs from its mean estimate by the binomial noise plus the model's error
in that group. Per route, for each such grouping the binomial noise is subtracted from
the squared differences (logit scale, case-weighted); a grouping whose excess is more
than SIGNIFICANCE standard errors above zero shows error beyond chance. The largest
such excess, less what estimation noise already explains (the refits' variance, as the
interval counts it), is the route's misspecification variance tau². The guide adds
(z·tau)² to the interval's variance. Where no grouping shows more than chance, tau² is 0:
the holdout can show that intervals are too narrow, never that they are too wide (a
group's mean error is a lower bound of its cases' errors), so nothing narrows here.

Pure numpy: train.py calls route_variance() on the holdout; the guide reads the result
from the version's metadata (`misspecification`).
"""

from __future__ import annotations

import numpy as np

from pipelines.approval import features as F

MIN_GROUP_CASES = 100  # a group's observed rate is too noisy below this
MAX_GROUPS = 10
SIGNIFICANCE = 2.0  # standard errors above zero for an excess to count
MIN_ROUTE_CASES = 2 * MIN_GROUP_CASES


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def refit_terms(p: np.ndarray, refit_p: list[np.ndarray], refit_rows: int,
                model_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(spread, bias) per row on the logit scale, as the interval counts them: the refits'
    standard deviation scaled by sqrt(m / n), and their mean minus p scaled by m / n (a
    refit on m rows is biased as a fit on m rows; the model, fitted on n, about m / n of
    that: shrinkage and smoothing bias fall roughly as 1 / rows)."""
    ratio = refit_rows / max(model_rows, refit_rows)
    refits = _logit(np.vstack(refit_p))
    spread = np.std(refits, axis=0, ddof=1) * np.sqrt(ratio)
    bias = (refits.mean(axis=0) - _logit(p)) * ratio
    return spread, bias


def excess(y: np.ndarray, p: np.ndarray, groups: np.ndarray) -> tuple[float, float]:
    """(excess, its standard error): the case-weighted mean over groups of at least
    MIN_GROUP_CASES of (observed rate - mean estimate)² less the binomial noise
    sum p(1 - p) / n², each divided by (mean p (1 - mean p))² to the logit scale."""
    total = weighted = variance = 0.0
    for g in np.unique(groups):
        at = groups == g
        n = int(at.sum())
        if n < MIN_GROUP_CASES:
            continue
        mean_p = float(p[at].mean())
        noise = float(np.sum(p[at] * (1 - p[at]))) / n ** 2
        scale = max(mean_p * (1 - mean_p), 1e-2) ** 2
        weighted += n * ((float(y[at].mean()) - mean_p) ** 2 - noise) / scale
        variance += 2 * (n * noise / scale) ** 2  # var of a squared normal: 2 sigma^4
        total += n
    if not total:
        return 0.0, 0.0
    return weighted / total, float(np.sqrt(variance)) / total


def groupings(X: np.ndarray, logit_p: np.ndarray) -> dict[str, np.ndarray]:
    """Group labels of the route's cases: by estimate (equal-count bins), by each number
    (equal-count bins of the known values; unknown its own group), by each category."""
    bins = int(max(2, min(MAX_GROUPS, len(X) // MIN_GROUP_CASES)))
    inner = np.linspace(0, 1, bins + 1)[1:-1]
    out = {"estimate": np.searchsorted(np.quantile(logit_p, inner), logit_p)}
    for j, name in enumerate(F.FEATURES):
        if name == "route":
            continue
        column = X[:, j]
        known = ~np.isnan(column)
        if name in F.NUMERIC_FEATURES:
            if known.sum() < MIN_ROUTE_CASES:
                continue
            edges = np.unique(np.quantile(column[known], inner))
            out[name] = np.where(known, np.searchsorted(edges, column, side="right"), -1)
        else:
            out[name] = np.where(known, column, -1)
    return out


def route_variance(X: np.ndarray, y: np.ndarray, p: np.ndarray, refit_p: list[np.ndarray],
                   refit_rows: int, model_rows: int) -> dict[str, dict]:
    """Per route with at least MIN_ROUTE_CASES holdout cases: its misspecification
    variance (logit², `variance`) and how it was found (JSON-ready, the version's
    metadata `misspecification`)."""
    spread, bias = refit_terms(p, refit_p, refit_rows, model_rows)
    estimation = spread ** 2 + bias ** 2
    logit_p = _logit(p)
    route_of = X[:, F.ROUTE_INDEX].astype(int)
    out = {}
    for code, route in enumerate(F.categories("route")):
        at = route_of == code
        if at.sum() < MIN_ROUTE_CASES:
            continue
        found = {name: excess(y[at], p[at], groups)
                 for name, groups in groupings(X[at], logit_p[at]).items()}
        shown = {name: e for name, (e, se) in found.items() if e > SIGNIFICANCE * se}
        worst = max(shown, key=shown.get) if shown else None
        explained = float(estimation[at].mean())
        out[route] = {
            "variance": max(0.0, shown[worst] - explained) if worst else 0.0,
            "grouping": worst,
            "excess": shown[worst] if worst else None,
            "estimation_variance": explained,
            "holdout_cases": int(at.sum()),
        }
    return out
