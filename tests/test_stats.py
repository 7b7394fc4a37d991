"""The statistics marts against an independent plain-Python computation on small
hand-made fixtures; the shared SQL macros against statsmodels/scipy; the
`relief stats` / `relief sql` commands; analysts' read-only access never blocking
ingestion."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import date

import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from pipelines import cli, contract, stats, warehouse
from pipelines.config import MARTS_DIR

DECIDED = set(contract.DECIDED_OUTCOMES)
GRANTED = set(contract.GRANTED_OUTCOMES)
STAT_COLUMNS = (
    "requests", "decided", "approved", "partial", "rejected", "withdrawn", "pending",
    "approval_rate", "approval_rate_low", "approval_rate_high", "median_days_to_decision",
    "p90_days_to_decision", "median_waived_amount", "broken_plan_share",
    # added 2026-12: censoring by pending requests
    "decided_share", "provisional", "median_days_to_decision_km", "p90_days_to_decision_km",
)


# --- fixtures ---------------------------------------------------------------------


def case(case_id, route, outcome, applied_on, decided_on=None, **other):
    """One current case; every optional column not given is unknown (null)."""
    row = {name: None for name in contract.COLUMN_NAMES}
    row.update(case_id=case_id, route=route, outcome=outcome, applied_on=applied_on,
               decided_on=decided_on, product="credit_card", source="test")
    row.update(other)
    return row


D = date
# Hand-made: installment busy over three months (one case with an unknown decided_on,
# waived amounts and plan statuses); deferral with no decided case (rate and interval
# null); interest_waiver in a single year-earlier month; the other routes empty.
# age_band is unknown everywhere (an all-unknown segment).
CASES = [
    case("i1", "installment", "approved", D(2024, 1, 3), D(2024, 1, 13), channel="app",
         overdue_days=10, waived_amount=120.50, plan_status="active", granted_route="installment",
         doc_income_proof=True, region="GD", broke_prior_agreement=False, product="cash_loan"),
    case("i2", "installment", "partial", D(2024, 1, 20), D(2024, 2, 4), channel="hotline",
         overdue_days=45, waived_amount=0, plan_status="broken", granted_route="deferral",
         doc_income_proof=False, doc_bank_statement=True, hardship_reason="illness"),
    case("i3", "installment", "rejected", D(2024, 1, 25), D(2024, 1, 26), channel="app",
         overdue_days=200, prior_overdues_12m=3, region="GD", broke_prior_agreement=True),
    case("i4", "installment", "approved", D(2024, 2, 2), None, channel=None,
         prior_overdues_12m=0, waived_amount=300, plan_status="completed"),
    case("i5", "installment", "withdrawn", D(2024, 2, 14), D(2024, 2, 20), region="BJ"),
    case("i6", "installment", "pending", D(2024, 3, 1)),
    case("i7", "installment", "rejected", D(2024, 3, 9), D(2024, 4, 30), overdue_days=95,
         hardship_reason="income_drop"),
    case("i8", "installment", "approved", D(2024, 3, 30), D(2024, 4, 2), waived_amount=55.25,
         granted_route=None, plan_status=None, source="feed-b"),
    case("d1", "deferral", "pending", D(2024, 2, 10), region="BJ"),
    case("d2", "deferral", "withdrawn", D(2024, 3, 11), D(2024, 3, 15)),
    case("w1", "interest_waiver", "approved", D(2023, 2, 5), D(2023, 2, 25),
         granted_route="interest_waiver", plan_status="completed", waived_amount=80),
    case("w2", "interest_waiver", "rejected", D(2023, 2, 6), D(2023, 3, 1)),
    case("w3", "interest_waiver", "approved", D(2024, 2, 7), D(2024, 2, 9),
         granted_route="settlement", plan_status="broken"),
]


def load_cases(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Write rows straight into `cases` (bulk, buckets by the schema's macros)."""
    schema = {c.name: _polars_type(c) for c in contract.COLUMNS} | {"source": pl.String}
    frame = pl.DataFrame(rows, schema=schema)  # noqa: F841 (read by DuckDB below)
    con.execute("insert into cases by name select *, 1 as batch_id "
                "from with_derived_buckets('frame')")


def _polars_type(column: contract.Column):
    return {"DATE": pl.Date, "INTEGER": pl.Int32, "BOOLEAN": pl.Boolean,
            "DECIMAL(18,2)": pl.Decimal(18, 2)}.get(column.sql_type, pl.String)


@pytest.fixture
def published(home):
    """A home whose analysts' database holds CASES."""
    with warehouse.open_writer(home) as con:
        load_cases(con, CASES)
        warehouse.publish(home, con)
    return home


@pytest.fixture
def analysts(published):
    con = warehouse.connect_analysts(published)
    yield con
    con.close()


@pytest.fixture
def empty(home):
    with warehouse.open_writer(home) as con:
        warehouse.publish(home, con)
    con = warehouse.connect_analysts(home)
    yield con
    con.close()


# --- the independent computation --------------------------------------------------


def quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def data_as_of(rows: list[dict]) -> date | None:
    """The latest applied_on or decided_on (CASE-RECORDS.md)."""
    days = [d for r in rows for d in (r["applied_on"], r["decided_on"]) if d is not None]
    return max(days, default=None)


def km_observations(rows: list[dict], as_of: date) -> tuple[list[int], list[int]]:
    """Days waited and event flags: decided (with a decided_on) is an event, pending
    is censored at as_of, anything else is left out."""
    times, events = [], []
    for r in rows:
        if r["outcome"] in DECIDED and r["decided_on"] is not None:
            times.append((r["decided_on"] - r["applied_on"]).days)
            events.append(1)
        elif r["outcome"] == "pending":
            times.append((as_of - r["applied_on"]).days)
            events.append(0)
    return times, events


def km_quantile(times: list[int], events: list[int], q: float) -> float | None:
    """statsmodels' Kaplan-Meier curve; the first event time where S(t) <= 1 - q
    (statsmodels' own quantile() uses <, the SAS convention; the marts use <=, the
    inverse-distribution convention, with the same 1e-9 allowance for a product
    that should equal 1 - q exactly)."""
    if not times:
        return None
    curve = SurvfuncRight(np.asarray(times, dtype=float), np.asarray(events, dtype=float))
    reached = np.flatnonzero(curve.surv_prob <= 1 - q + 1e-9)
    return float(curve.surv_times[reached[0]]) if reached.size else None


def expected_stats(rows: list[dict], as_of: date | None = None) -> dict:
    """Every mart statistic of `rows`; pending requests are censored at as_of
    (default: CASES' as-of date, the data the marts under test hold)."""
    as_of = as_of or data_as_of(CASES)
    counts = Counter(r["outcome"] for r in rows)
    decided = sum(counts[o] for o in DECIDED)
    granted = sum(counts[o] for o in GRANTED)
    days = [(r["decided_on"] - r["applied_on"]).days for r in rows
            if r["outcome"] in DECIDED and r["decided_on"] is not None]
    waived = [float(r["waived_amount"]) for r in rows if r["waived_amount"] is not None]
    statuses = [r["plan_status"] for r in rows if r["plan_status"] is not None]
    low, high = (proportion_confint(granted, decided, method="wilson") if decided
                 else (None, None))
    return {
        "requests": len(rows), "decided": decided,
        **{o: counts[o] for o in contract.OUTCOMES},
        "approval_rate": granted / decided if decided else None,
        "approval_rate_low": low, "approval_rate_high": high,
        "median_days_to_decision": quantile(days, 0.5),
        "p90_days_to_decision": quantile(days, 0.9),
        "median_waived_amount": quantile(waived, 0.5),
        "broken_plan_share": statuses.count("broken") / len(statuses) if statuses else None,
        "decided_share": (decided / (len(rows) - counts["withdrawn"])
                          if len(rows) > counts["withdrawn"] else None),
        "provisional": counts["pending"] > 0.05 * (len(rows) - counts["withdrawn"]),
        "median_days_to_decision_km": km_quantile(*km_observations(rows, as_of), 0.5),
        "p90_days_to_decision_km": km_quantile(*km_observations(rows, as_of), 0.9),
    }


def segment_value(row: dict, segment: str) -> str:
    value = row[segment]
    if value is None:
        return contract.UNKNOWN
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def with_buckets(row: dict) -> dict:
    docs = (row["doc_income_proof"], row["doc_bank_statement"], row["doc_hardship_evidence"])
    days, prior = row["overdue_days"], row["prior_overdues_12m"]
    return row | {
        "overdue_bucket": "unknown" if days is None else
        "0-30" if days <= 30 else "31-90" if days <= 90 else "91-180" if days <= 180 else "181+",
        "prior_overdues_bucket": "unknown" if prior is None else
        "0" if prior == 0 else "1" if prior == 1 else "2-3" if prior <= 3 else "4+",
        "documents_submitted": "unknown" if all(d is None for d in docs)
        else str(sum(bool(d) for d in docs)),
    }


def months_between(first: date, last: date) -> list[date]:
    months, current = [], first
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def month_of(day: date) -> date:
    return day.replace(day=1)


def assert_rows_match(actual: dict, expected: dict) -> None:
    for column, want in expected.items():
        got = actual[column]
        if want is None:
            assert got is None, (column, got)
        elif isinstance(want, bool):
            assert got is want, (column, got, want)
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12), (column, got, want)


def scalar(con: duckdb.DuckDBPyConnection, query: str):
    return con.execute(query).fetchall()[0][0]


def keyed(frame: pl.DataFrame, *keys: str) -> dict:
    rows = frame.to_dicts()
    out = {tuple(r[k] for k in keys): r for r in rows}
    assert len(out) == len(rows), "duplicate keys"
    return out


# --- marts against the independent computation ---------------------------------------


