"""The model's estimates for feature rows and their 90% intervals (docs/model.md, "The
90% interval" and "Beyond the data"): values beyond what the model saw for the route are
scored at the data's edge and widen the interval; the interval combines the bootstrap
refits, the other candidate and the route's misspecification measured on the holdout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from pipelines import contract
from pipelines.approval import features as F
from pipelines.approval import misspecification, scoring

FEW_CATEGORY_CASES = 30
Z_90 = misspecification.Z_90


def positive(model, X: np.ndarray) -> np.ndarray:
    if isinstance(model, scoring.ScoringModel):  # numpy (or the compiled tree walk for
        return model.predict_proba(X)[:, 1]     # many rows): no thread pools
    # One thread: a handful of rows, and OpenMP spin-waits are slow on a busy machine.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return model.predict_proba(X)[:, 1]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _expit(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def intervals(p: np.ndarray, refit_predictions: list[np.ndarray], refit_rows: int,
              model_rows: int, alternative_predictions: list[np.ndarray] | None = None,
              extra: np.ndarray | None = None,
              misspecified: np.ndarray | None = None) -> np.ndarray | None:
    """90% intervals (rows x 2) on the logit scale around p (docs/model.md, "The 90%
    interval"), four sources of uncertainty combined in quadrature:
    - estimation: t times the bootstrap refits' standard deviation, scaled by sqrt(m / n)
      when the refits saw m of the n fitting rows (m-out-of-n bootstrap); t is Student's
      95th percentile with (refits - 1) degrees of freedom, as a spread measured from a
      few refits is itself uncertain;
    - the bootstrap's bias estimate: the refits' mean minus p, times m / n
      (misspecification.refit_terms);
    - model form: how far the other candidate (as calibrated) is from p, where two
      reasonable models fitted to the same data disagree, the data do not settle it;
    - misspecification: where the holdout showed intervals too narrow for the route
      (`misspecified`: variance per row, logit², misspecification.row_variance), times z².
    `extra` (logit units per row) is added to the half-width: the widening beyond the
    data (beyond_the_data). None with fewer than 2 refits."""
    if len(refit_predictions) < 2:
        return None
    centre = _logit(p)
    variance = misspecification.interval_variance(p, refit_predictions, refit_rows, model_rows,
                                                  alternative_predictions or [])
    if misspecified is not None:
        variance = variance + Z_90 ** 2 * misspecified
    half = np.sqrt(variance) + (0.0 if extra is None else extra)
    return np.column_stack([_expit(centre - half), _expit(centre + half)])


@dataclass
class Edge:
    """Where one feature row leaves what the model saw for its route."""
    clamped: list[tuple[str, float, float]] = field(default_factory=list)  # name, given, used
    rare: list[tuple[str, str, int]] = field(default_factory=list)  # name, value, cases seen
    unseen: list[str] = field(default_factory=list)  # features never known for this route
    no_route: bool = False  # no decided case of this route at all


def beyond_the_data(model, meta: dict, X: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                               list[Edge]]:
    """(rows to score, extra logit half-width per row, what was beyond) for feature rows.

    A number outside its route's robust range (0.5% to 99.5% quantiles of the training
    window) is scored at the nearest boundary; the interval widens by how much that
    feature moved the estimate across the whole range it saw (the logit span over five
    points from one boundary to the other), times how far beyond the value lies relative
    to that range's width on the model's log scale, at least once: beyond the data the
    trend may go on, stop or turn. A category with fewer than FEW_CATEGORY_CASES cases in
    the route widens the interval by the span over the route's well-seen categories. A
    feature never (or almost never) known for the route is scored as unknown.
    """
    X = X.copy()
    stats_by_route = meta.get("profile_stats", {})
    dropped = meta.get("dropped_features", {})
    routes = F.categories("route")
    edges = [Edge() for _ in range(len(X))]
    spans: list[tuple[int, int, float, np.ndarray]] = []  # row, column, times, values
    route_of = X[:, F.ROUTE_INDEX].astype(int)
    for code, route in enumerate(routes):
        at = np.flatnonzero(route_of == code)
        stats = stats_by_route.get(route)
        if not len(at):
            continue
        if stats is None:
            for i in at:
                edges[i].no_route = True
            continue
        # Feature by feature over the route's rows; only rows beyond the data loop.
        for j, name in enumerate(F.FEATURES):
            entry = stats.get(name)
            if name == "route" or name in dropped or entry is None:
                continue
            column = X[at, j]
            known = ~np.isnan(column)
            if name in F.ENUM_FEATURES:
                counts = np.array([entry["counts"].get(c, 0) for c in F.categories(name)])
                codes_seen = np.where(known, column, F.unknown_code(name)).astype(int)
                rare = known & (counts[codes_seen] < FEW_CATEGORY_CASES) & (
                    codes_seen != F.unknown_code(name))
                well_seen = np.array([F.enum_codes(name)[c] for c, k in entry["counts"].items()
                                      if k >= FEW_CATEGORY_CASES and c != contract.UNKNOWN],
                                     dtype=float)
                for i, value_code in zip(at[rare], codes_seen[rare], strict=True):
                    edges[i].rare.append((name, F.categories(name)[value_code],
                                          int(counts[value_code])))
                    if len(well_seen):
                        spans.append((i, j, 1.0, well_seen))
            elif name in F.NUMERIC_FEATURES:
                if entry.get("known_cases", 0) < FEW_CATEGORY_CASES or entry.get("low") is None:
                    for i in at[known]:
                        edges[i].unseen.append(name)
                    X[at[known], j] = np.nan
                    continue
                low, high = entry["low"], entry["high"]
                beyond = known & ((column < low) | (column > high))
                width = math.log1p(high) - math.log1p(low)
                grid = np.expm1(np.linspace(math.log1p(low), math.log1p(high), 5))
                for i in at[beyond]:
                    value = float(X[i, j])
                    used = min(max(value, low), high)
                    edges[i].clamped.append((name, value, used))
                    X[i, j] = used
                    times = abs(math.log1p(value) - math.log1p(used)) / width if width > 0 else 1.0
                    spans.append((i, j, max(1.0, times), grid))
    extra = np.zeros(len(X))
    if spans:
        # Built after every value of the row is at the edge it is scored at.
        grids = []
        for i, j, _, values in spans:
            grid = np.repeat(X[i:i + 1], len(values), axis=0)
            grid[:, j] = values
            grids.append(grid)
        logits = _logit(positive(model, np.vstack(grids)))
        start = 0
        for (i, _, times, values) in spans:
            span = logits[start:start + len(values)]
            start += len(values)
            extra[i] += times * float(span.max() - span.min())
    return X, extra, edges


def estimates(bundle: dict, meta: dict, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Feature rows -> (calibrated probabilities, 90% intervals or None), as the guide
    answers them: values beyond the data scored at its edge, the interval widened."""
    p, bounds, _, _ = scored(bundle, meta, X)
    return p, bounds


def scored(bundle: dict, meta: dict, X: np.ndarray):
    """(probabilities, intervals or None, edges, the rows as scored) for feature rows."""
    X, extra, edges = beyond_the_data(bundle["model"], meta, X)
    p = positive(bundle["model"], X)
    refit_predictions = [positive(m, X) for m in bundle["bootstrap"]]
    alternative = [positive(m, X) for m in bundle.get("alternative", [])]
    rows = meta["rows"]
    bounds = intervals(p, refit_predictions, rows["bootstrap_rows_per_refit"],
                       rows.get("fit_used_by_chosen_model", rows["fit"]), alternative, extra,
                       misspecification.row_variance(meta.get("misspecification", {}), X, p))
    if bounds is not None:
        for i, edge in enumerate(edges):
            if edge.no_route:
                bounds[i] = (0.0, 1.0)
    return p, bounds, edges, X
