"""The 90% interval's misspecification term, measured on the holdout (docs/model.md,
"The 90% interval"), and the interval's refit terms it is compared with.

The bootstrap refits measure estimation noise, and the other candidate's disagreement
shows model-form error only where the two candidates differ; an error both share (a
kink in the truth that both smooth over alike) shows in neither. The holdout shows it:
grouped by estimate, or by one feature's value, the observed approval rate of a group
of a route's cases differs from its mean estimate by the binomial noise plus the
model's error in that group. Per group the binomial noise is subtracted from the
squared difference (logit scale), and so is the estimation noise the refits measure
(their variance, averaged over the group): what is left is the group's shortfall, the
squared mean error the estimation noise does not explain. A grouping counts when its
shortfall, averaged over its cases, is more than SIGNIFICANCE standard errors above
zero (tested per grouping, not per group: a group of a few hundred cases is too noisy
alone). Each case of a counted grouping then gets its group's shortfall (0 where
negative), the largest over the route's counted groupings, and the guide adds z² times
it to the interval's variance. Elsewhere nothing is added: the holdout can show that
intervals are too narrow, never that they are too wide (a group's mean error is a lower
bound of its cases' errors), so nothing narrows here.

Pure numpy: train.py calls route_terms() on the holdout and keeps the result in the
version's metadata (`misspecification`); the guide reads it through row_variance().
"""

from __future__ import annotations

import numpy as np

from pipelines.approval import features as F

MIN_GROUP_CASES = 100  # a group's observed rate is too noisy below this
MAX_GROUPS = 10
# Standard errors above zero for a grouping's mean shortfall to count (one-sided: a
# grouping of no shortfall passes by chance about 2 times in 100).
SIGNIFICANCE = 2.0
MIN_ROUTE_CASES = 2 * MIN_GROUP_CASES
Z_90 = 1.6448536269514722  # the normal's 95th percentile: a two-sided 90% interval


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


def interval_variance(p: np.ndarray, refit_p: list[np.ndarray], refit_rows: int,
                      model_rows: int, alternative_p: list[np.ndarray] = ()) -> np.ndarray:
    """The square of the interval's half-width (logit²) before the misspecification term
    and the widening beyond the data: (t · spread)² + bias² + each other candidate's
    distance from p, squared; t is Student's 95th percentile with (refits - 1) degrees
    of freedom. Needs at least 2 refits."""
    from scipy.stats import t as student_t  # loaded with scikit-learn

    multiplier = float(student_t.ppf(0.95, df=len(refit_p) - 1))
    spread, bias = refit_terms(p, refit_p, refit_rows, model_rows)
    variance = (multiplier * spread) ** 2 + bias ** 2
    centre = _logit(p)
    for other in alternative_p:
        variance = variance + (_logit(other) - centre) ** 2
    return variance