def test_route_outcomes_lists_every_route_with_plain_python_figures(analysts):
    frame = stats.route_outcomes(analysts)
    assert frame.columns == ["route", *STAT_COLUMNS]  # exactly CASE-RECORDS.md
    assert frame["route"].to_list() == list(contract.ROUTES)
    got = keyed(frame, "route")
    for route in contract.ROUTES:
        assert_rows_match(got[(route,)], expected_stats([r for r in CASES if r["route"] == route]))
    # the edge cases the fixture was made for
    assert got[("deferral",)]["decided"] == 0
    assert got[("deferral",)]["approval_rate_low"] is None
    assert got[("settlement",)]["requests"] == 0


def test_route_outcomes_monthly_covers_every_route_and_month(analysts):
    frame = stats.route_outcomes_monthly(analysts)
    assert frame.columns == ["route", "month", *STAT_COLUMNS]
    assert frame.schema["month"] == pl.Date
    months = months_between(min(month_of(r["applied_on"]) for r in CASES),
                            max(month_of(r["applied_on"]) for r in CASES))
    got = keyed(frame, "route", "month")
    assert set(got) == {(route, m) for route in contract.ROUTES for m in months}
    for (route, month), row in got.items():
        assert_rows_match(row, expected_stats(
            [r for r in CASES if r["route"] == route and month_of(r["applied_on"]) == month]))
    one = stats.route_outcomes_monthly(analysts, date(2024, 2, 1))
    assert one["month"].unique().to_list() == [date(2024, 2, 1)] and one.height == len(contract.ROUTES)


def test_route_outcomes_by_segment_has_explicit_unknowns(analysts):
    frame = stats.route_outcomes_by_segment(analysts)
    assert frame.columns == ["route", "segment", "segment_value", *STAT_COLUMNS]
    rows = [with_buckets(r) for r in CASES]
    got = keyed(frame, "segment", "segment_value", "route")
    expected_keys = set()
    for segment in contract.SEGMENTS:
        values = {segment_value(r, segment) for r in rows} | {contract.UNKNOWN}
        for value in values:
            for route in contract.ROUTES:
                expected_keys.add((segment, value, route))
                assert_rows_match(got[(segment, value, route)], expected_stats(
                    [r for r in rows if r["route"] == route and segment_value(r, segment) == value]))
    assert set(got) == expected_keys
    # age_band is unknown in every case: only the unknown group, holding everything
    age = stats.route_outcomes_by_segment(analysts, "age_band")
    assert set(age["segment_value"]) == {"unknown"}
    assert age["requests"].sum() == len(CASES)
    assert list(dict.fromkeys(frame["segment"])) == list(contract.SEGMENTS)


def test_period_change_matches_statsmodels_with_holm(analysts):
    frame = stats.period_change(analysts)
    months = months_between(min(month_of(r["applied_on"]) for r in CASES),
                            max(month_of(r["applied_on"]) for r in CASES))

    def counts(route, month):
        rows = [r for r in CASES if r["route"] == route and month_of(r["applied_on"]) == month]
        return (sum(r["outcome"] in GRANTED for r in rows), sum(r["outcome"] in DECIDED for r in rows))

    got = keyed(frame, "route", "month", "comparison")
    assert set(got) == {(route, m, c) for route in contract.ROUTES for m in months
                        for c in ("previous_month", "year_earlier")}
    for month in months:
        tests = {}
        for route in contract.ROUTES:
            for comparison, back in (("previous_month", 1), ("year_earlier", 12)):
                earlier = date(month.year + (month.month - 1 - back) // 12,
                               (month.month - 1 - back) % 12 + 1, 1)
                k1, n1 = counts(route, month)
                k2, n2 = counts(route, earlier)
                row = got[(route, month, comparison)]
                assert (row["compared_month"], row["granted"], row["decided"],
                        row["compared_granted"], row["compared_decided"]) == (earlier, k1, n1, k2, n2)
                if n1 and n2 and 0 < k1 + k2 < n1 + n2:
                    z, p = proportions_ztest([k1, k2], [n1, n2])
                    assert row["z_statistic"] == pytest.approx(z, rel=1e-9)
                    assert row["p_value"] == pytest.approx(p, rel=1e-6)
                    tests[(route, comparison)] = p
                else:
                    assert row["p_value"] is None and row["significant"] is False
        if tests:
            reject, adjusted, _, _ = multipletests(list(tests.values()), alpha=0.05, method="holm")
            for key, want, flag in zip(tests, adjusted, reject, strict=True):
                row = got[(key[0], month, key[1])]
                assert row["p_value_holm"] == pytest.approx(want, rel=1e-6)
                assert row["significant"] == bool(flag)
                assert row["tests_in_month"] == len(tests)


