"""The report's queries: parameters written in as date literals (the printed text is the
text that ran), and the published counts read under the name period_rates expects."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from pipelines import warehouse
from pipelines.report.queries import REPORT_SQL, published_rates, report_sql


def test_parameters_become_date_literals_and_nothing_is_left_unbound():
    sql = report_sql("period_comparison", {
        "start": date(2026, 6, 1), "end": date(2026, 7, 1), "previous_start": date(2026, 5, 1),
        "previous_end": date(2026, 6, 1), "year_start": date(2025, 6, 1),
        "year_end": date(2025, 7, 1)})
    assert "$" not in sql
    assert "month >= date '2026-06-01' and month < date '2026-07-01'" in sql
    # $previous_start is not mistaken for $previous followed by _start
    assert "month >= date '2026-05-01'" in sql


def test_every_report_query_is_a_file_ending_in_final():
    for path in sorted(REPORT_SQL.glob("*.sql")):
        assert path.read_text("utf-8").rstrip().endswith("select * from final"), path.name


def test_rates_are_computed_from_the_published_counts_only():
    con = duckdb.connect()
    warehouse.migrate(con)
    counts = pl.DataFrame({
        "period": ["2026-06", "2026-06"], "dimension": ["*", "route"], "value": ["*", "deferral"],
        "granted": [30, None], "rejected": [10, 12], "withdrawn": [1, 2], "pending": [0, 0],
        "completed": [5, 1], "active": [5, 1], "broken": [10, None], "status_unknown": [10, 0]})
    rates = {r["value"]: r for r in published_rates(con, counts, report_sql("period_rates", {}))
             .to_dicts()}
    assert rates["*"]["approval_rate"] == 0.75
    assert rates["*"]["broken_share"] == 0.5
    assert rates["deferral"]["approval_rate"] is None  # its granted count is hidden
    assert rates["deferral"]["broken_share"] is None
    # the frame is registered only while the query runs
    assert "published_counts" not in {r[0] for r in con.execute("show tables").fetchall()}
