import numpy as np
import pytest

from pipelines.approval import evaluate


def test_perfectly_calibrated_bins_have_zero_ece():
    y = np.array([0, 1] * 50 + [1] * 10)
    p = np.array([0.5] * 100 + [0.95] * 10)
    assert evaluate.ece(y, p) == pytest.approx(abs(1 - 0.95) * 10 / 110)


def test_scores_against_hand_computed_values():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.8, 0.4, 0.6, 0.2])
    s = evaluate.scores(y, p, reference=np.full(4, 0.5))
    assert s["brier"] == pytest.approx((0.04 + 0.16 + 0.16 + 0.04) / 4)
    assert s["brier_skill"] == pytest.approx(1 - 0.1 / 0.25)
    assert s["roc_auc"] == 1.0
    assert s["log_loss"] == pytest.approx(-np.mean(np.log([0.8, 0.6, 0.6, 0.8])))
    assert [row["cases"] for row in s["calibration"]] == [1, 1, 1, 1]


def test_one_outcome_only_gives_no_auc_but_other_scores():
    s = evaluate.scores(np.ones(5), np.full(5, 0.7), np.full(5, 0.9))
    assert s["roc_auc"] is None
    assert s["brier"] == pytest.approx(0.09)


def test_largest_gap_names_the_two_groups():
    groups = {"a": {"cases": 200, "mean_predicted": 0.5, "observed_rate": 0.4},
              "b": {"cases": 200, "mean_predicted": 0.5, "observed_rate": 0.6},
              "c": {"cases": 5, "mean_predicted": 0.9, "observed_rate": 0.0}}
    gap = evaluate.largest_calibration_gap(groups)
    assert gap["difference"] == pytest.approx(0.2)
    assert gap["most_overestimated"]["group"] == "a"
    assert gap["most_underestimated"]["group"] == "b"
