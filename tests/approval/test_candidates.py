"""The candidates fit on the columns kept (features with no information left out)."""

import numpy as np
import pytest

from pipelines.approval import candidates
from pipelines.approval import features as F
from pipelines.approval.training_set import TrainingSet


def test_candidates_fit_without_the_dropped_columns():
    rng = np.random.default_rng(1)
    n = 400
    X = F.encode({"route": rng.choice(["settlement", "deferral"], n).tolist(),
                  "product": ["cash_loan"] * n, "overdue_days": [None] * n,
                  "prior_overdues_12m": rng.integers(0, 5, n).tolist()})
    y = (rng.random(n) < 0.3 + 0.1 * X[:, F.FEATURES.index("prior_overdues_12m")]).astype(int)
    kept = F.kept_index(F.uninformative(X))
    for model in (candidates.make_logistic(kept), candidates.make_boosting(n, kept)):
        p = model.fit(X, y).predict_proba(X)[:, 1]
        assert 0 < p.min() <= p.max() < 1
    with pytest.raises(ValueError, match="window shape"):  # why the columns are left out
        candidates.make_boosting(n).fit(X, y)


def _one_route_capped(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two routes, one number: deferral falls with overdue days, settlement rises up to day
    720 and then stays (the synthetic mechanism's shape); returns X, y, true logit."""
    rng = np.random.default_rng(seed)
    route = rng.choice(["settlement", "deferral"], n)
    overdue = rng.lognormal(4.5, 1.2, n).round()
    X = F.encode({"route": route.tolist(), "overdue_days": overdue.tolist()})
    logit = np.where(route == "settlement", -2.0 + 0.5 * np.minimum(overdue, 720) / 90,
                     0.5 - 0.25 * np.clip(overdue / 90 - 1, 0, 4))
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), logit


def test_from_enough_rows_each_route_gets_its_own_curve():
    X, y, _ = _one_route_capped(20_000, seed=1)
    X_new, _, truth = _one_route_capped(4_000, seed=2)
    kept = F.kept_index(F.uninformative(X))
    errors = {}
    for route_curves in (False, True):
        p = candidates.make_logistic(kept, route_curves).fit(X, y).predict_proba(X_new)[:, 1]
        p = np.clip(p, 1e-6, 1 - 1e-6)
        errors[route_curves] = np.mean(np.abs(np.log(p / (1 - p)) - truth))
    # Shared curves leave settlement's cap to a straight per-route slope.
    assert errors[True] < 0.8 * errors[False]  # measured 0.097 against 0.163


def test_few_fitting_rows_share_the_curves():
    n = candidates.ROUTE_CURVES_MIN_ROWS
    X, y, _ = _one_route_capped(n, seed=3)
    data = TrainingSet(X, y, np.zeros(n, "datetime64[D]"), np.array(["a"] * n), np.array(["r"] * n))
    kept = F.kept_index(F.uninformative(X))
    rng = np.random.default_rng(0)
    few = candidates.fit_candidate("logistic_regression", data.take(np.arange(n - 1)), kept, rng)
    enough = candidates.fit_candidate("logistic_regression", data, kept, rng)
    # One number kept (overdue_days): its curve's columns interact with route or not.
    assert enough[1].n_interacting - few[1].n_interacting == candidates.SPLINE_BASIS
