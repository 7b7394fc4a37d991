"""Training: fit every candidate, calibrate, evaluate, choose, measure the interval's
terms, save and maybe promote.

Methodology: docs/model.md. `train_and_maybe_promote(home, force)` is the one entry
point (the CLI and the main flow call it); everything below it is a plain function.
The cases and their split: training_set.py; the candidates and their refits:
candidates.py; the misspecification term: misspecification.py.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from threadpoolctl import threadpool_limits

from pipelines import __version__
from pipelines.approval import candidates, evaluate, misspecification, registry, training_set
from pipelines.approval import features as F
from pipelines.approval.training_set import TrainingSet
from pipelines.config import Home

CALIBRATION_SHARE = 0.20
# Each number's range per route, stored in the version's metadata (profile_stats).
RANGE_QUANTILES = (0.005, 0.995)
# A sigmoid or isotonic map is pinned down by tens of thousands of cases; more only
# costs predictions (each candidate predicts every calibration row once per method).
CALIBRATION_MAX_ROWS = 50_000
# Holdout cases the misspecification term is measured on: each refit predicts them
# (1.8 s of CPU for 25,000 rows of a 250,000-case boosting model, one thread; the
# groups 0.15 s), and 25,000 leave the smallest route (4%) its groups of 100 or more.
MISSPECIFICATION_MAX_ROWS = 25_000
# OpenMP threads for fitting. On a small shared machine a busy core makes OpenMP
# spin-waits catastrophically slow (measured: 1.7 s with one thread, 47 s with two,
# under load), so one core is left to everything else.
FIT_THREADS = max(1, (os.cpu_count() or 1) - 1)


class TrainingError(RuntimeError):
    """The data cannot support a model (too few cases, a single outcome)."""


CANDIDATES = ("logistic_regression", "gradient_boosting")
CALIBRATIONS = ("sigmoid", "isotonic")


def reference_rates(train: TrainingSet) -> dict[str, float]:
    """Each route's base rate in the training window (the no-skill forecast)."""
    overall = float(train.y.mean())
    rates = {}
    for code, route in enumerate(F.categories("route")):
        mask = train.X[:, F.ROUTE_INDEX] == code
        rates[route] = float(train.y[mask].mean()) if mask.any() else overall
    return rates


def route_names(X: np.ndarray) -> np.ndarray:
    return np.asarray(F.categories("route"))[X[:, F.ROUTE_INDEX].astype(int)]


@dataclass
class Candidate:
    """One candidate's fit, calibration and holdout metrics."""
    model: object  # the calibrated model
    calibration: str  # sigmoid | isotonic | none (too little calibration data)
    calibration_log_loss: dict[str, float] | None  # holdout log loss of each method tried
    fit_rows: int
    fit_seconds: float
    metrics: dict  # evaluate.evaluate's report

    @property
    def log_loss(self) -> float:
        return self.metrics["overall"]["log_loss"]

    def report(self) -> dict:
        """JSON-ready, without the model (metadata's metrics.candidates)."""
        return {"calibration": self.calibration, "calibration_log_loss": self.calibration_log_loss,
                "fit_rows": self.fit_rows, "fit_seconds": self.fit_seconds,
                "metrics": self.metrics}


@dataclass
class TrainingResult:
    """What train() returns: the chosen bundle and everything its metadata records."""
    bundle: dict  # {"model", "bootstrap": [refits], "alternative": [other candidates]}
    chosen: str
    candidates: dict[str, Candidate]
    holdout: TrainingSet
    train_set: TrainingSet
    dropped_features: dict[str, str]
    fit_rows: int
    calibration_rows: int
    bootstrap_rows: int
    bootstrap_seconds: float
    reference_rates: dict[str, float]
    profile_stats: dict
    misspecification: dict  # route -> the interval's misspecification term (misspecification.py)
    train_fingerprint: str  # covers the whole decided set the split was made from
    seconds: float

    @property
    def chosen_candidate(self) -> Candidate:
        return self.candidates[self.chosen]


