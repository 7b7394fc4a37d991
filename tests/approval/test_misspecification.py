"""The interval's misspecification term, measured on holdout-like cases whose truth is
known: nothing where the estimates are right, the error where they miss a kink."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.approval import features as F
from pipelines.approval import misspecification as M


def cases(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of one route (code 0) with on-time history 0-120 months, and a truth."""
    rng = np.random.default_rng(seed)
    X = np.full((n, len(F.FEATURES)), np.nan)
    X[:, F.ROUTE_INDEX] = 0
    history = rng.integers(0, 121, n).astype(float)
    X[:, F.FEATURES.index("good_history_months")] = history
    truth_logit = -0.5 + 0.04 * np.minimum(history, 48)  # rises, then a cap at 48 months
    return X, truth_logit


def outcomes(truth_logit: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(len(truth_logit)) < 1 / (1 + np.exp(-truth_logit))).astype(np.int8)


def exact_refits(p: np.ndarray) -> list[np.ndarray]:
    return [p, p]  # no estimation noise: all excess is the model's


def test_estimates_that_are_right_show_no_misspecification():
    X, truth = cases(20_000, seed=1)
    p = 1 / (1 + np.exp(-truth))
    route = M.route_variance(X, outcomes(truth, 2), p, exact_refits(p), 1_000, 1_000)
    found = route[F.categories("route")[0]]
    assert found["holdout_cases"] == 20_000
    assert found["variance"] == pytest.approx(0.0, abs=0.01)
    assert set(route) == {F.categories("route")[0]}  # other routes: too few cases


def test_a_kink_the_estimates_smooth_over_shows_as_the_routes_variance():
    X, truth = cases(20_000, seed=1)
    history = X[:, F.FEATURES.index("good_history_months")]
    smooth = -0.5 + 0.01 * history + 0.5  # a straight line through the capped truth
    p = 1 / (1 + np.exp(-smooth))
    found = M.route_variance(X, outcomes(truth, 2), p, exact_refits(p), 1_000,
                             1_000)[F.categories("route")[0]]
    error = np.mean((smooth - truth) ** 2)
    assert found["grouping"] in ("good_history_months", "estimate")
    assert 0.5 * error <= found["variance"] <= 1.2 * error


def test_what_estimation_noise_explains_is_not_counted_twice():
    X, truth = cases(20_000, seed=1)
    history = X[:, F.FEATURES.index("good_history_months")]
    p = 1 / (1 + np.exp(-(0.01 * history)))
    y = outcomes(truth, 2)
    alone = M.route_variance(X, y, p, exact_refits(p), 1_000, 1_000)
    noisy = [1 / (1 + np.exp(-(0.01 * history + shift))) for shift in (-0.3, 0.3)]
    shared = M.route_variance(X, y, p, noisy, 1_000, 1_000)
    route = F.categories("route")[0]
    assert shared[route]["estimation_variance"] > 0
    assert shared[route]["variance"] == pytest.approx(
        max(0.0, alone[route]["variance"] - shared[route]["estimation_variance"]), abs=1e-9)


def test_the_bootstrap_bias_is_scaled_by_m_over_n_and_the_spread_by_its_root():
    p = np.array([0.5])
    refits = [np.array([0.6]), np.array([0.4])]
    spread, bias = M.refit_terms(p, refits, refit_rows=1_000, model_rows=4_000)
    logit = np.log(0.6 / 0.4)
    assert spread[0] == pytest.approx(np.std([logit, -logit], ddof=1) * 0.5)
    assert bias[0] == pytest.approx(0.0)
    _, bias = M.refit_terms(p, [np.array([0.6])] * 2, 1_000, 4_000)
    assert bias[0] == pytest.approx(logit / 4)
