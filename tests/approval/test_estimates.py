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