def train(data: TrainingSet, seed: int = candidates.SEED) -> TrainingResult:
    """Fit, calibrate and evaluate every candidate; return the chosen bundle and its report.

    Pure: no files are read or written.
    """
    started = time.perf_counter()
    if len(data) < 20:
        raise TrainingError(f"only {len(data)} decided cases: too few to train a model")
    if data.y.min() == data.y.max():
        raise TrainingError("every decided case has the same outcome: nothing to learn")
    rng = np.random.default_rng(seed)
    holdout_mask = training_set.time_split(data.applied_on)
    train_set, holdout = data.take(~holdout_mask), data.take(holdout_mask)
    if train_set.y.min() == train_set.y.max():
        raise TrainingError("every decided case in the training window has the same outcome")
    cal_mask = rng.random(len(train_set)) < CALIBRATION_SHARE
    if cal_mask.sum() > CALIBRATION_MAX_ROWS:
        cal_mask[np.flatnonzero(cal_mask)[rng.permutation(int(cal_mask.sum()))
                                         [CALIBRATION_MAX_ROWS:]]] = False
    fit, cal = train_set.take(~cal_mask), train_set.take(cal_mask)
    if fit.y.min() == fit.y.max():
        fit, cal = train_set, train_set.take(np.zeros(len(train_set), dtype=bool))

    # Features with no information in the fitting rows are left out of every candidate
    # (boosting cannot bin a column with no known value); metadata and card list them.
    dropped = F.uninformative(fit.X)
    kept = F.kept_index(dropped)
    if not kept:
        raise TrainingError("no feature varies among the decided cases: nothing to learn from")
    rates = reference_rates(train_set)
    holdout_routes = route_names(holdout.X)
    # Each holdout case's route base rate, gathered by route code (rates is in code order).
    reference = np.array(list(rates.values()))[holdout.X[:, F.ROUTE_INDEX].astype(int)]
    results, fitted, holdout_p = {}, {}, {}
    for name in CANDIDATES:
        t0 = time.perf_counter()
        base = candidates.fit_candidate(name, fit, kept, rng)
        fitted[name] = base
        per_method = {}
        for method in CALIBRATIONS:
            model = candidates.calibrate(base, cal.X, cal.y, method)
            p = candidates.positive(model, holdout.X)
            per_method[method] = (model, evaluate.log_loss(holdout.y, p), p)
        method = min(per_method, key=lambda k: per_method[k][1])
        model, _, p = per_method[method]
        holdout_p[name] = p
        calibrated = model is not base
        results[name] = Candidate(
            model=model,
            calibration=method if calibrated else "none (too little calibration data)",
            calibration_log_loss={k: v[1] for k, v in per_method.items()} if calibrated else None,
            fit_rows=candidates.fitting_rows(name, fit),
            fit_seconds=time.perf_counter() - t0,
            metrics=evaluate.evaluate(holdout.y, p, reference, holdout_routes,
                                      holdout.age_band, holdout.region),
        )
    chosen = min(results, key=lambda k: results[k].log_loss)
    method = results[chosen].calibration
    t0 = time.perf_counter()
    refits, bootstrap_rows = candidates.bootstrap_refits(
        chosen, fitted[chosen], method if method in CALIBRATIONS else "sigmoid", fit, cal, kept, rng)
    bootstrap_seconds = time.perf_counter() - t0
    rows = np.arange(len(holdout))
    if len(rows) > MISSPECIFICATION_MAX_ROWS:
        rows = np.sort(rng.choice(len(rows), MISSPECIFICATION_MAX_ROWS, replace=False))
    misspecified = misspecification.route_terms(
        holdout.X[rows], holdout.y[rows], holdout_p[chosen][rows],
        [candidates.positive(m, holdout.X[rows]) for m in refits], bootstrap_rows,
        results[chosen].fit_rows) if len(refits) >= 2 else {}
    return TrainingResult(
        bundle={"model": results[chosen].model, "bootstrap": refits,
                "alternative": [results[k].model for k in results if k != chosen]},
        chosen=chosen,
        candidates=results,
        holdout=holdout,
        train_set=train_set,
        dropped_features=dropped,
        fit_rows=len(fit),
        calibration_rows=len(cal),
        bootstrap_rows=bootstrap_rows,
        bootstrap_seconds=bootstrap_seconds,
        reference_rates=rates,
        profile_stats=profile_stats(train_set),
        misspecification=misspecified,
        train_fingerprint=data.fingerprint(),
        seconds=time.perf_counter() - started,
    )


def profile_stats(train_set: TrainingSet) -> dict:
    """Per route, what the model saw: each feature's typical value (median or most common,
    unknown counted), its observed range, and how many cases carried each category.
    The guide compares a profile against these (factors, warnings)."""
    out = {}
    for code, route in enumerate(F.categories("route")):
        X = train_set.X[train_set.X[:, F.ROUTE_INDEX] == code]
        if not len(X):
            continue
        stats = {"cases": int(len(X))}
        for j, name in enumerate(F.FEATURES):
            if name == "route":
                continue
            col = X[:, j]
            known = col[~np.isnan(col)]
            if name in F.ENUM_FEATURES:
                counts = np.bincount(col.astype(int), minlength=len(F.categories(name)))
                stats[name] = {"typical": float(np.argmax(counts)),
                               "counts": {c: int(k) for c, k in zip(F.categories(name), counts,
                                                                    strict=True)}}
            else:
                unknown_share = 1 - len(known) / len(col)
                typical = float(np.median(known)) if len(known) and unknown_share < 0.5 else None
                stats[name] = {
                    "typical": typical,
                    "min": float(known.min()) if len(known) else None,
                    "max": float(known.max()) if len(known) else None,
                    # The robust range the guide scores within (docs/model.md, "Beyond
                    # the data"): a few extreme cases do not stretch it.
                    # Observed values (not interpolated), so a whole number stays whole.
                    "low": float(np.quantile(known, RANGE_QUANTILES[0], method="lower"))
                    if len(known) else None,
                    "high": float(np.quantile(known, RANGE_QUANTILES[1], method="higher"))
                    if len(known) else None,
                    "known_cases": int(len(known)),
                }
        out[route] = stats
    return out


