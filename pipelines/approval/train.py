"""Training: read decided cases, split by time, fit candidates, calibrate, evaluate, promote.

Methodology: docs/model.md. `train_and_maybe_promote(home, force)` is the one entry
point (the CLI and the main flow call it); everything below it is a plain function.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import polars as pl
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    SplineTransformer,
    StandardScaler,
)
from threadpoolctl import threadpool_limits

from pipelines import __version__, contract, warehouse
from pipelines.approval import evaluate, registry
from pipelines.approval import features as F
from pipelines.config import SQL_DIR, Home

MODEL_SQL = SQL_DIR / "model"
HOLDOUT_SHARE = 0.20
CALIBRATION_SHARE = 0.20
# Row caps where the learning curve is flat (benchmarks/train_learning_curve.py on 1M
# synthetic cases, holdout log loss): logistic 0.5368 at 50k rows, 0.5360 at 100k,
# 0.5355 at 300k; boosting 0.5373 at 100k, 0.5352 at 300k (5x the time). Logistic at
# 50k pushed the recovery test's error to 0.0297 (limit 0.03; 0.0221 at 100k), so 100k.
LOGISTIC_MAX_ROWS = 100_000
BOOSTING_MAX_ROWS = 200_000
# Bootstrap refits for the 90% interval (docs/model.md, "The 90% interval"). Few
# refits keep training, the model file and the guide's load small; the guide widens
# the interval with Student's t for the spread measured from so few.
BOOTSTRAP_REFITS = 6
BOOTSTRAP_MAX_ROWS = 20_000
MIN_CALIBRATION_CASES = 50
# Each number's range per route, stored in the version's metadata (profile_stats).
RANGE_QUANTILES = (0.005, 0.995)
# A sigmoid or isotonic map is pinned down by tens of thousands of cases; more only
# costs predictions (each candidate predicts every calibration row once per method).
CALIBRATION_MAX_ROWS = 50_000
SEED = 20250101
# OpenMP threads for fitting. On a small shared machine a busy core makes OpenMP
# spin-waits catastrophically slow (measured: 1.7 s with one thread, 47 s with two,
# under load), so one core is left to everything else.
FIT_THREADS = max(1, (os.cpu_count() or 1) - 1)


class TrainingError(RuntimeError):
    """The data cannot support a model (too few cases, a single outcome)."""


@dataclass
class TrainingSet:
    X: np.ndarray
    y: np.ndarray
    applied_on: np.ndarray  # datetime64[D]
    age_band: np.ndarray
    region: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def take(self, index: np.ndarray) -> TrainingSet:
        return TrainingSet(self.X[index], self.y[index], self.applied_on[index],
                           self.age_band[index], self.region[index])

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for part in (self.X, self.y, self.applied_on.astype("int64")):
            digest.update(np.ascontiguousarray(part).tobytes())
        return digest.hexdigest()


# --- data ------------------------------------------------------------------------


def read_training_set(home: Home) -> TrainingSet:
    """Decided cases from the analysts' published snapshot, encoded."""
    con = warehouse.connect_analysts(home)
    try:
        reader = con.sql((MODEL_SQL / "training_set.sql").read_text("utf-8")).arrow()
        frame = pl.from_arrow(reader.read_all())
    finally:
        con.close()
    return training_set_from_frame(frame)


def encode_frame(frame: pl.DataFrame) -> np.ndarray:
    """The bulk twin of features.encode (same codes; tests hold them equal), in polars."""
    exprs = []
    for name in F.FEATURES:
        if name in F.ENUM_FEATURES:
            exprs.append(pl.col(name).cast(pl.String).replace_strict(
                F.enum_codes(name), default=F.unknown_code(name), return_dtype=pl.Float64))
        else:
            exprs.append(pl.col(name).cast(pl.Float64))
    return frame.select(exprs).to_numpy().astype(np.float64)


def training_set_from_frame(frame: pl.DataFrame) -> TrainingSet:
    """Encode, in one fixed order: application day, then row_key (hash of case_id)."""
    frame = frame.sort("applied_on", "row_key")

    def text(name: str) -> np.ndarray:
        # Categorical codes gathered from the few labels: fast for millions of rows.
        column = frame.get_column(name).cast(pl.String).fill_null(contract.UNKNOWN)
        labels = column.unique().sort().to_list()
        codes = column.cast(pl.Enum(labels)).to_physical().to_numpy()
        return np.asarray(labels, dtype=str)[codes]

    return TrainingSet(
        X=encode_frame(frame),
        y=frame.get_column("granted").fill_null(False).cast(pl.Int8).to_numpy(),
        applied_on=frame.get_column("applied_on").to_numpy().astype("datetime64[D]"),
        age_band=text("age_band"),
        region=text("region"),
    )


