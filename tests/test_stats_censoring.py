"""Pending requests in recent months, against a generator that knows every case's
true decision date (synth.true_decisions): the Kaplan-Meier decision times of the
censored export match what the complete data shows, the plain ones do not, and
`provisional` says exactly which rows still have more than 5% pending."""

from __future__ import annotations

import math
from datetime import date

import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines import contract, stats, synth, warehouse

CASES = 100_000
SEED = 14


def true_quantile(days: np.ndarray, q: float) -> float | None:
    """The smallest day by which at least the share q is decided (the quantile
    Kaplan-Meier estimates: inverse distribution, not interpolated)."""
    if days.size == 0:
        return None
    return float(np.sort(days)[math.ceil(q * days.size - 1e-9) - 1])


@pytest.fixture(scope="module")
def export():
    """The export as of synth.AS_OF, loaded and its marts refreshed; the truth."""
    cut = pl.concat(list(synth.generate(CASES, SEED))).select(contract.COLUMN_NAMES)
    con = duckdb.connect()
    warehouse.migrate(con)
    frame = cut.with_columns(source=pl.lit("synthetic"))  # noqa: F841 (read by DuckDB)
    con.execute("insert into cases by name select *, 1 as batch_id "
                "from with_derived_buckets('frame')")
    warehouse.refresh_marts(con)
    truth = synth.true_decisions(CASES, SEED).with_columns(
        month=pl.col("applied_on").dt.truncate("1mo"),
        days=(pl.col("decision_on") - pl.col("applied_on")).dt.total_days())
    yield con, truth
    con.close()


def monthly(con) -> dict[date, dict]:
    """Every route together, per month: the marts' own macro over the same cases."""
    rows = con.sql(
        "select month_of(applied_on) as month, unnest(outcome_stats(outcome, applied_on, "
        "decided_on, waived_amount, plan_status)) from cases group by 1 order by 1").pl()
    return {r["month"]: r for r in rows.to_dicts()}


def test_recent_months_are_still_pending(export):
    con, _ = export
    got = monthly(con)
    assert scalar(con, "select data_as_of()") == synth.AS_OF
    assert got[date(2026, 6, 1)]["decided_share"] < 0.8  # the setting this is about
    assert got[date(2026, 5, 1)]["provisional"] and got[date(2026, 6, 1)]["provisional"]
    assert not got[date(2026, 3, 1)]["provisional"]


def test_kaplan_meier_recovers_the_complete_datas_decision_times(export):
    con, truth = export
    eventually_decided = truth.filter(~pl.col("withdrawn"))
    checked = 0
    for month, row in monthly(con).items():
        days = eventually_decided.filter(pl.col("month") == month)["days"].to_numpy()
        true_median, true_p90 = true_quantile(days, 0.5), true_quantile(days, 0.9)
        if row["decided_share"] == 1:  # nothing pending: the estimate is the truth
            assert (row["median_days_to_decision_km"], row["p90_days_to_decision_km"]) == (
                true_median, true_p90), month
            continue
        # Decision times depend a little on the application day (holidays), which the
        # estimate assumes they do not: within a day or two of the truth.
        assert row["median_days_to_decision_km"] == pytest.approx(true_median, abs=1), month
        if row["p90_days_to_decision_km"] is not None:
            assert row["p90_days_to_decision_km"] == pytest.approx(true_p90, abs=2), month
            checked += 1
        if row["provisional"]:
            # the plain figure counts only the quick decisions made so far
            assert row["p90_days_to_decision"] < true_p90 - 10, month
    assert checked >= 2  # April and May (provisional) had their 90th percentile estimated
    june = monthly(con)[date(2026, 6, 1)]
    # June's earliest requests have waited 29 days, fewer than the true p90: not reached
    assert true_quantile(eventually_decided.filter(
        pl.col("month") == date(2026, 6, 1))["days"].to_numpy(), 0.9) > 29
    assert june["p90_days_to_decision_km"] is None


def test_provisional_is_exact_in_every_row(export):
    con, truth = export
    at_cut = truth.with_columns(
        pending=pl.col("decision_on") > synth.AS_OF,
        withdrawn_by_then=pl.col("withdrawn") & (pl.col("decision_on") <= synth.AS_OF))
    want = at_cut.group_by("route", "month").agg(
        requests=pl.len(), pending=pl.col("pending").sum(),
        withdrawn=pl.col("withdrawn_by_then").sum())
    mart = con.sql("select route::varchar as route, month, requests, pending, withdrawn, "
                   "decided_share, provisional from route_outcomes_monthly").pl()
    joined = want.join(mart, on=["route", "month"], how="full", suffix="_mart")
    assert joined.height == mart.height == want.height  # every row on both sides
    rows = joined.to_dicts()
    for r in rows:
        assert (r["requests_mart"], r["pending_mart"], r["withdrawn_mart"]) == (
            r["requests"], r["pending"], r["withdrawn"])
        open_requests = r["requests"] - r["withdrawn"]
        assert r["provisional"] is (r["pending"] / open_requests > 0.05)
        assert r["decided_share"] == pytest.approx(1 - r["pending"] / open_requests)
    assert {r["provisional"] for r in rows} == {True, False}


def test_the_default_report_period_is_the_latest_settled_month(export):
    from pipelines.report.build import resolve_period

    con, truth = export
    status = stats.month_status(con)
    at_cut = truth.filter(~(pl.col("withdrawn") & (pl.col("decision_on") <= synth.AS_OF)))
    pending_share = dict(at_cut.group_by("month").agg(
        (pl.col("decision_on") > synth.AS_OF).mean()).iter_rows())
    assert dict(status.select("month", "provisional").iter_rows()) == {
        month: share > 0.05 for month, share in pending_share.items()}
    # May and June 2026 still have more than 5% pending: April is the default
    assert resolve_period(con, None, today=date(2026, 7, 2)).label == "2026-04"
    assert resolve_period(con, "2026-06").label == "2026-06"  # asking for one works


def scalar(con, query: str):
    return con.execute(query).fetchall()[0][0]
