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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb
import polars as pl

from pipelines import contract, formatting, warehouse
from pipelines.config import SQL_DIR, Home
from pipelines.privacy import error_line

# The marts, one table per sql/marts/*.sql file, named after the file.
MART_NAMES: tuple[str, ...] = tuple(warehouse.mart_definitions())

MONTH_STATUS_SQL = SQL_DIR / "stats" / "month_status.sql"

# Statements `relief sql` runs; anything else could write (to this database, an
# attached one, a file, the settings) and is refused before it runs.
READ_ONLY_STATEMENTS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)

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
        raise ReadOnlyQueryRefused(f"cannot parse the query: {error_line(exc)}") from None
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
            raise ReadOnlyQueryRefused(error_line(exc)) from None
    finally:
        con.close()


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


@dataclass(frozen=True)
class Table:
    """A table as text, ready for formatting.print_table."""

    headers: list[str]
    rows: list[list[str]]
    aligns: list[str]
    title: str | None = None
    notes: tuple[str, ...] = ()

    def print(self, file=None) -> None:
        formatting.print_table(self.headers, self.rows, self.aligns, self.title, self.notes, file)


PROVISIONAL_MARK = "provisional"


def outcome_display(
    con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, by: str | None = None,
    month: date | None = None,
) -> Table:
    """What `relief stats` prints (--json gives every column): keys, counts, the
    Kaplan-Meier decision times first, the rate with its interval, waived amount and
    broken share; provisional rows marked, and notes saying what both mean."""
    as_of = con.sql("select data_as_of()").fetchall()[0][0]
    keys = [c for c in ("segment_value", "month", "route") if c in frame.columns]
    headers = [*keys, "asked", "decided", "days p50/p90", "granted", "95% CI", "waived p50",
               "broken", "note"]
    rows = []
    for r in frame.iter_rows(named=True):
        rate, low, high = formatting.rate_and_interval(
            r["approval_rate"], r["approval_rate_low"], r["approval_rate_high"])
        ci = formatting.MISSING if low == formatting.MISSING else f"{low}–{high}"
        rows.append([
            *(formatting.MISSING if r[k] is None else str(r[k]) for k in keys),
            formatting.count(r["requests"]),
            formatting.percent(r["decided_share"], 0),
            f"{formatting.days(r['median_days_to_decision_km'])}/"
            f"{formatting.days(r['p90_days_to_decision_km'])}",
            rate, ci,
            formatting.money(r["median_waived_amount"]),
            formatting.percent(r["broken_plan_share"]),
            PROVISIONAL_MARK if r["provisional"] else "",
        ])
    title = "outcomes per relief route" + (f", by {by}" if by else "")
    if month is not None:
        status = month_status(con).filter(pl.col("month") == month)
        title += f", applied in {month:%Y-%m}"
        if status.height and status["provisional"].item():
            title += (f" (provisional: {formatting.percent(1 - status['decided_share'].item(), 0)}"
                      " of its requests still pending)")
    notes = [
        "decided: share of the non-withdrawn requests decided by "
        f"{as_of or formatting.MISSING}, the data's latest date.",
        "days p50/p90: Kaplan-Meier estimates of days from request to decision, a request "
        f"still pending counted as waiting until then; {formatting.MISSING} while too many "
        "are pending to tell.",
    ]
    if any(row[-1] for row in rows):
        notes.append(
            f"{PROVISIONAL_MARK}: more than 5% of the row's non-withdrawn requests are still "
            "pending; its rate and times may still move (decided-only times: --json).")
    aligns = ["left"] * len(keys) + ["right"] * 7 + ["left"]
    return Table(headers, rows, aligns, title, tuple(notes))


def query_display(frame: pl.DataFrame) -> Table:
    """What `relief sql` prints in table format: every column, each value as
    formatting.column_texts prints it."""
    texts, aligns = formatting.column_texts(frame.to_dict(as_series=False))
    headers = list(texts)
    rows = [list(row) for row in zip(*texts.values(), strict=True)] if headers else []
    return Table(headers, rows, [aligns[h] for h in headers])
