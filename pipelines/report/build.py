"""Build the periodic report: reports/<period>/ from the analysts' database.

build_report(home, period, lang, threshold) is the one entry point (the Prefect flow
and `relief report` call it). It reads only data/relief.duckdb (read-only) and the
promoted model's metadata, so every figure is reproducible by a query on that
database; the SQL behind each figure (report.queries) is printed in the report's
method section. Here: choosing the period, running the queries, suppressing the
counts and assembling the sections (report.sections, report.model_section,
report.quality_section); report.writing writes the files.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

from pipelines import stats
from pipelines.config import Home
from pipelines.report import disclosure, model_section, sections
from pipelines.report.periods import (
    Period,
    add_months,
    default_period,
    parse_period,
    period_starting,
)
from pipelines.report.quality_section import quality_section
from pipelines.report.queries import frame, published_rates, report_sql
from pipelines.report.render import Section
from pipelines.report.text import LANGS, t
from pipelines.report.writing import write_report

__all__ = ["ReportError", "build_report", "collect", "resolve_period"]

TREND_MONTHS = 12


class ReportError(RuntimeError):
    """The report cannot be built (no database, no data for the period, bad option)."""


def build_report(home: Home | str | os.PathLike, period: str | None = None, lang: str = "both",
                 threshold: int = 10, now: datetime | None = None) -> Path:
    """Write reports/<period>/ and return its path."""
    from pipelines import warehouse

    home = home if isinstance(home, Home) else Home.resolve(home)
    if lang not in ("en", "zh", "both"):
        raise ReportError(f"lang must be en, zh or both, got {lang!r}")
    if threshold < 1:
        raise ReportError("the suppression threshold must be at least 1")
    langs = LANGS if lang == "both" else (lang,)
    try:
        con = warehouse.connect_analysts(home)
    except warehouse.NoAnalystsDatabase as exc:
        raise ReportError(str(exc)) from exc
    try:
        chosen = resolve_period(con, period)
        content = collect(con, home, chosen, threshold)
    finally:
        con.close()
    return write_report(home, chosen, content, langs, threshold, now)


def resolve_period(con, period: str | None, today: date | None = None) -> Period:
    if period:
        try:
            return parse_period(period)
        except ValueError as exc:
            raise ReportError(str(exc)) from exc
    newest = con.sql("select max(applied_on) from cases").fetchall()[0][0]
    chosen = default_period(newest, today or date.today(), stats.provisional_by_month(con))
    if chosen is None:
        raise ReportError("the analysts' database holds no cases: nothing to report")
    return chosen


def trend_periods(period: Period) -> list[Period]:
    """The months of the trend: the TREND_MONTHS months up to the period's last."""
    last = period.month_starts[-1]
    return [period_starting(add_months(last, -k), 1) for k in range(TREND_MONTHS - 1, -1, -1)]


def collect(con, home: Home, period: Period, threshold: int) -> dict:
    """Every section of the report (figures suppressed), as render.Section objects."""
    has = con.sql("select count(*) from cases where applied_on >= ? and applied_on < ?",
                  params=[period.start, period.end]).fetchall()[0][0]
    if not has:
        raise ReportError(f"no cases were applied for in {period.label}: nothing to report")
    trend = trend_periods(period)
    compared = [period, period.previous, period.year_earlier]
    first = min(p.start for p in [*compared, *trend])
    cells_sql = report_sql("period_cells", {"start": first, "end": period.end})
    cells = frame(con, cells_sql)
    published = disclosure.protect(cells, [*compared, *trend], threshold)
    counts = disclosure.published_frame(published)
    rates_sql = report_sql("period_rates", {})
    rates = published_rates(con, counts, rates_sql)
    route_sql = report_sql("period_route_stats", {"start": period.start, "end": period.end})
    route_stats = {r["route"]: r for r in frame(con, route_sql).to_dicts()}
    provisional_sql = report_sql("period_provisional", {
        "start": min(trend[0].start, period.start), "end": period.end, "period_start": period.start})
    provisional = frame(con, provisional_sql).to_dicts()
    provisional_months = {period_starting(r["month"], 1).label for r in provisional
                          if r["month"] is not None and r["provisional"]}
    period_provisional = any(r["provisional"] for r in provisional if r["month"] is None)
    built = [
        sections.headline(con, period, rates, route_stats, period_provisional),
        sections.trends(period, rates, trend, route_stats, provisional_months),
        sections.segments(period, rates),
        model_section.expectations_section(home, threshold),
        model_section.model_section(home, threshold),
        quality_section(con, period, threshold),
    ]
    built.append(method_section(threshold, cells_sql, rates_sql))
    built[0].code += [("period_route_stats", route_sql), ("period_provisional", provisional_sql)]
    banner = {lg: t(lg, "provisional_period", period=period.label) for lg in LANGS} \
        if period_provisional else None
    return {"sections": built, "stats": rates, "banner": banner}


def method_section(threshold: int, cells_sql: str, rates_sql: str) -> Section:
    """Section 7: how the figures were made; writing moves every section's SQL here."""
    section = Section("s7")
    for key in ("method_intro", "method_counts", "method_others"):
        section.paragraphs.append({lg: t(lg, key) for lg in LANGS})
    section.paragraphs.append({lg: t(lg, "suppression_method", threshold_less=threshold - 1) for lg in LANGS})
    section.code += [("period_cells", cells_sql), ("period_rates", rates_sql)]
    return section