def test_period_change_flags_a_real_change_and_holm_adjusts(home):
    # 90/100 granted in March against 30/100 in February: significant after Holm.
    rows = [case(f"f{i}", "installment", "approved" if i < 30 else "rejected",
                 D(2024, 2, 5), D(2024, 2, 9)) for i in range(100)]
    rows += [case(f"m{i}", "installment", "approved" if i < 90 else "rejected",
                  D(2024, 3, 5), D(2024, 3, 9)) for i in range(100)]
    rows += [case(f"s{i}", "settlement", "approved" if i < 6 else "rejected",
                  D(2024, 2 + i % 2, 5), D(2024, 3, 20)) for i in range(20)]
    with warehouse.open_writer(home) as con:
        load_cases(con, rows)
        warehouse.refresh_marts(con)
        march = stats.period_change(con, date(2024, 3, 1))
    inst = march.filter((pl.col("route") == "installment") & (pl.col("comparison") == "previous_month"))
    assert inst["significant"].item() is True
    _, p = proportions_ztest([90, 30], [100, 100])
    assert inst["p_value"].item() == pytest.approx(p, rel=1e-6)
    assert inst["p_value_holm"].item() == pytest.approx(min(1, 2 * p), rel=1e-6)  # two tests
    settle = march.filter((pl.col("route") == "settlement") & (pl.col("comparison") == "previous_month"))
    assert settle["significant"].item() is False


def test_route_switches_counts_granted_pairs(analysts):
    frame = stats.route_switches(analysts)
    granted = [r for r in CASES if r["outcome"] in GRANTED]
    pairs = Counter((r["route"], r["granted_route"] or "unknown") for r in granted)
    per_route = Counter(r["route"] for r in granted)
    got = keyed(frame, "route", "granted_route")
    assert set(got) == set(pairs)
    for (route, granted_route), n in pairs.items():
        row = got[(route, granted_route)]
        assert row["cases"] == n
        assert row["share_of_granted"] == pytest.approx(n / per_route[route])
        assert row["switched"] == (None if granted_route == "unknown" else granted_route != route)


def test_plan_adherence_by_granted_route_and_months(analysts):
    frame = stats.plan_adherence(analysts)
    as_of = max(r["decided_on"] for r in CASES if r["decided_on"] is not None)
    groups: dict[tuple, list] = {}
    for r in CASES:
        if r["outcome"] in GRANTED:
            months = (None if r["decided_on"] is None else
                      (as_of.year - r["decided_on"].year) * 12 + as_of.month - r["decided_on"].month)
            groups.setdefault((r["granted_route"] or "unknown", months), []).append(r["plan_status"])
    got = keyed(frame, "granted_route", "months_since_grant")
    assert set(got) == set(groups)
    for key, statuses in groups.items():
        row, known = got[key], [s for s in statuses if s is not None]
        assert row["data_as_of"] == as_of
        assert (row["plans"], row["completed"], row["active"], row["broken"], row["status_unknown"]) == (
            len(statuses), statuses.count("completed"), statuses.count("active"),
            statuses.count("broken"), statuses.count(None))
        want = statuses.count("broken") / len(known) if known else None
        assert row["broken_share"] == (pytest.approx(want) if want is not None else None)


def test_an_empty_database_lists_every_route_and_segment_unknown(empty):
    routes = stats.route_outcomes(empty)
    assert routes["route"].to_list() == list(contract.ROUTES)
    assert routes["requests"].to_list() == [0] * len(contract.ROUTES)
    assert routes["approval_rate"].null_count() == len(contract.ROUTES)
    by = stats.route_outcomes_by_segment(empty)
    assert list(dict.fromkeys(by["segment"])) == list(contract.SEGMENTS)
    assert set(by["segment_value"]) == {"unknown"}
    assert by.height == len(contract.SEGMENTS) * len(contract.ROUTES)
    for name in ("route_outcomes_monthly", "period_change", "route_switches", "plan_adherence"):
        assert stats.read_mart(empty, name).height == 0


def test_only_the_current_version_of_an_updated_case_counts(home, tmp_path):
    """Two real batches through ingestion: the second decides a pending case."""
    from pipelines import ingest

    header = "case_id,applied_on,decided_on,product,route,outcome,plan_status\n"
    first = tmp_path / "batch1.csv"
    first.write_text(header + "u1,2024-05-02,,credit_card,installment,pending,\n"
                     "u2,2024-05-03,2024-05-10,credit_card,installment,rejected,\n")
    second = tmp_path / "batch2.csv"
    second.write_text(header + "u1,2024-05-02,2024-05-20,credit_card,installment,approved,active\n")
    for path in (first, second):
        [result] = ingest.ingest_paths(home, [path])
        assert result.status == "loaded", result.message
    con = warehouse.connect_analysts(home)
    try:
        assert scalar(con, "select count(*) from case_history") == 3
        row = stats.route_outcomes(con).filter(pl.col("route") == "installment").to_dicts()[0]
    finally:
        con.close()
    current = [case("u1", "installment", "approved", D(2024, 5, 2), D(2024, 5, 20),
                    plan_status="active"),
               case("u2", "installment", "rejected", D(2024, 5, 3), D(2024, 5, 10))]
    assert_rows_match(row, expected_stats(current, data_as_of(current)))
    assert row["pending"] == 0 and row["requests"] == 2