def groupings(X: np.ndarray, logit_p: np.ndarray) -> dict[str, list[float] | None]:
    """A route's groupings of its holdout cases: by estimate and by each number (edges of
    equal-count bins, on the logit scale for the estimate; unknown its own group), by
    each category and yes/no (None: the value is the group)."""
    bins = int(max(2, min(MAX_GROUPS, len(X) // MIN_GROUP_CASES)))
    inner = np.linspace(0, 1, bins + 1)[1:-1]
    out: dict[str, list[float] | None] = {
        "estimate": np.unique(np.quantile(logit_p, inner)).tolist()}
    for j, name in enumerate(F.FEATURES):
        if name == "route":
            continue
        known = X[~np.isnan(X[:, j]), j]
        if name in F.NUMERIC_FEATURES:
            if len(known) >= MIN_ROUTE_CASES:
                out[name] = np.unique(np.quantile(known, inner)).tolist()
        else:
            out[name] = None
    return out


def labels(grouping: str, edges: list[float] | None, X: np.ndarray,
           logit_p: np.ndarray) -> np.ndarray:
    """Each row's group in a grouping (-1: unknown)."""
    if grouping == "estimate":
        return np.searchsorted(np.asarray(edges), logit_p, side="right")
    column = X[:, F.FEATURES.index(grouping)]
    known = ~np.isnan(column)
    if edges is None:
        return np.where(known, np.nan_to_num(column), -1).astype(int)
    return np.where(known, np.searchsorted(np.asarray(edges), np.nan_to_num(column),
                                           side="right"), -1)


def shortfalls(y: np.ndarray, p: np.ndarray, explained: np.ndarray,
               group: np.ndarray) -> dict[str, float]:
    """Group -> its shortfall (logit², positive ones only) when the grouping counts: over
    its groups of at least MIN_GROUP_CASES, the squared mean error (observed rate against
    mean estimate, over (mean p (1 - mean p))², less the binomial noise sum p (1 - p) / n²
    on the same scale) less the estimation variance `explained`, averaged over the group;
    the grouping counts when those shortfalls' case-weighted mean exceeds SIGNIFICANCE
    standard errors (a squared normal's variance is twice the noise squared)."""
    found, total, weighted, variance = {}, 0, 0.0, 0.0
    for g in np.unique(group):
        at = group == g
        n = int(at.sum())
        if n < MIN_GROUP_CASES:
            continue
        mean_p = float(p[at].mean())
        scale = max(mean_p * (1 - mean_p), 1e-2) ** 2
        noise = float(np.sum(p[at] * (1 - p[at]))) / n ** 2 / scale
        shortfall = ((float(y[at].mean()) - mean_p) ** 2 / scale - noise
                     - float(explained[at].mean()))
        total += n
        weighted += n * shortfall
        variance += 2 * (n * noise) ** 2
        if shortfall > 0:
            found[str(int(g))] = shortfall
    if not total or weighted <= SIGNIFICANCE * np.sqrt(variance):
        return {}
    return found


def route_terms(X: np.ndarray, y: np.ndarray, p: np.ndarray, refit_p: list[np.ndarray],
                refit_rows: int, model_rows: int) -> dict[str, dict]:
    """Per route with at least MIN_ROUTE_CASES holdout cases: the groupings where the
    holdout showed error beyond the estimation noise, each with its edges and its
    groups' shortfalls (JSON-ready: the version's metadata `misspecification`)."""
    spread, bias = refit_terms(p, refit_p, refit_rows, model_rows)
    explained = spread ** 2 + bias ** 2
    logit_p = _logit(p)
    route_of = X[:, F.ROUTE_INDEX].astype(int)
    out = {}
    for code, route in enumerate(F.categories("route")):
        at = route_of == code
        if at.sum() < MIN_ROUTE_CASES:
            continue
        found = []
        for grouping, edges in groupings(X[at], logit_p[at]).items():
            short = shortfalls(y[at], p[at], explained[at],
                               labels(grouping, edges, X[at], logit_p[at]))
            if short:
                found.append({"grouping": grouping, "edges": edges, "shortfall": short})
        out[route] = {"holdout_cases": int(at.sum()), "groupings": found}
    return out


def row_variance(terms: dict[str, dict], X: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Each row's misspecification variance (logit²): the largest shortfall among the
    groups it falls in, for its route (0 where the holdout showed none)."""
    out = np.zeros(len(X))
    if not terms:
        return out
    logit_p = _logit(p)
    route_of = X[:, F.ROUTE_INDEX].astype(int)
    for code, route in enumerate(F.categories("route")):
        at = np.flatnonzero(route_of == code)
        for found in terms.get(route, {}).get("groupings", []) if len(at) else []:
            group = labels(found["grouping"], found["edges"], X[at], logit_p[at])
            short = np.array([found["shortfall"].get(str(int(g)), 0.0) for g in group])
            out[at] = np.maximum(out[at], short)
    return out
