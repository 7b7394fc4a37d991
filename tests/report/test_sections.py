"""Sections 1 to 3's own rules; their figures against the database are checked through
whole reports in test_build.py."""

from __future__ import annotations

from pipelines.report.sections import plan_shares


def test_a_chart_whose_rows_are_all_suppressed_is_not_drawn():
    assert plan_shares([None, None, None, 0], None) is None
    assert plan_shares([None, 2070, None, 0], 2086) == [None, 2070 / 2086, None]
    assert plan_shares([0, 0, 0, 0], 0) is None