# --- the entry point ---------------------------------------------------------------


def train_and_maybe_promote(home: Home, force: bool = False) -> dict:
    """Train on the analysts' snapshot, save a new version, promote it unless its holdout
    log loss is worse than the current model's on the same holdout beyond the bootstrap
    noise (registry.promotion; or if force), then prune old versions (registry.prune).

    Returns {"version", "metrics", "promoted", "reason", ...}. Needs no Prefect.
    """
    data = training_set.read_training_set(home)
    with threadpool_limits(limits=FIT_THREADS):
        result = train(data)
    holdout = result.holdout
    new_loss = result.chosen_candidate.log_loss
    current = registry.current_version(home)
    current_loss = current_error = difference = None
    if current is not None:
        try:
            current_bundle = registry.load_bundle(home, current)
            with threadpool_limits(limits=FIT_THREADS):
                current_p = candidates.positive(current_bundle["model"], holdout.X)
            current_loss = evaluate.log_loss(holdout.y, current_p)
        except Exception as exc:  # an unreadable current model must not block a new one
            current_error = f"{type(exc).__name__}: {exc}"
        else:
            with threadpool_limits(limits=FIT_THREADS):
                new_p = candidates.positive(result.bundle["model"], holdout.X)
            difference = registry.loss_difference(holdout.y, new_p, current_p)
    promoted, reason = registry.promotion(current, new_loss, current_loss, difference,
                                          force=force, current_error=current_error)
    metadata = build_metadata(result, data, current=current, current_loss=current_loss)
    version = registry.save_version(home, result.bundle, metadata, check_rows=holdout.X)
    if promoted:
        registry.promote(home, version)
    pruned = registry.prune(home)
    return {
        "version": version,
        "promoted": promoted,
        "reason": reason,
        "chosen": result.chosen,
        "current_before": current,
        "current_log_loss_on_this_holdout": current_loss,
        "log_loss_difference": difference,
        "pruned_versions": pruned,
        "metrics": metadata["metrics"],
        "trained_on": metadata["trained_on"],
        "dropped_features": metadata["dropped_features"],
        "seconds": round(result.seconds, 2),
    }


def _iso(day: np.datetime64) -> str:
    return date.fromisoformat(str(day)).isoformat()


# --- metadata --------------------------------------------------------------------


def _library_versions() -> dict[str, str]:
    names = ("scikit-learn", "numpy", "scipy", "skops", "duckdb")
    return {name: importlib.metadata.version(name) for name in names} | {
        "python": ".".join(map(str, sys.version_info[:3]))}


def build_metadata(result: TrainingResult, data: TrainingSet, current: str | None,
                   current_loss: float | None) -> dict:
    """Everything a version folder records besides the model itself (JSON-ready)."""
    train_set, holdout = result.train_set, result.holdout
    chosen = result.chosen
    metrics = {
        "chosen": chosen,
        "holdout_log_loss": result.chosen_candidate.log_loss,
        "candidates": {name: c.report() for name, c in result.candidates.items()},
    }
    return {
        "trained_on": {
            "cases": len(train_set),
            "from": _iso(train_set.applied_on.min()),
            "to": _iso(train_set.applied_on.max()),
        },
        "holdout": {
            "cases": len(holdout),
            "from": _iso(holdout.applied_on.min()),
            "to": _iso(holdout.applied_on.max()),
            "share": training_set.HOLDOUT_SHARE,
        },
        "rows": {
            "decided_cases": len(data),
            "training_window": len(train_set),
            "fit": result.fit_rows,
            "fit_used_by_chosen_model": result.chosen_candidate.fit_rows,
            "calibration": result.calibration_rows,
            "holdout": len(holdout),
            "bootstrap_refits": len(result.bundle["bootstrap"]),
            "bootstrap_rows_per_refit": result.bootstrap_rows,
            "alternative_models": len(result.bundle["alternative"]),
        },
        "features": [name for name in F.FEATURES if name not in result.dropped_features],
        "dropped_features": result.dropped_features,
        "label": "outcome in (approved, partial) among decided cases (approved, partial, rejected)",
        "relief_version": __version__,
        "library_versions": _library_versions(),
        "training_data_fingerprint": result.train_fingerprint,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_seconds": round(result.seconds, 2),
        "bootstrap_seconds": round(result.bootstrap_seconds, 2),
        "previous_current": current,
        "previous_current_holdout_log_loss": current_loss,
        "metrics": metrics,
        "reference_rates": result.reference_rates,
        "profile_stats": result.profile_stats,
        "misspecification": result.misspecification,
    }
