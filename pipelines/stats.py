"""Outcome statistics per relief route: read the marts, return frames.

The marts are tables (sql/marts/*.sql, one per file) that warehouse.publish
materializes whenever the cases changed, so every published copy's statistics
describe its own cases. `refresh` republishes the working database (materializing
the marts first if anything changed) when no pipeline command holds the writer
lock, and otherwise leaves the last published copy as it is (it is consistent by
construction).

Everything here reads through a connection the caller opens (usually
warehouse.connect_analysts, read-only). No Prefect here: `relief stats` and
`relief sql` are interactive commands.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import duckdb
import polars as pl

from pipelines import contract, warehouse
from pipelines.config import SQL_DIR, Home

# The marts, one table per sql/marts/*.sql file, named after the file.
MART_NAMES: tuple[str, ...] = tuple(warehouse.mart_definitions())

MONTH_STATUS_SQL = SQL_DIR / "stats" / "month_status.sql"

# Statements `relief sql` runs; anything else could write (to this database, an
# attached one, a file, the settings) and is refused before it runs.
READ_ONLY_STATEMENTS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)

# What `relief stats` shows on a terminal (--json gives every column).
DISPLAY_COLUMNS = (
    "requests", "decided", "approval_rate", "approval_rate_low", "approval_rate_high",
    "median_days_to_decision", "p90_days_to_decision", "median_waived_amount",
    "broken_plan_share",
)


class ReadOnlyQueryRefused(ValueError):
    """A query given to `relief sql` would write, or is not SQL DuckDB can parse."""


# --- reading marts -----------------------------------------------------------------


def read_mart(con: duckdb.DuckDBPyConnection, name: str, **equal_to) -> pl.DataFrame:
    """All rows of one mart (in the mart's own order), optionally where column = value."""
    if name not in MART_NAMES:
        raise ValueError(f"no mart named {name!r}; marts: {', '.join(MART_NAMES)}")
    relation = con.table(name)
    for column, value in equal_to.items():
        relation = relation.filter(
            duckdb.ColumnExpression(column) == duckdb.ConstantExpression(value)
        )
    return relation.pl()


def route_outcomes(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per contract route (zeros and null rates for routes without cases)."""
    return read_mart(con, "route_outcomes")


def route_outcomes_monthly(con: duckdb.DuckDBPyConnection, month: date | None = None) -> pl.DataFrame:
    """One row per route and month of applied_on; only `month` when given."""
    if month is None:
        return read_mart(con, "route_outcomes_monthly")
    return read_mart(con, "route_outcomes_monthly", month=month)


def route_outcomes_by_segment(
    con: duckdb.DuckDBPyConnection, segment: str | None = None
) -> pl.DataFrame:
    """One row per segment, segment value and route; only `segment` when given."""
    if segment is None:
        return read_mart(con, "route_outcomes_by_segment")
    check_segment(segment)
    return read_mart(con, "route_outcomes_by_segment", segment=segment)


def period_change(con: duckdb.DuckDBPyConnection, month: date | None = None) -> pl.DataFrame:
    """Each route's approval rate against the previous month and a year earlier."""
    if month is None:
        return read_mart(con, "period_change")
    return read_mart(con, "period_change", month=month)


def route_switches(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read_mart(con, "route_switches")


def plan_adherence(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read_mart(con, "plan_adherence")


def month_status(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per month with every route together: requests, decided, withdrawn,
    pending, decided_share and provisional (sql/stats/month_status.sql)."""
    return con.sql(MONTH_STATUS_SQL.read_text("utf-8")).pl()


def provisional_by_month(con: duckdb.DuckDBPyConnection) -> dict[date, bool]:
    """month -> provisional (more than 5% of its non-withdrawn requests pending,
    all routes together), for every month of route_outcomes_monthly."""
    return dict(month_status(con).select("month", "provisional").iter_rows())


def check_segment(segment: str) -> None:
    if segment not in contract.SEGMENTS:
        raise ValueError(
            f"unknown segment {segment!r}; choose one of: {', '.join(contract.SEGMENTS)}"
        )


def parse_month(text: str) -> date:
    """'YYYY-MM' -> the first day of that month."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def outcome_table(
    con: duckdb.DuckDBPyConnection, by: str | None = None, month: date | None = None
) -> pl.DataFrame:
    """What `relief stats` prints: per route; per route and value of one segment
    (by); or per route for one month (month). The by-segment mart has no month,
    so by and month together are refused rather than silently ignoring one."""
    if by is not None and month is not None:
        raise ValueError(
            "--by and --month cannot be combined: route_outcomes_by_segment covers all "
            "months; query route_outcomes_monthly or use `relief sql` on cases"
        )
    if by is not None:
        return route_outcomes_by_segment(con, by)
    if month is not None:
        return route_outcomes_monthly(con, month)
    return route_outcomes(con)


# --- refreshing the analysts' copy -------------------------------------------------


def refresh(home: Home) -> bool:
    """Republish the analysts' copy with current marts, if nobody is writing.

    Returns True when it published. Never waits: when a pipeline command holds
    the writer lock (or nothing was ever ingested) the published copy stays as is
    and the caller reads that.
    """
    if not home.warehouse.exists():
        return False
    try:
        with warehouse.writer_lock(home, "relief stats", wait_seconds=0):
            con = warehouse.connect_working(home)
            try:
                warehouse.publish(home, con)
            finally:
                con.close()
    except warehouse.WriterBusy:
        return False
    return True


# --- read-only queries for analysts --------------------------------------------------


def check_read_only(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse anything but SELECT / EXPLAIN statements (raises ReadOnlyQueryRefused)."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise ReadOnlyQueryRefused(f"cannot parse the query: {_first_line(exc)}") from None
    if not statements:
        raise ReadOnlyQueryRefused("the query is empty")
    for statement in statements:
        if statement.type not in READ_ONLY_STATEMENTS:
            kind = statement.type.name
            raise ReadOnlyQueryRefused(
                f"the analysts' database is read-only: {kind} statements are not allowed "
                "(only SELECT, WITH ... SELECT, DESCRIBE, SHOW, SUMMARIZE and EXPLAIN)"
            )


def run_read_only(home: Home, query: str) -> pl.DataFrame:
    """Run an analyst's query on data/relief.duckdb, read-only; the last statement's rows."""
    con = warehouse.connect_analysts(home)
    try:
        check_read_only(con, query)
        result = None
        try:
            for statement in con.extract_statements(query):
                result = con.sql(statement.query)
            return result.pl() if result is not None else pl.DataFrame()
        except duckdb.Error as exc:
            raise ReadOnlyQueryRefused(_first_line(exc)) from None
    finally:
        con.close()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --- presenting frames ------------------------------------------------------------


def frame_records(frame: pl.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: decimals become floats, dates ISO strings, nulls None."""
    out = []
    for row in frame.to_dicts():
        out.append({key: _json_value(value) for key, value in row.items()})
    return out


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def display_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """What `relief stats` shows on a terminal: keys, counts, the rate with its
    interval, times and amounts, as short text columns that fit 80 characters."""
    keys = [c for c in ("segment_value", "month", "route") if c in frame.columns]
    return frame.select(
        *[pl.col(c).cast(pl.String) for c in keys],
        pl.col("requests").cast(pl.String).alias("asked"),
        pl.col("decided").cast(pl.String),
        _percent(pl.col("approval_rate")).alias("granted"),
        pl.format("{}–{}", _percent(pl.col("approval_rate_low"), 0),
                  _percent(pl.col("approval_rate_high"), 0)).alias("95% CI"),
        pl.format("{}/{}", pl.col("median_days_to_decision").round(0).cast(pl.Int64),
                  pl.col("p90_days_to_decision").round(0).cast(pl.Int64)).alias("days p50/p90"),
        pl.col("median_waived_amount").round(0).cast(pl.Int64).cast(pl.String)
        .alias("waived p50"),
        _percent(pl.col("broken_plan_share")).alias("broken"),
    ).fill_null("–")


def _percent(expr: pl.Expr, decimals: int = 1) -> pl.Expr:
    return (expr * 100).round(decimals).cast(pl.String) + "%"


def rich_table(frame: pl.DataFrame, title: str | None = None):
    """A rich Table of a frame: rates as percentages, nulls as '–'."""
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    keys = ("route", "segment", "segment_value", "month")
    for name, dtype in frame.schema.items():
        numeric = dtype.is_numeric() or (dtype == pl.String and name not in keys)
        table.add_column(name, justify="right" if numeric else "left", no_wrap=name in keys)
    rate_like = {c for c in frame.columns if c.endswith(("_rate", "_rate_low", "_rate_high", "_share"))}
    for row in frame.iter_rows(named=True):
        table.add_row(*(_cell(value, name in rate_like) for name, value in row.items()))
    return table


def _cell(value, is_rate: bool) -> str:
    if value is None:
        return "–"
    if is_rate and isinstance(value, float):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)