# --- shared macros ----------------------------------------------------------------


@pytest.fixture
def macros():
    con = duckdb.connect()
    warehouse.migrate(con)
    yield con
    con.close()


def test_wilson_interval_matches_statsmodels(macros):
    grid = macros.execute(
        "select k, n, wilson_low(k, n), wilson_high(k, n) from range(1, 60) t(n), "
        "range(0, 60) s(k) where k <= n union all "
        "select k, n, wilson_low(k, n), wilson_high(k, n) "
        "from (values (0, 5000), (5000, 5000), (1, 100000), (123456, 1000000)) v(k, n)"
    ).fetchnumpy()
    low, high = proportion_confint(grid["k"], grid["n"], alpha=0.05, method="wilson")
    np.testing.assert_allclose(grid["wilson_low(k, n)"], np.clip(low, 0, 1), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grid["wilson_high(k, n)"], np.clip(high, 0, 1), rtol=1e-9, atol=1e-12)
    assert macros.execute("select wilson_low(0, 0), wilson_high(0, 0)").fetchall() == [(None, None)]
    assert scalar(macros, "select wilson_low(0, 7)") == 0.0
    assert scalar(macros, "select wilson_high(7, 7)") == 1.0


def sql_km_quantile(con, observations: list[tuple[int, bool]], q: float):
    """km_quantile over (day, censored) pairs, through km_observation and the histogram
    the marts use."""
    return con.execute(
        "select km_quantile(histogram(km_observation(outcome, applied_on, decided_on, as_of)), ?) "
        "from (select case when censored then 'pending' else 'rejected' end as outcome, "
        "      date '2024-01-01' as applied_on, "
        "      case when not censored then applied_on + day end as decided_on, "
        "      case when censored then applied_on + day end as as_of "
        "      from (select unnest(?::integer[]) as day, unnest(?::boolean[]) as censored))",
        [q, [d for d, _ in observations], [c for _, c in observations]]).fetchall()[0][0]


def test_kaplan_meier_quantiles_by_hand(macros):
    # six requests: decided on days 1, 2, 2 and 4; pending after 3 and 5 days.
    # S(1) = 5/6, S(2) = 5/6 * 3/5 = 1/2 exactly (the median), S(4) = 1/2 * 1/2 = 1/4:
    # the estimate never reaches 10% undecided, so no 90th percentile yet.
    waits = [(1, False), (2, False), (2, False), (3, True), (4, False), (5, True)]
    assert sql_km_quantile(macros, waits, 0.5) == 2
    assert sql_km_quantile(macros, waits, 0.75) == 4
    assert sql_km_quantile(macros, waits, 0.9) is None
    # nobody pending: the smallest day by which at least the share q is decided
    complete = [(day, False) for day in range(1, 11)]
    assert [sql_km_quantile(macros, complete, q) for q in (0.5, 0.9)] == [5, 9]
    # a request censored on a decision day is still at risk that day
    assert sql_km_quantile(macros, [(2, False), (2, True)], 0.5) == 2
    assert sql_km_quantile(macros, [(1, True), (2, False)], 0.5) == 2
    # all pending, or nothing at all: no estimate
    assert sql_km_quantile(macros, [(3, True), (8, True)], 0.5) is None
    assert sql_km_quantile(macros, [], 0.5) is None


@settings(max_examples=200, deadline=None)
@given(waits=st.lists(st.tuples(st.integers(0, 25), st.booleans()), max_size=60),
       q=st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]))
def test_kaplan_meier_quantiles_match_statsmodels(waits, q):
    # few distinct days, so ties of events, of censorings and of both are common;
    # all-censored and empty groups come up too
    con = _macro_connection()
    times = [day for day, _ in waits]
    events = [0 if censored else 1 for _, censored in waits]
    assert sql_km_quantile(con, waits, q) == km_quantile(times, events, q)


@settings(max_examples=200, deadline=None)
@given(waits=st.lists(st.tuples(st.integers(0, 400), st.booleans(), st.integers(1, 5000)),
                      max_size=40),
       q=st.sampled_from(["0.5", "0.9", "0.25"]))
def test_days_quantiles_from_the_km_histogram_equal_quantile_cont(waits, q):
    # what outcome_facts_summary reads off the histogram, against quantile_cont over
    # the decided days themselves, to the last bit; repeats make groups large, and
    # q is a literal as in the macro (a DECIMAL in SQL)
    con = _macro_connection()
    days = [d for d, _, n in waits for _ in range(n)]
    censored = [c for _, c, n in waits for _ in range(n)]
    # the observations built by km_observation, as the marts build them
    mine, reference = con.execute(
        "select decided_days_quantile(histogram(km_observation(outcome, applied_on, decided_on, "
        f"as_of)), {q}), quantile_cont(day, {q}) filter (where not censored) "
        "from (select day, censored, "
        "      case when censored then 'pending' else 'rejected' end as outcome, "
        "      date '2024-01-01' as applied_on, "
        "      case when not censored then date '2024-01-01' + day end as decided_on, "
        "      case when censored then date '2024-01-01' + day end as as_of "
        "      from (select unnest(?::integer[]) as day, unnest(?::boolean[]) as censored))",
        [days, censored]).fetchall()[0]
    assert mine == reference


