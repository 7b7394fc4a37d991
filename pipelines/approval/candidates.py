"""The candidate models and how each is fitted, calibrated and refitted for the interval's
bootstrap (docs/model.md, "Candidates", "Calibration", "The 90% interval").
"""

from __future__ import annotations

import copy

import numpy as np
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

from pipelines.approval import features as F
from pipelines.approval.training_set import TrainingSet

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
SPLINE_KNOTS, SPLINE_DEGREE = 5, 3
SPLINE_BASIS = SPLINE_KNOTS + SPLINE_DEGREE - 1  # columns per number (SplineTransformer)
# From this many fitting rows each route gets its own curve of every number (docs/model.md,
# "Candidates"); below it the curves are shared. Mean |estimate - truth| against the
# synthetic truth, shared -> per route: 0.0797 -> 0.0832 at ~1,800 fitting rows, 0.0367 ->
# 0.0374 at ~12,000 (26 training seeds), 0.0263 -> 0.0258 at ~30,000, 0.0213 -> 0.0180
# at ~73,000: about 200 more coefficients pay off only between the last two.
ROUTE_CURVES_MIN_ROWS = 20_000
SEED = 20250101


def make_logistic(kept: tuple[int, ...] = F.kept_index(), route_curves: bool = True) -> Pipeline:
    """Logistic regression: a slope per route for the numeric and yes/no features
    (route interactions), splines for the numeric shapes (a curve per route with
    `route_curves`, else shared), one-hot enumerations.
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
        ("spline", SplineTransformer(n_knots=SPLINE_KNOTS, degree=SPLINE_DEGREE, knots="quantile",
                                     extrapolation="constant")),
    ])
    blocks = [
        ("route", OneHotEncoder(categories=[np.arange(n_routes, dtype=float)], sparse_output=False,
                                handle_unknown="ignore"), route),
        ("booleans", OneHotEncoder(categories=[np.array([0.0, 1.0, np.nan])] * len(booleans),
                                   sparse_output=False, handle_unknown="ignore"), booleans),
        ("numbers", linear_numbers, numbers),
        ("unknown_numbers", MissingIndicator(features="all"), numbers),
        ("curves", curved_numbers, numbers),
        ("enums", OneHotEncoder(categories=enum_categories, sparse_output=False,
                                handle_unknown="ignore"), other_enums),
    ]
    columns = ColumnTransformer([b for b in blocks if b[2]], sparse_threshold=0.0)
    # The blocks before the enumerations interact with route: yes/no (3 levels), each
    # number's slope and its missing indicator, and with `route_curves` its curve
    # (SPLINE_BASIS columns): a route's shape may differ from the others' (a cap, a kink).
    n_interacting = 3 * len(booleans) + (2 + (SPLINE_BASIS if route_curves else 0)) * len(numbers)
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
    return make_candidate(name, len(rows), kept).fit(rows.X, rows.y)


def make_candidate(name: str, n: int, kept: tuple[int, ...]) -> Pipeline:
    """The unfitted candidate in the form n fitting rows get (boosting's small-data
    settings, the logistic's curves per route or shared)."""
    if name == "logistic_regression":
        return make_logistic(kept, route_curves=n >= ROUTE_CURVES_MIN_ROWS)
    return make_boosting(n, kept)


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
