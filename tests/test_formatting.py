"""The one formatting module: printed figures that cannot contradict themselves,
and tables that never cut a figure."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from pipelines import formatting as fmt


def as_number(text: str) -> Decimal:
    return Decimal(text.rstrip("%"))


@settings(max_examples=2000, deadline=None)
@given(n=st.integers(1, 10**9), data=st.data(), decimals=st.integers(0, 3))
def test_every_printed_interval_holds_its_printed_rate(n, data, decimals):
    k = data.draw(st.integers(0, n))
    low, high = proportion_confint(k, n, method="wilson")
    rate, lo, hi = fmt.rate_and_interval(k / n, max(low, 0.0), min(high, 1.0), decimals)
    assert as_number(lo) <= as_number(rate) <= as_number(hi), (k, n, rate, lo, hi)
    # one precision for all three
    assert len({text.partition(".")[2].rstrip("%").__len__() for text in (rate, lo, hi)}) == 1
    # the printed interval covers the true one (bounds rounded outward)
    assert as_number(lo) <= Decimal(repr(max(low, 0.0))) * 100
    assert as_number(hi) >= Decimal(repr(min(high, 1.0))) * 100
    assert Decimal(0) <= as_number(lo) and as_number(hi) <= Decimal(100)


@given(rate=st.floats(0, 1), a=st.floats(0, 1), b=st.floats(0, 1))
def test_even_inconsistent_bounds_print_an_interval_holding_the_rate(rate, a, b):
    shown, lo, hi = fmt.rate_and_interval(rate, min(a, b), max(a, b))
    assert as_number(lo) <= as_number(shown) <= as_number(hi)


def test_the_brief_s_contradiction_is_gone():
    # `relief stats` printed "74.9%, 95% CI 75.0%–75.0%" for 0.7491 in [0.7462, 0.7524]
    assert fmt.rate_and_interval(0.7491, 0.7462, 0.7524) == ("74.9%", "74.6%", "75.3%")
    assert fmt.interval(0.7462, 0.7524, rate=0.7491) == "74.6%–75.3%"
    # an interval narrower than the precision gets more decimals, not equal bounds
    rate, lo, hi = fmt.rate_and_interval(0.75, 0.7500001, 0.7500002)
    assert lo != hi and as_number(lo) <= as_number(rate) <= as_number(hi)
    assert fmt.rate_and_interval(None, None, None) == (fmt.MISSING,) * 3


@given(change=st.floats(-1, 1, allow_nan=False).filter(lambda x: x != 0))
def test_a_real_change_never_prints_as_zero(change):
    text = fmt.points(change)
    assert text.endswith(" pp") and text[0] in "+-"
    digits = text.removesuffix(" pp").lstrip("+-<")
    assert Decimal(digits) != 0
    assert (text[0] == "-") == (change < 0)


def test_differences_and_other_figures():
    assert fmt.points(-0.0333) == "-3.3 pp"  # `relief sql` showed "-0.0"
    assert fmt.points(0.0004) == "+0.04 pp"
    assert fmt.points(0.0) == "0.0 pp"
    assert fmt.signed(-0.0) == "0.0"
    assert fmt.percent(0.0755717) == "7.6%"
    assert fmt.count(79293) == "79,293" and fmt.count(None) == fmt.MISSING
    assert fmt.money(1124.5) == "1,125" and fmt.money(Decimal("55.25"), 2) == "55.25"
    assert fmt.days(7.5) == "7.5" and fmt.days(31.0) == "31"
    assert fmt.p_value(3e-9) == "<0.0001" and fmt.p_value(0.04) == "0.0400"
    assert fmt.number(0.0755717) == "0.07557"  # a share shown as "0.1" before
    assert fmt.number(200000.5) == "200000.5"


def test_query_columns_print_by_what_they_hold():
    texts, aligns = fmt.column_texts({
        "route": ["installment", None],
        "month": [date(2026, 5, 1), date(2026, 6, 1)],
        "requests": [3825, 0],
        "approval_rate": [0.7491, None],
        "approval_rate_low": [0.7462, None],
        "approval_rate_high": [0.7524, None],
        "rate_change": [-0.0333, 0.0],
        "p_value": [3e-9, 0.5],
        "median_waived_amount": [1124.5, None],
        "p90_days_to_decision_km": [33.0, None],
        "pending_share": [0.0755717, 0.3359],
        "ratio": [0.0755717, 12.5],
        "provisional": [True, False],
    })
    assert texts["route"] == ["installment", fmt.MISSING]
    assert texts["month"] == ["2026-05-01", "2026-06-01"]
    assert texts["requests"] == ["3825", "0"]
    assert (texts["approval_rate"][0], texts["approval_rate_low"][0],
            texts["approval_rate_high"][0]) == ("74.9%", "74.6%", "75.3%")
    assert texts["rate_change"] == ["-3.3 pp", "0.0 pp"]
    assert texts["p_value"] == ["<0.0001", "0.5000"]
    assert texts["median_waived_amount"] == ["1,125", fmt.MISSING]
    assert texts["p90_days_to_decision_km"] == ["33", fmt.MISSING]
    assert texts["pending_share"] == ["7.6%", "33.6%"]
    assert texts["ratio"] == ["0.07557", "12.50000"]  # one precision per column
    assert texts["provisional"] == ["true", "false"]
    assert aligns["requests"] == "right" and aligns["route"] == "left"
    # a bound without its rate, or a rate with one bound: percents, rounded outward
    alone, _ = fmt.column_texts({"approval_rate_low": [0.74649], "broken_share_high": [0.1201]})
    assert alone == {"approval_rate_low": ["74.6%"], "broken_share_high": ["12.1%"]}
    one, _ = fmt.column_texts({"approval_rate": [0.7491], "approval_rate_low": [0.7499]})
    assert one == {"approval_rate": ["74.9%"], "approval_rate_low": ["74.9%"]}  # clamped


def test_a_table_off_a_terminal_is_whole():
    headers = ["segment_value", "route", "asked"]
    rows = [["app", "interest_suspension", "31,293"], ["a" * 150, "other", "7"]]
    out = io.StringIO()
    fmt.print_table(headers, rows, ["left", "left", "right"], title="t", notes=["* note"],
                    file=out)
    text = out.getvalue()
    assert "…" not in text and "a" * 150 in text and "31,293" in text
    assert text.splitlines()[0] == "t" and text.splitlines()[-1] == "* note"
    lines = text.splitlines()
    assert lines[1].startswith("segment_value") and set(lines[2]) == {"-", " "}


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("columns", [40, 80])
def test_a_table_on_a_narrow_terminal_wraps_text_but_never_cuts_a_figure(columns, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(columns))
    headers = ["route", *[f"figure {i}" for i in range(6)]]
    figures = ["1,234,567", "74.9%", "74.6%", "75.3%", "-3.3 pp", "33"]
    rows = [["interest_suspension", *figures]]
    out = FakeTerminal()
    fmt.print_table(headers, rows, ["left", *["right"] * 6], file=out)
    text = out.getvalue()
    assert "…" not in text
    for figure in figures:
        assert figure in text