_MACRO_CONNECTION: list[duckdb.DuckDBPyConnection] = []


def _macro_connection() -> duckdb.DuckDBPyConnection:
    """One migrated in-memory database for every example of a property test."""
    if not _MACRO_CONNECTION:
        con = duckdb.connect()
        warehouse.migrate(con)
        _MACRO_CONNECTION.append(con)
    return _MACRO_CONNECTION[0]


def test_provisional_is_more_than_five_percent_pending(macros):
    rows = macros.execute(
        "select is_provisional(p, n, w) from (values (5, 100, 0), (6, 100, 0), (5, 104, 4), "
        "(6, 104, 4), (0, 0, 0), (0, 3, 3), (1, 1, 0)) t(p, n, w)").fetchall()
    assert [r[0] for r in rows] == [False, True, False, True, False, False, True]


def test_normal_p_value_matches_scipy(macros):
    zs = np.concatenate([np.linspace(-8, 8, 321), [0.0, 1.959963984540054, 3.5, 10.0]])
    got = macros.execute(
        "select normal_two_sided_p(z) as p from (select unnest(?::double[]) as z)", [zs.tolist()]
    ).fetchnumpy()["p"]
    np.testing.assert_allclose(got, 2 * norm.sf(np.abs(zs)), rtol=5e-7)
    assert scalar(macros, "select normal_two_sided_p(null)") is None


def test_routes_table_is_the_contract(macros):
    rows = macros.execute("select route, label_zh from routes order by position").fetchall()
    assert rows == [(route, labels[0]) for route, labels in contract.ROUTES.items()]


def test_outcome_macros_are_the_contract(macros):
    got = macros.execute(
        "select outcome, is_decided(outcome), is_granted(outcome) "
        "from (select unnest(?::varchar[]) as outcome)", [list(contract.OUTCOMES)]
    ).fetchall()
    assert {o for o, decided, _ in got if decided} == set(contract.DECIDED_OUTCOMES)
    assert {o for o, _, granted in got if granted} == set(contract.GRANTED_OUTCOMES)


def test_every_mart_file_is_a_mart_table_in_the_analysts_copy(analysts):
    tables = {r[0] for r in analysts.execute("select table_name from duckdb_tables()").fetchall()}
    assert set(stats.MART_NAMES) <= tables
    assert {"route_outcomes", "route_outcomes_monthly", "route_outcomes_by_segment",
            "period_change", "route_switches", "plan_adherence"} <= set(stats.MART_NAMES)


def test_each_mart_table_holds_exactly_what_its_query_gives(analysts):
    # what the data dictionary promises a reader checking a figure by hand
    for name, query in warehouse.mart_definitions().items():
        assert analysts.execute(f"select * from {name}").fetchall() == \
            analysts.execute(query).fetchall(), name


def test_marts_are_recomputed_only_when_the_cases_change(home):
    with warehouse.open_writer(home) as con:
        load_cases(con, CASES[:5])
        assert warehouse.refresh_marts(con) is True
        assert warehouse.refresh_marts(con) is False  # nothing changed
        load_cases(con, CASES[5:])
        warehouse.publish(home, con)  # publishing refreshes what changed
        warehouse.publish(home, con)  # and then has nothing to refresh
        con.execute("insert into ingest_log values (99, 'f', null, 'canonical', 'refused', 0, 0, "
                    "0, 0, true, 'not a table', now())")
        warehouse.publish(home, con)  # a batch that loaded nothing changes no figure
        counted = con.execute("select cases from mart_refreshes order by refreshed_at").fetchall()
    assert counted == [(5,), (len(CASES),)]
    reader = warehouse.connect_analysts(home)
    try:
        requests = reader.execute("select sum(requests) from route_outcomes").fetchall()
    finally:
        reader.close()
    assert requests == [(len(CASES),)]


def test_changed_mart_definitions_are_recomputed(home, tmp_path):
    marts = tmp_path / "marts"
    marts.mkdir()
    for path in MARTS_DIR.glob("*.sql"):
        (marts / path.name).write_text(path.read_text("utf-8"), "utf-8")
    with warehouse.open_writer(home) as con:
        load_cases(con, CASES)
        assert warehouse.refresh_marts(con, marts) is True
        assert warehouse.refresh_marts(con, marts) is False
        switches = marts / "route_switches.sql"
        switches.write_text(switches.read_text("utf-8").replace(
            "pairs.cases,", "pairs.cases, 'v2' as version,"), "utf-8")
        assert warehouse.refresh_marts(con, marts) is True
        assert {r[0] for r in con.execute("select version from route_switches").fetchall()} == {"v2"}


