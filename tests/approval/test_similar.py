"""Similar past cases: the Wilson interval and what the answer says about them."""

import pytest

from pipelines.approval import similar


def test_wilson_interval_matches_the_formula_and_is_wide_for_no_cases():
    assert similar.wilson(0, 0) == (0.0, 1.0)
    low, high = similar.wilson(50, 100)
    assert (low, high) == pytest.approx((0.4188, 0.5812), abs=1e-4)  # z = 1.645


def test_notes_say_too_few_relaxed_or_at_odds_with_the_estimate():
    few = similar.Similar(12, 6, ["route", "product"], relaxed=True)
    assert "12 similar past cases" in similar.similar_notes(few, 0.5, [0.4, 0.6], {}, "en")[0]
    relaxed = similar.Similar(200, 100, ["route", "product"], relaxed=True)
    assert "fewer than 30" in similar.similar_notes(relaxed, 0.5, [0.4, 0.6], {}, "en")[0]
    apart = similar.Similar(400, 40, ["route"], relaxed=False)  # 10% against about 60%
    notes = similar.similar_notes(apart, 0.6, [0.5, 0.7], {"overdue_days": 30}, "en")
    assert len(notes) == 1 and "(days overdue)" in notes[0]
    assert similar.similar_notes(similar.Similar(400, 240, ["route"], False), 0.6,
                                 [0.5, 0.7], {}, "en") == []
