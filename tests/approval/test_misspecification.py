"""The interval's misspecification term, measured on holdout-like cases whose truth is
known: nothing where the estimates are right, a shortfall where they miss a kink, and
only there."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.approval import features as F
from pipelines.approval import misspecification as M

ROUTE = F.categories("route")[0]
HISTORY = F.FEATURES.index("good_history_months")


def cases(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of one route (code 0) with on-time history 0-120 months, and a truth that
    rises with history up to a cap at 48 months."""
    rng = np.random.default_rng(seed)
    X = np.full((n, len(F.FEATURES)), np.nan)
    X[:, F.ROUTE_INDEX] = 0
    X[:, HISTORY] = rng.integers(0, 121, n).astype(float)
    return X, -0.5 + 0.04 * np.minimum(X[:, HISTORY], 48)


def outcomes(truth_logit: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(len(truth_logit)) < 1 / (1 + np.exp(-truth_logit))).astype(np.int8)


def expit(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def narrow_refits(p: np.ndarray) -> list[np.ndarray]:
    """Refits a hair apart: intervals that claim almost no uncertainty."""
    return [expit(np.log(p / (1 - p)) + shift) for shift in (-0.01, 0.01)]


def test_estimates_that_are_right_show_no_shortfall():
    X, truth = cases(20_000, seed=1)
    p = expit(truth)
    terms = M.route_terms(X, outcomes(truth, 2), p, narrow_refits(p), 1_000, 1_000)
    assert set(terms) == {ROUTE}  # the other routes: too few cases
    assert terms[ROUTE]["holdout_cases"] == 20_000
    assert not M.row_variance(terms, X, p).any()


def test_a_bump_the_estimates_smooth_over_widens_where_it_is_and_about_as_much():
    X, _ = cases(40_000, seed=1)
    history = X[:, HISTORY]
    smooth = 0.01 * history
    bump = (36 <= history) & (history < 60)
    truth = smooth + 0.8 * bump  # the estimates miss a bump the truth has
    p = expit(smooth)
    terms = M.route_terms(X, outcomes(truth, 2), p, narrow_refits(p), 1_000, 1_000)
    assert "good_history_months" in [g["grouping"] for g in terms[ROUTE]["groupings"]]
    added = M.row_variance(terms, X, p)
    assert added[bump].mean() == pytest.approx(0.8 ** 2, rel=0.35)
    assert added[~bump].mean() < 0.1 * added[bump].mean()


def test_what_estimation_noise_explains_is_not_added_again():
    X, _ = cases(40_000, seed=1)
    history = X[:, HISTORY]
    bump = (36 <= history) & (history < 60)
    truth = 0.01 * history + 0.8 * bump
    p = expit(0.01 * history)
    y = outcomes(truth, 2)
    quiet = M.row_variance(M.route_terms(X, y, p, narrow_refits(p), 1_000, 1_000), X, p)
    # Refits as far apart as the bump: the estimation noise explains the error.
    noisy = [expit(0.01 * history + shift) for shift in (-0.8, 0.8)]
    loud = M.row_variance(M.route_terms(X, y, p, noisy, 1_000, 1_000), X, p)
    assert loud[bump].mean() < 0.25 * quiet[bump].mean()


def test_the_interval_variance_counts_t_spread_bias_and_the_other_candidate():
    p = np.array([0.5])
    logit = np.log(0.6 / 0.4)
    assert M.interval_variance(p, [np.array([0.6])] * 2, 1_000, 1_000) == pytest.approx(
        [logit ** 2])
    assert M.interval_variance(p, [np.array([0.5])] * 2, 1_000, 1_000,
                               [np.array([0.4])]) == pytest.approx([logit ** 2])


def test_the_bootstrap_bias_is_scaled_by_m_over_n_and_the_spread_by_its_root():
    p = np.array([0.5])
    logit = np.log(0.6 / 0.4)
    spread, bias = M.refit_terms(p, [np.array([0.6]), np.array([0.4])], 1_000, 4_000)
    assert spread[0] == pytest.approx(np.std([logit, -logit], ddof=1) * 0.5)
    assert bias[0] == pytest.approx(0.0)
    _, bias = M.refit_terms(p, [np.array([0.6])] * 2, 1_000, 4_000)
    assert bias[0] == pytest.approx(logit / 4)