def test_a_failed_refresh_leaves_every_mart_as_it_was(home, tmp_path):
    marts = tmp_path / "marts"
    marts.mkdir()
    for path in MARTS_DIR.glob("*.sql"):
        (marts / path.name).write_text(path.read_text("utf-8"), "utf-8")
    (marts / "zz_broken.sql").write_text("select * from no_such_table", "utf-8")
    with warehouse.open_writer(home) as con:
        load_cases(con, CASES[:5])
        warehouse.refresh_marts(con)
        load_cases(con, CASES[5:])
        with pytest.raises(duckdb.CatalogException):
            warehouse.refresh_marts(con, marts)  # route_outcomes is rebuilt before the failure
        assert con.execute("select sum(requests) from route_outcomes").fetchall() == [(5,)]
        assert con.execute("select count(*) from mart_refreshes").fetchall() == [(1,)]


# --- commands ---------------------------------------------------------------------


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_stats_command_json(published, capsys):
    code, out, _ = run_cli(capsys, "stats", "--home", str(published.root), "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["route"] for r in rows] == list(contract.ROUTES)
    code, out, _ = run_cli(capsys, "stats", "--home", str(published.root), "--by", "channel",
                           "--json")
    assert code == 0 and {r["segment"] for r in json.loads(out)} == {"channel"}
    code, out, _ = run_cli(capsys, "stats", "--home", str(published.root), "--month", "2024-02",
                           "--json")
    assert code == 0 and {r["month"] for r in json.loads(out)} == {"2024-02-01"}
    code, out, _ = run_cli(capsys, "stats", "--home", str(published.root))
    assert code == 0 and "installment" in out


def run_piped(home, *argv) -> str:
    """`relief ...` in a subprocess with stdout a pipe (not a terminal), as `| cat`."""
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", *argv, "--home", str(home.root)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "60"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_stats_piped_prints_whole_figures_whose_intervals_hold_their_rates(published):
    out = run_piped(published, "stats", "--by", "channel")
    assert "…" not in out and "..." not in out
    lines = out.splitlines()
    header = lines[1].split()
    assert header[:4] == ["segment_value", "route", "asked", "decided"]
    # Kaplan-Meier times come first among the figures; provisional rows are marked
    assert lines[1].index("days p50/p90") < lines[1].index("granted")
    con = warehouse.connect_analysts(published)
    try:
        want = keyed(stats.route_outcomes_by_segment(con, "channel"), "segment_value", "route")
    finally:
        con.close()
    rows = [line.split() for line in lines[3:] if line.split()[:1] and
            (line.split()[0], line.split()[1]) in {k for k in want}]
    assert len(rows) == len(want)
    for cells in rows:
        row = want[(cells[0], cells[1])]
        assert cells[2] == f"{row['requests']:,}"
        rate, interval = cells[5], cells[6]
        if row["approval_rate"] is None:
            assert rate == interval == "–"
            continue
        low, high = interval.split("–")
        assert float(low[:-1]) <= float(rate[:-1]) <= float(high[:-1])
        assert (cells[-1] == "provisional") is row["provisional"]
    assert any(cells[-1] == "provisional" for cells in rows)
    assert "provisional: more than 5%" in out and "Kaplan-Meier" in out


def test_stats_for_a_provisional_month_says_so(published):
    out = run_piped(published, "stats", "--month", "2024-03")
    assert "applied in 2024-03 (provisional:" in out.splitlines()[0]


def test_sql_table_prints_figures_by_what_they_are(published):
    out = run_piped(published, "sql", "select -0.0333 as rate_change, 0.0755 as pending_share, "
                    "0.07557 as ratio, wilson_low(5, 10) as approval_rate_low, "
                    "0.5 as approval_rate, wilson_high(5, 10) as approval_rate_high, "
                    "1e-9 as p_value, 'x' || repeat('y', 120) as long_text")
    header, rule, row = out.splitlines()
    cells = dict(zip(header.split(), re.split(r"\s{2,}", row.strip()), strict=True))
    assert cells["rate_change"] == "-3.3 pp"  # was "-0.0"
    assert cells["pending_share"] == "7.6%"  # was "0.1"
    assert cells["ratio"] == "0.07557"
    assert (cells["approval_rate_low"], cells["approval_rate"], cells["approval_rate_high"]) == (
        "23.6%", "50.0%", "76.4%")  # was "0.5 0.5"
    assert cells["p_value"] == "<0.0001"
    assert "x" + "y" * 120 in row and "…" not in out


def test_stats_command_refuses_options_it_cannot_combine(published, capsys):
    # a bad single value is bad usage (exit 2, tests/test_cli.py); the marts cannot
    # answer --by and --month together, which is said in one line, exit 1
    code, _, err = run_cli(capsys, "stats", "--home", str(published.root),
                           "--by", "channel", "--month", "2024-02")
    assert code == 1 and err.startswith("relief stats: ") and len(err.splitlines()) == 1


def test_stats_reads_the_published_copy_while_a_writer_is_busy(published, capsys):
    with warehouse.writer_lock(published, "test"):
        assert stats.refresh(published) is False
        code, out, err = run_cli(capsys, "stats", "--home", str(published.root), "--json")
    assert code == 0 and "last published" in err
    assert sum(r["requests"] for r in json.loads(out)) == len(CASES)
    assert stats.refresh(published) is True


def test_stats_without_any_data_fails_clearly(home, capsys):
    code, _, err = run_cli(capsys, "stats", "--home", str(home.root))
    assert code == 1 and "no analysts' database" in err


def test_sql_command_formats(published, capsys):
    query = "select route, requests from route_outcomes order by route"
    code, out, _ = run_cli(capsys, "sql", "--home", str(published.root), query, "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "route,requests"
    assert "installment,8" in out.splitlines()
    code, out, _ = run_cli(capsys, "sql", "--home", str(published.root), query, "--format", "json")
    assert code == 0 and {"route": "deferral", "requests": 2} in json.loads(out)
    code, out, _ = run_cli(capsys, "sql", "--home", str(published.root),
                           "select median_waived_amount from route_outcomes", "--json")
    installment = expected_stats([r for r in CASES if r["route"] == "installment"])
    assert code == 0 and json.loads(out)[0]["median_waived_amount"] == pytest.approx(
        installment["median_waived_amount"])
    code, out, _ = run_cli(capsys, "sql", "--home", str(published.root), query)
    assert code == 0 and "interest_suspension" in out


@pytest.mark.parametrize("query", [
    "delete from cases", "drop view route_outcomes", "create table t as select 1",
    "insert into routes values ('x', 9, 'x')", "copy cases to '/tmp/relief-leak.csv'",
    "attach '/tmp/relief-other.duckdb' as other", "set threads = 1", "checkpoint",
    "select 1; delete from cases", "export database '/tmp/relief-export'",
])
def test_sql_command_refuses_anything_that_could_write(published, capsys, query):
    code, _, err = run_cli(capsys, "sql", "--home", str(published.root), query)
    assert code == 1 and "read-only" in err
    con = warehouse.connect_analysts(published)
    try:
        assert scalar(con, "select count(*) from cases") == len(CASES)
    finally:
        con.close()


def test_sql_command_reports_bad_sql_in_one_line(published, capsys):
    for query in ("selec 1", "select * from no_such_table", ""):
        code, _, err = run_cli(capsys, "sql", "--home", str(published.root), query)
        assert code == 1 and len(err.strip().splitlines()) == 1


def test_stats_does_not_import_prefect():
    probe = ("import sys; from pipelines import cli, stats; "
             "assert not any(m == 'prefect' or m.startswith('prefect.') for m in sys.modules)")
    subprocess.run([sys.executable, "-c", probe], check=True)


# --- analysts never block the pipeline -------------------------------------------------


READER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    before = con.execute("select count(*) from cases").fetchall()[0][0]
    print(before, flush=True)
    sys.stdin.readline()  # hold the connection open until told
    after = con.execute("select count(*) from cases").fetchall()[0][0]
    routes = con.execute("select sum(requests) from route_outcomes").fetchall()[0][0]
    print(after, routes, flush=True)
""")


def test_a_reader_holding_the_analysts_db_never_blocks_ingest(home, tmp_path):
    from pipelines import ingest

    header = "case_id,applied_on,decided_on,product,route,outcome\n"
    first = tmp_path / "first.csv"
    first.write_text(header + "r1,2024-05-02,2024-05-09,credit_card,installment,approved\n")
    ingest.ingest_paths(home, [first])
    second = tmp_path / "second.csv"
    second.write_text(header + "".join(
        f"r{i},2024-06-0{1 + i % 9},,cash_loan,deferral,pending\n" for i in range(2, 12)))

    reader = subprocess.Popen([sys.executable, "-c", READER, str(home.analysts_db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "1"  # connected, holding the file
        done = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "ingest", "--home", str(home.root),
             str(second), "--json"],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "RELIEF_WRITER_WAIT": "0"},
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)[0]["rows_loaded"] == 10
        reader.stdin.write("\n")
        reader.stdin.flush()
        # the old reader keeps its consistent snapshot: one case, in cases and in the marts
        assert reader.stdout.readline().split() == ["1", "1"]
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    con = warehouse.connect_analysts(home)  # a new reader sees the new data
    try:
        assert scalar(con, "select count(*) from cases") == 11
        assert scalar(con, "select sum(requests) from route_outcomes") == 11
    finally:
        con.close()


def test_the_earlier_facts_macro_still_names_the_facts_view():
    """Analysts' saved queries over case_outcome_facts() (the table macro the facts view
    replaced) keep working after a refresh, and give the view's rows."""
    con = duckdb.connect()
    warehouse.migrate(con)
    load_cases(con, CASES)
    warehouse.refresh_marts(con)
    view = con.execute("select * from case_facts order by case_id").fetchall()
    assert len(view) == len(CASES)
    assert con.execute("select * from case_outcome_facts() order by case_id").fetchall() == view
