import numpy as np
import pytest
from scipy.stats import t as student_t

from pipelines.approval import estimates


def test_interval_is_logit_plus_minus_t_times_the_scaled_refit_spread():
    p = np.array([0.5, 0.2])
    refits = [np.array([0.4, 0.2]), np.array([0.5, 0.2]), np.array([0.6, 0.2])]
    bounds = estimates.intervals(p, refits, refit_rows=1_000, model_rows=4_000)
    logits = np.log(np.array([0.4, 0.5, 0.6]) / (1 - np.array([0.4, 0.5, 0.6])))
    half = student_t.ppf(0.95, df=2) * np.std(logits, ddof=1) * 0.5  # sqrt(1000 / 4000)
    assert bounds[0] == pytest.approx([1 / (1 + np.exp(half)), 1 / (1 + np.exp(-half))])
    assert bounds[1] == pytest.approx([0.2, 0.2])  # refits agree: no spread
    assert estimates.intervals(p, refits[:1], 1_000, 4_000) is None


def test_the_refits_bias_and_the_other_candidate_widen_in_quadrature_and_extra_adds():
    p = np.array([0.5])
    refits = [np.array([0.6]), np.array([0.6])]  # no spread, but off p: the bootstrap's bias
    logit = np.log(0.6 / 0.4)
    bounds = estimates.intervals(p, refits, 1_000, 1_000)
    assert bounds[0] == pytest.approx([1 / (1 + np.exp(logit)), 1 / (1 + np.exp(-logit))])
    other = [np.array([0.4])]  # the other candidate: as far the other way
    half = np.hypot(logit, logit) + 0.5
    bounds = estimates.intervals(p, refits, 1_000, 1_000, other, extra=np.array([0.5]))
    assert bounds[0] == pytest.approx([1 / (1 + np.exp(half)), 1 / (1 + np.exp(-half))])


def test_the_routes_misspecification_adds_z_squared_times_its_variance():
    p = np.array([0.5, 0.5])
    refits = [np.array([0.5, 0.5])] * 2  # no spread, no bias
    bounds = estimates.intervals(p, refits, 1_000, 1_000, misspecified=np.array([0.0, 0.04]))
    half = estimates.Z_90 * 0.2
    assert bounds[0] == pytest.approx([0.5, 0.5])
    assert bounds[1] == pytest.approx([1 / (1 + np.exp(half)), 1 / (1 + np.exp(-half))])


def test_the_refits_bias_counts_m_over_n_of_itself():
    p = np.array([0.5])
    refits = [np.array([0.6]), np.array([0.6])]
    half = np.log(0.6 / 0.4) * 1_000 / 4_000
    bounds = estimates.intervals(p, refits, 1_000, 4_000)
    assert bounds[0] == pytest.approx([1 / (1 + np.exp(half)), 1 / (1 + np.exp(-half))])


class _Slope:
    """A stand-in model: logit = slope * log1p(amount owed)."""

    def __init__(self, slope: float):
        self.slope = slope

    def predict_proba(self, X):
        from pipelines.approval import features as F

        z = self.slope * np.log1p(X[:, F.FEATURES.index("outstanding_amount")])
        p = 1 / (1 + np.exp(-z))
        return np.column_stack([1 - p, p])


def _amount_row(amount: float):
    from pipelines.approval import features as F

    X = np.full((1, len(F.FEATURES)), np.nan)
    X[0, F.ROUTE_INDEX] = F.categories("route").index("installment")
    X[0, F.FEATURES.index("outstanding_amount")] = amount
    meta = {"profile_stats": {"installment": {"outstanding_amount": {
        "low": 100.0, "high": 10_000.0, "known_cases": 500}}}, "dropped_features": {}}
    return X, meta


def test_beyond_the_data_widens_by_the_median_movement_of_the_model_and_its_refits():
    # The model happens to be flat in the amount; two of its three refits move with it:
    # the median movement widens, so a flat fit is no evidence that nothing happens beyond.
    X, meta = _amount_row(1e8)
    used, extra, edges = estimates.beyond_the_data(_Slope(0.0), meta, X,
                                                   [_Slope(0.1), _Slope(0.1)])
    assert edges[0].clamped == [("outstanding_amount", 1e8, 10_000.0)]
    # times = how far beyond over the range's width (log scale), the span over the range
    expected = 0.1 * (np.log1p(1e8) - np.log1p(10_000.0))
    assert extra[0] == pytest.approx(expected)
    # One refit alone moving is the median's minority: no widening from it.
    _, extra, _ = estimates.beyond_the_data(_Slope(0.0), meta, X, [_Slope(0.1), _Slope(0.0)])
    assert extra[0] == pytest.approx(0.0)
    # Without refits, the model's own movement, as before.
    _, extra, _ = estimates.beyond_the_data(_Slope(0.1), meta, X)
    assert extra[0] == pytest.approx(expected)