def time_split(applied_on: np.ndarray, holdout_share: float = HOLDOUT_SHARE) -> np.ndarray:
    """Boolean mask of the holdout: cases applied on or after the day where the most
    recent `holdout_share` of cases begins. A day is never split across the two sides;
    when one day holds too much, the split falls back to case order."""
    n = len(applied_on)
    order = np.argsort(applied_on, kind="stable")
    first = order[int(np.floor(n * (1 - holdout_share)))] if n else 0
    holdout = applied_on >= applied_on[first]
    if 0 < holdout.sum() < n:
        return holdout
    holdout = np.zeros(n, dtype=bool)
    holdout[order[int(np.floor(n * (1 - holdout_share))):]] = True
    return holdout


# --- candidates ------------------------------------------------------------------


def make_logistic(kept: tuple[int, ...] = F.kept_index()) -> Pipeline:
    """Logistic regression: a slope per route for the numeric and yes/no features
    (route interactions), shared splines for the numeric shapes, one-hot enumerations.
    Unknown is a category (enumerations, yes/no) or a missing indicator (numbers).
    Only the columns in `kept` (indices into features.FEATURES) are used."""
    route = [F.ROUTE_INDEX] if F.ROUTE_INDEX in kept else []
    n_routes = len(F.categories("route")) if route else 0
    other_enums = [i for i in F.ENUM_INDEX if i != F.ROUTE_INDEX and i in kept]
    booleans = [i for i in F.BOOLEAN_INDEX if i in kept]
    numbers = [i for i in F.NUMERIC_INDEX if i in kept]
    enum_categories = [np.arange(len(F.categories(F.FEATURES[i])), dtype=float)
                       for i in other_enums]
    # Median stand-in values are inert: each has its own missing indicator beside it.
    linear_numbers = Pipeline([("fill", SimpleImputer(strategy="median", keep_empty_features=True)),
                               ("scale", StandardScaler())])
    curved_numbers = Pipeline([
        ("fill", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("log", FunctionTransformer(np.log1p, feature_names_out="one-to-one")),
        ("spline", SplineTransformer(n_knots=5, degree=3, knots="quantile",
                                     extrapolation="constant")),
    ])
    blocks = [
        ("route", OneHotEncoder(categories=[np.arange(n_routes, dtype=float)], sparse_output=False,
                                handle_unknown="ignore"), route),
        ("booleans", OneHotEncoder(categories=[np.array([0.0, 1.0, np.nan])] * len(booleans),
                                   sparse_output=False, handle_unknown="ignore"), booleans),
        ("numbers", linear_numbers, numbers),
        ("unknown_numbers", MissingIndicator(features="all"), numbers),
        ("enums", OneHotEncoder(categories=enum_categories, sparse_output=False,
                                handle_unknown="ignore"), other_enums),
        ("curves", curved_numbers, numbers),
    ]
    columns = ColumnTransformer([b for b in blocks if b[2]], sparse_threshold=0.0)
    n_interacting = 3 * len(booleans) + 2 * len(numbers)
    return Pipeline([
        ("columns", columns),
        ("route_interactions", F.RouteInteractions(n_routes=n_routes, n_interacting=n_interacting)),
        ("model", LogisticRegression(C=1.0, max_iter=500)),
    ])


def make_boosting(n: int, kept: tuple[int, ...] = F.kept_index()) -> Pipeline:
    """Gradient boosting with native categories (unknown is a category) and native
    missing-value branches for numbers and yes/no (NaN learns its own side), on the
    columns in `kept` (indices into features.FEATURES)."""
    small = n < 5_000
    model = HistGradientBoostingClassifier(
        learning_rate=0.05 if small else 0.1,
        max_iter=200 if small else 500,
        max_leaf_nodes=8 if small else 31,
        min_samples_leaf=20 if small else 100,
        l2_regularization=1.0,
        categorical_features=[k for k, j in enumerate(kept) if j in F.ENUM_INDEX] or None,
        early_stopping=n >= 1_000,
        validation_fraction=0.1,
        n_iter_no_change=20,
        random_state=SEED,
    )
    return Pipeline([("keep", ColumnTransformer([("kept", "passthrough", list(kept))])),
                     ("model", model)])


# --- fitting ---------------------------------------------------------------------


def calibrate(model, X_cal: np.ndarray, y_cal: np.ndarray, method: str):
    """The fitted model, frozen, with a sigmoid or isotonic map fitted on calibration data.
    Too few calibration cases, or only one outcome among them: the model stays as it is."""
    if len(y_cal) < MIN_CALIBRATION_CASES or y_cal.min() == y_cal.max():
        return model
    return CalibratedClassifierCV(FrozenEstimator(model), method=method).fit(X_cal, y_cal)


def positive(model, X: np.ndarray) -> np.ndarray:
    return model.predict_proba(X)[:, 1]


def fitting_rows(name: str, fit: TrainingSet) -> int:
    cap = LOGISTIC_MAX_ROWS if name == "logistic_regression" else BOOSTING_MAX_ROWS
    return min(len(fit), cap)


def fit_candidate(name: str, fit: TrainingSet, kept: tuple[int, ...],
                  rng: np.random.Generator):
    m = fitting_rows(name, fit)
    rows = fit if m == len(fit) else fit.take(np.sort(rng.choice(len(fit), m, replace=False)))
    if name == "logistic_regression":
        return make_logistic(kept).fit(rows.X, rows.y)
    return make_boosting(len(rows), kept).fit(rows.X, rows.y)


CANDIDATES = ("logistic_regression", "gradient_boosting")
CALIBRATIONS = ("sigmoid", "isotonic")


def bootstrap_refits(name: str, chosen, method: str, fit: TrainingSet, cal: TrainingSet,
                     kept: tuple[int, ...], rng: np.random.Generator,
                     refits: int | None = None) -> tuple[list, int]:
    """Refits of the chosen candidate on resamples of the fitting and calibration data.

    With more than BOOTSTRAP_MAX_ROWS fitting cases each refit sees a subsample of m
    cases (m-out-of-n bootstrap); the guide scales the spread by sqrt(m / n), n being
    the rows the chosen model was fitted on. Returns the refits and m.
    """
    n = fitting_rows(name, fit)
    m = min(n, BOOTSTRAP_MAX_ROWS)
    # The calibration resample shrinks in the same proportion m / n, so one sqrt(m / n)
    # scales the spread of both parts.
    cal_m = min(len(cal), max(MIN_CALIBRATION_CASES, round(len(cal) * m / n)))
    models = []
    for _ in range(BOOTSTRAP_REFITS if refits is None else refits):
        rows = fit.take(rng.choice(len(fit), m, replace=True))
        # A resample with one outcome, or with no known value of a used feature (boosting
        # cannot bin it), cannot be refitted like the chosen model: it is skipped.
        if rows.y.min() == rows.y.max() or np.isnan(rows.X[:, kept]).all(axis=0).any():
            continue
        if name == "gradient_boosting":
            base = clone(chosen).set_params(model__max_iter=max(chosen[-1].n_iter_, 1),
                                            model__early_stopping=False)
            base.fit(rows.X, rows.y)
        else:
            # Same feature transform; the coefficients refitted, starting from the chosen
            # model's (converges in a few iterations).
            head = chosen[:-1]
            linear = copy.deepcopy(chosen[-1]).set_params(warm_start=True)
            linear.fit(head.transform(rows.X), rows.y)
            base = Pipeline(head.steps + [("model", linear)])
        cal_rows = cal.take(rng.choice(len(cal), cal_m, replace=True)) if len(cal) else cal
        models.append(calibrate(base, cal_rows.X, cal_rows.y, method))
    return models, m


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
    train_fingerprint: str  # covers the whole decided set the split was made from
    seconds: float

    @property
    def chosen_candidate(self) -> Candidate:
        return self.candidates[self.chosen]


def train(data: TrainingSet, seed: int = SEED) -> TrainingResult:
    """Fit, calibrate and evaluate every candidate; return the chosen bundle and its report.

    Pure: no files are read or written.
    """
    started = time.perf_counter()
    if len(data) < 20:
        raise TrainingError(f"only {len(data)} decided cases: too few to train a model")
    if data.y.min() == data.y.max():
        raise TrainingError("every decided case has the same outcome: nothing to learn")
    rng = np.random.default_rng(seed)
    holdout_mask = time_split(data.applied_on)
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
    results, fitted = {}, {}
    for name in CANDIDATES:
        t0 = time.perf_counter()
        base = fit_candidate(name, fit, kept, rng)
        fitted[name] = base
        per_method = {}
        for method in CALIBRATIONS:
            model = calibrate(base, cal.X, cal.y, method)
            p = positive(model, holdout.X)
            per_method[method] = (model, evaluate.log_loss(holdout.y, p), p)
        method = min(per_method, key=lambda k: per_method[k][1])
        model, _, p = per_method[method]
        calibrated = model is not base
        results[name] = Candidate(
            model=model,
            calibration=method if calibrated else "none (too little calibration data)",
            calibration_log_loss={k: v[1] for k, v in per_method.items()} if calibrated else None,
            fit_rows=fitting_rows(name, fit),
            fit_seconds=time.perf_counter() - t0,
            metrics=evaluate.evaluate(holdout.y, p, reference, holdout_routes,
                                      holdout.age_band, holdout.region),
        )
    chosen = min(results, key=lambda k: results[k].log_loss)
    method = results[chosen].calibration
    t0 = time.perf_counter()
    refits, bootstrap_rows = bootstrap_refits(
        chosen, fitted[chosen], method if method in CALIBRATIONS else "sigmoid", fit, cal, kept, rng)
    bootstrap_seconds = time.perf_counter() - t0
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
    data = read_training_set(home)
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
                current_p = positive(current_bundle["model"], holdout.X)
            current_loss = evaluate.log_loss(holdout.y, current_p)
        except Exception as exc:  # an unreadable current model must not block a new one
            current_error = f"{type(exc).__name__}: {exc}"
        else:
            with threadpool_limits(limits=FIT_THREADS):
                new_p = positive(result.bundle["model"], holdout.X)
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
            "share": HOLDOUT_SHARE,
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
    }
