"""The report's queries: sql/report/<name>.sql with its parameters written in, run on
the analysts' database. The text returned is exactly the text that runs, so the
method section prints what produced every figure."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.config import SQL_DIR

REPORT_SQL = SQL_DIR / "report"


def report_sql(name: str, params: dict[str, date]) -> str:
    """sql/report/<name>.sql with its $parameters written in as date literals, so the
    text printed in the report is exactly the text that ran."""
    text = (REPORT_SQL / f"{name}.sql").read_text("utf-8")
    for key in sorted(params, key=len, reverse=True):
        text = text.replace(f"${key}", f"date '{params[key].isoformat()}'")
    return text.strip()


def frame(con, sql: str) -> pl.DataFrame:
    """A query's rows as a polars frame."""
    return con.sql(sql).pl()


def published_rates(con, counts: pl.DataFrame, rates_sql: str) -> pl.DataFrame:
    """sql/report/period_rates.sql over the published counts (registered for the query
    under the name it reads, published_counts)."""
    con.register("published_counts", counts)
    try:
        return frame(con, rates_sql)
    finally:
        con.unregister("published_counts")
