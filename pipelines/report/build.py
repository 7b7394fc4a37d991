"""Build the periodic report: reports/<period>/ from the analysts' database.

build_report(home, period, lang, threshold) is the one entry point (the Prefect flow
and `relief report` call it). It reads only data/relief.duckdb (read-only) and the
promoted model's metadata, so every figure is reproducible by a query on that
database; the SQL behind each figure is printed in the report's method section.
Output is written to a temporary folder and renamed into place.
"""

from __future__ import annotations

import csv
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from pipelines import formatting, stats
from pipelines.config import SQL_DIR, Home
from pipelines.report import charts, disclosure, model_section
from pipelines.report.periods import Period, default_period, parse_period, period_starting
from pipelines.report.render import (
    COUNT,
    DAYS,
    FLAG,
    LABEL,
    MONEY,
    NA,
    OPEN,
    RATE,
    TEXT,
    Section,
    Table,
    html_page,
    markdown,
    write_csv,
)
from pipelines.report.text import t, value_label

REPORT_SQL = SQL_DIR / "report"
LANGS = ("en", "zh")
TREND_MONTHS = 12


class ReportError(RuntimeError):
    """The report cannot be built (no database, no data for the period, bad option)."""


# --- queries -----------------------------------------------------------------------------


def report_sql(name: str, params: dict[str, date]) -> str:
    """sql/report/<name>.sql with its $parameters written in as date literals, so the
    text printed in the report is exactly the text that ran."""
    text = (REPORT_SQL / f"{name}.sql").read_text("utf-8")
    for key in sorted(params, key=len, reverse=True):
        text = text.replace(f"${key}", f"date '{params[key].isoformat()}'")
    return text.strip()


def _frame(con, sql: str) -> pl.DataFrame:
    return con.sql(sql).pl()


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


# --- the build ---------------------------------------------------------------------------


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


def collect(con, home: Home, period: Period, threshold: int) -> dict:
    """Every section of the report (figures suppressed), as render.Section objects."""
    has = con.sql("select count(*) from cases where applied_on >= ? and applied_on < ?",
                  params=[period.start, period.end]).fetchall()[0][0]
    if not has:
        raise ReportError(f"no cases were applied for in {period.label}: nothing to report")
    last_month = period.month_starts[-1]
    trend = [period_starting(m, 1) for m in _months_back(last_month, TREND_MONTHS)]
    compared = [period, period.previous, period.year_earlier]
    first = min(p.start for p in [*compared, *trend])
    cells_params = {"start": first, "end": period.end}
    cells_sql = report_sql("period_cells", cells_params)
    cells = _frame(con, cells_sql)
    published = disclosure.protect(cells, [*compared, *trend], threshold)
    counts = disclosure.published_frame(published)
    rates_sql = report_sql("period_rates", {})
    stats = _rates(con, counts, rates_sql)
    route_sql = report_sql("period_route_stats", {"start": period.start, "end": period.end})
    route_stats = {r["route"]: r for r in _frame(con, route_sql).to_dicts()}
    provisional_sql = report_sql("period_provisional", {
        "start": min(trend[0].start, period.start), "end": period.end, "period_start": period.start})
    provisional = _frame(con, provisional_sql).to_dicts()
    provisional_months = {period_starting(r["month"], 1).label for r in provisional
                          if r["month"] is not None and r["provisional"]}
    period_provisional = any(r["provisional"] for r in provisional if r["month"] is None)
    sections = [
        _headline(con, period, stats, route_stats, period_provisional),
        _trends(period, stats, trend, route_stats, provisional_months),
        _segments(period, stats),
        model_section.expectations_section(home, threshold),
        model_section.model_section(home, threshold),
        _quality(con, period, threshold),
    ]
    sections.append(_method(threshold, cells_sql, rates_sql))
    sections[0].code += [("period_route_stats", route_sql), ("period_provisional", provisional_sql)]
    banner = {lg: t(lg, "provisional_period", period=period.label) for lg in LANGS} \
        if period_provisional else None
    return {"sections": sections, "stats": stats, "banner": banner}


def _months_back(last: date, n: int) -> list[date]:
    from pipelines.report.periods import add_months

    return [add_months(last, -k) for k in range(n - 1, -1, -1)]


def _rates(con, counts: pl.DataFrame, rates_sql: str) -> pl.DataFrame:
    """sql/report/period_rates.sql over the published counts (registered for the query
    under the name it reads, published_counts)."""
    con.register("published_counts", counts)
    try:
        return _frame(con, rates_sql)
    finally:
        con.unregister("published_counts")


def _row(stats: pl.DataFrame, period: Period, dimension: str, value: str) -> dict:
    found = stats.filter((pl.col("period") == period.label) & (pl.col("dimension") == dimension)
                         & (pl.col("value") == value))
    row = found.to_dicts()[0] if len(found) else {}
    # a rate of nobody (its published counts all 0) does not exist: NA, not suppressed
    for rate, base in (("approval_rate", ("granted", "rejected")),
                       ("broken_share", ("completed", "active", "broken"))):
        if row and row.get(rate) is None and all(row.get(c) == 0 for c in base):
            row.update({rate: NA, f"{rate}_low": NA, f"{rate}_high": NA})
    return row


def _values(stats: pl.DataFrame, period: Period, dimension: str) -> list[str]:
    from pipelines.report.disclosure import listed_values

    seen = stats.filter((pl.col("period") == period.label) & (pl.col("dimension") == dimension))
    listed = list(listed_values(dimension))
    extra = sorted(v for v in seen["value"].to_list() if v not in listed)
    order = listed + extra
    if "unknown" in order:  # unknown last, as in the marts
        order = [v for v in order if v != "unknown"] + ["unknown"]
    return [v for v in order if v in set(seen["value"].to_list())]


def _pct(x) -> str:
    return formatting.percent(x)


# --- section 1 ---------------------------------------------------------------------------


def _km_shown(cur: dict) -> bool:
    """Kaplan-Meier times describe a route's decided and pending requests: shown when its
    requests and decisions are (a quantile of the group pins no small count, so a
    suppressed pending count does not hide it)."""
    return cur.get("decided") is not None and cur.get("requests") is not None


def _km_lead(period: Period, stats: pl.DataFrame, route_stats: dict) -> dict:
    """The headline's first words: how long a decision takes (Kaplan-Meier)."""
    every = route_stats.get("*", {})
    if not _km_shown(_row(stats, period, "*", "*")) or every.get("median_days_to_decision_km") is None:
        return {lg: t(lg, "km_lead_none") for lg in LANGS}
    p90 = every.get("p90_days_to_decision_km")
    return {lg: t(lg, "km_lead", median=formatting.days(every['median_days_to_decision_km']))
            + ("" if lg == "zh" else " ")  # Chinese sentences follow without a space
            + (t(lg, "km_lead_p90", p90=formatting.days(p90)) if p90 is not None
               else t(lg, "km_lead_p90_open")) for lg in LANGS}


def _headline(con, period: Period, stats: pl.DataFrame, route_stats: dict,
              period_provisional: bool) -> Section:
    section = Section("s1")
    section.paragraphs.append(_km_lead(period, stats, route_stats))
    routes = [*_values(stats, period, "route"), "*"]
    rows = []
    for route in routes:
        dim = "*" if route == "*" else "route"
        cur = _row(stats, period, dim, route)
        prev = _row(stats, period.previous, dim, route)
        year = _row(stats, period.year_earlier, dim, route)
        rows.append([route, route_stats.get(route, {}).get("provisional", False),
                     cur.get("requests"), cur.get("decided"), cur.get("granted"),
                     cur.get("approval_rate"), cur.get("approval_rate_low"), cur.get("approval_rate_high"),
                     prev.get("approval_rate"), prev.get("approval_rate_low"), prev.get("approval_rate_high"),
                     year.get("approval_rate"), year.get("approval_rate_low"),
                     year.get("approval_rate_high")])
    section.tables.append(Table(
        "headline", "headline_table",
        ["route", "provisional", "requests", "decided", "granted", "approval_rate",
         "approval_rate_low", "approval_rate_high", "previous_approval_rate",
         "previous_approval_rate_low", "previous_approval_rate_high", "year_earlier_approval_rate",
         "year_earlier_approval_rate_low", "year_earlier_approval_rate_high"],
        [LABEL, FLAG, COUNT, COUNT, COUNT, RATE, RATE, RATE, RATE, RATE, RATE, RATE, RATE, RATE],
        rows))
    if any(r[1] for r in rows):
        section.paragraphs.append({lg: t(lg, "provisional_rows") for lg in LANGS})
    outcome_rows = []
    for _role, p in (("period_current", period), ("period_previous", period.previous),
                    ("period_year_earlier", period.year_earlier)):
        for route in routes:
            r = _row(stats, p, "*" if route == "*" else "route", route)
            outcome_rows.append([p.label, route] + [r.get(c) for c in
                                ("requests", "granted", "rejected", "withdrawn", "pending", "decided")])
    section.tables.append(Table(
        "outcomes", "outcomes_table",
        ["period", "route", "requests", "granted", "rejected", "withdrawn", "pending", "decided"],
        [TEXT, LABEL, COUNT, COUNT, COUNT, COUNT, COUNT, COUNT], outcome_rows))
    # significant changes, in words (only where both rates are published)
    params = {"start": period.start, "end": period.end, "previous_start": period.previous.start,
              "previous_end": period.previous.end, "year_start": period.year_earlier.start,
              "year_end": period.year_earlier.end}
    comparison_sql = report_sql("period_comparison", params)
    tests = _frame(con, comparison_sql)
    said = []
    for test in tests.filter(pl.col("significant")).to_dicts():
        other = period.previous if test["comparison"] == "previous" else period.year_earlier
        new = _row(stats, period, "route", test["route"]).get("approval_rate")
        old = _row(stats, other, "route", test["route"]).get("approval_rate")
        if new is None or old is None:
            continue
        key = "sig_up" if new > old else "sig_down"
        when = "period_previous" if test["comparison"] == "previous" else "period_year_earlier"
        said.append({lg: t(lg, key, route=value_label(lg, test["route"]), old=_pct(old),
                           new=_pct(new), when=f"{t(lg, when)} ({other.label})")
                     + (" " + t(lg, "sig_provisional") if period_provisional else "")
                     for lg in LANGS})
    section.paragraphs += said or [{lg: t(lg, "no_sig") for lg in LANGS}]
    section.code.append(("period_comparison", comparison_sql))
    return section


# --- section 2 ---------------------------------------------------------------------------


def _trends(period: Period, stats: pl.DataFrame, trend: list[Period], route_stats: dict,
            provisional_months: set[str]) -> Section:
    section = Section("s2")
    routes = _values(stats, period, "route")
    monthly = []
    for route in routes:
        for p in trend:
            r = _row(stats, p, "route", route)
            monthly.append([p.label, p.label in provisional_months, route, r.get("decided"),
                            r.get("granted"), r.get("approval_rate"), r.get("approval_rate_low"),
                            r.get("approval_rate_high")])
    section.tables.append(Table("monthly_approval", "trend_title",
                                ["month", "provisional", "route", "decided", "granted",
                                 "approval_rate", "approval_rate_low", "approval_rate_high"],
                                [TEXT, FLAG, LABEL, COUNT, COUNT, RATE, RATE, RATE], monthly,
                                show=False))
    flags = [p.label in provisional_months for p in trend]
    labels = [p.label for p in trend]
    svg = {}
    for lg in LANGS:
        panels = []
        for route in routes:
            points = []
            for p in trend:
                r = _row(stats, p, "route", route)
                points.append(_triple(r))
            panels.append((value_label(lg, route), labels, points))
        svg[lg] = charts.rate_panels(t(lg, "trend_title"), panels, t(lg, "trend_gap"), flags,
                                     t(lg, "trend_provisional") if any(flags) else "")
    section.figures.append(("approval_trend", svg))

    ttd, waived = [], []
    for route in routes:
        cur = _row(stats, period, "route", route)
        rs = route_stats.get(route, {})
        shown = cur.get("decided") is not None and cur.get("granted") is not None \
            and cur.get("rejected") is not None
        km = _km_shown(cur)
        ttd.append([route, rs.get("provisional", False), cur.get("decided"),
                    _shown_figure(rs.get("median_days_to_decision_km"), km, open_ended=True),
                    _shown_figure(rs.get("p90_days_to_decision_km"), km, open_ended=True),
                    _shown_figure(rs.get("median_days_to_decision"), shown),
                    _shown_figure(rs.get("p90_days_to_decision"), shown)])
        granted_shown = cur.get("granted") is not None
        waived.append([route, cur.get("granted"),
                       _shown_figure(rs.get("median_waived_amount"), granted_shown)])
    section.tables.append(Table("time_to_decision", "ttd_title",
                                ["route", "provisional", "decided", "median_days_to_decision_km",
                                 "p90_days_to_decision_km", "median_days_to_decision",
                                 "p90_days_to_decision"],
                                [LABEL, FLAG, COUNT, DAYS, DAYS, DAYS, DAYS], ttd))
    section.figures.append(("time_to_decision", {lg: charts.bars(
        t(lg, "ttd_title"), [(value_label(lg, r[0]), _bar(lg, r[3]), _plotted(r[4])) for r in ttd],
        t(lg, "days"), t(lg, "marker"), t(lg, "ttd_note"), formatting.days) for lg in LANGS}))
    if any(r[1] for r in ttd):
        section.paragraphs.append({lg: t(lg, "provisional_rows") for lg in LANGS})
    section.tables.append(Table("relief_granted", "waived_title",
                                ["route", "granted", "median_waived_amount"],
                                [LABEL, COUNT, MONEY], waived))
    section.figures.append(("relief_granted", {lg: charts.bars(
        t(lg, "waived_title"), [(value_label(lg, r[0]), _bar(lg, r[2]), None) for r in waived],
        t(lg, "yuan"), t(lg, "marker"), printed=formatting.money) for lg in LANGS}))

    plan_rows = []
    for p in (period, period.year_earlier):
        for value in _values(stats, p, "granted_route"):
            r = _row(stats, p, "granted_route", value)
            plan_rows.append([p.label, value, r.get("granted"), r.get("completed"), r.get("active"),
                              r.get("broken"), r.get("status_unknown"), r.get("broken_share"),
                              r.get("broken_share_low"), r.get("broken_share_high")])
    section.tables.append(Table("plan_adherence", "plans_title",
                                ["period", "granted_route", "plans", "completed", "active", "broken",
                                 "status_unknown", "broken_share", "broken_share_low",
                                 "broken_share_high"],
                                [TEXT, LABEL, COUNT, COUNT, COUNT, COUNT, COUNT, RATE, RATE, RATE],
                                plan_rows))
    section.paragraphs.append({lg: t(lg, "plans_note") for lg in LANGS})
    # each bar: the shares of completed, active and broken among the plans of known
    # status (the broken share's base); a part that is suppressed leaves a grey gap
    bars = [(row, _plan_shares(row[3:7], row[2])) for row in plan_rows if row[2] != 0]
    if any(shares is not None for _row, shares in bars):
        section.figures.append(("plan_adherence", {lg: charts.stacked_shares(
            t(lg, "plans_title"),
            [(f"{row[0]} · {value_label(lg, row[1])}", shares) for row, shares in bars],
            [t(lg, "completed"), t(lg, "active"), t(lg, "broken")], t(lg, "marker"),
            t(lg, "hidden_parts")) for lg in LANGS}))
    else:
        section.paragraphs.append({lg: t(lg, "chart_all_suppressed", chart=t(lg, "plans_title"))
                                   for lg in LANGS})
    return section


# --- section 3 ---------------------------------------------------------------------------


def _segments(period: Period, stats: pl.DataFrame) -> Section:
    section = Section("s3")
    section.paragraphs.append({lg: t(lg, "segments_intro") for lg in LANGS})
    overall = _row(stats, period, "*", "*")
    agent = _row(stats, period, "channel", "third_party")
    section.paragraphs.append({lg: t(lg, "agents", agent=_interval_text(agent),
                                     overall=_interval_text(overall)) for lg in LANGS})
    rows = []
    for dimension in disclosure.SEGMENT_DIMENSIONS:
        values = _values(stats, period, dimension)
        for value in values:
            r = _row(stats, period, dimension, value)
            rows.append([dimension, value, r.get("decided"), r.get("granted"), r.get("approval_rate"),
                         r.get("approval_rate_low"), r.get("approval_rate_high")])
        dots = [(value, _triple(_row(stats, period, dimension, value))) for value in values]
        if all(d is None for _v, d in dots):
            section.paragraphs.append({lg: t(lg, "chart_all_suppressed", chart=t(lg, f"seg_{dimension}"))
                                       for lg in LANGS})
            continue
        section.figures.append((f"segment_{dimension}", {lg: charts.interval_dots(
            t(lg, f"seg_{dimension}"), [(value_label(lg, v), d) for v, d in dots], t(lg, "marker"),
            t(lg, "approval_rate")) for lg in LANGS}))
    section.tables.append(Table("segments", "s3",
                                ["segment", "value", "decided", "granted", "approval_rate",
                                 "approval_rate_low", "approval_rate_high"],
                                [LABEL, LABEL, COUNT, COUNT, RATE, RATE, RATE], rows,
                                collapsed=True))
    return section


def _plan_shares(parts: list, plans) -> list[float | None] | None:
    """Shares of completed, active and broken among the plans of known status (the broken
    share's base); a suppressed part is None (drawn as part of a grey remainder). None
    when the base itself cannot be told."""
    completed, active, broken, status_unknown = parts
    shown = [completed, active, broken]
    if all(v is not None for v in shown):
        known = sum(shown)
    elif plans is not None and status_unknown is not None:
        known = plans - status_unknown
    else:
        return None
    if not known or all(v is None for v in shown):
        return None
    return [None if v is None else v / known for v in shown]


def _shown_figure(value, counts_shown: bool, open_ended: bool = False):
    """A median of published counts; NA when there is nothing to take it of (for a
    Kaplan-Meier time: OPEN, the estimate has not reached it yet)."""
    if not counts_shown:
        return None
    if value is None:
        return OPEN if open_ended else NA
    return value


def _bar(lang: str, value):
    """A bar chart's value: the number, None (suppressed) or the words for no figure."""
    if value is NA:
        return "—"
    if value is OPEN:
        return t(lang, "not_reached")
    return value


def _plotted(value) -> float | None:
    """A number a chart can draw (suppressed and NA figures leave a gap)."""
    return value if isinstance(value, int | float) else None


def _triple(r: dict):
    return None if _plotted(r.get("approval_rate")) is None else (
        r["approval_rate"], r["approval_rate_low"], r["approval_rate_high"])


def _interval_text(r: dict) -> str:
    if _plotted(r.get("approval_rate")) is None:
        return "—"
    rate, low, high = formatting.rate_and_interval(r["approval_rate"], r["approval_rate_low"],
                                                   r["approval_rate_high"])
    return f"{rate} ({low}–{high})"


# --- section 6 ---------------------------------------------------------------------------


def _quality(con, period: Period, threshold: int) -> Section:
    from pipelines.privacy import is_primary

    section = Section("s6")
    batches_sql = report_sql("quality_batches", {})
    quarantine_sql = report_sql("quality_quarantine", {})
    unknown_sql = report_sql("quality_unknown", {"start": period.start, "end": period.end})
    batches = _frame(con, batches_sql).to_dicts()
    reasons = _frame(con, quarantine_sql).to_dicts()
    unknown = _frame(con, unknown_sql).to_dicts()
    parts = ("rows_loaded", "rows_quarantined", "rows_skipped")
    # Batch and quarantine counts describe files (rows read, loaded, set aside per rule),
    # not people: published as they are. Unknown values count the period's requests:
    # suppressed when small (no relation links them, so no complement is needed).
    counts = {("all", c): sum(int(b[c]) for b in batches) for c in ("rows_read", *parts)}
    for u in unknown:
        counts[("unknown", u["column_name"])] = int(u["unknown"])
    hidden = {k for k, n in counts.items() if k[0] == "unknown" and is_primary(n, threshold)}
    shown = lambda k: None if k in hidden else counts[k]  # noqa: E731
    rows = [[b["batch_id"], b["ingested_on"], b["source"], b["status"]]
            + [int(b[c]) for c in ("rows_read", *parts)] for b in batches]
    rows.append(["*", "", "", ""] + [shown(("all", c)) for c in ("rows_read", *parts)])
    section.tables.append(Table("batches", "batches",
                                ["batch_id", "ingested_on", "source", "status", "rows_read",
                                 "rows_loaded", "rows_quarantined", "rows_skipped"],
                                [TEXT, TEXT, LABEL, LABEL, COUNT, COUNT, COUNT, COUNT], rows))
    if reasons:
        section.tables.append(Table("quarantine", "quarantine_title",
                                    ["column_name", "rule", "quarantined_rows"], [LABEL, LABEL, COUNT],
                                    [[r["column_name"], r["rule"], int(r["quarantined_rows"])]
                                     for r in reasons]))
    else:
        section.paragraphs.append({lg: t(lg, "none_quarantined") for lg in LANGS})
    unknown_rows = []
    for u in unknown:
        n = shown(("unknown", u["column_name"]))
        unknown_rows.append([u["column_name"], n, None if n is None or not u["cases"]
                             else n / u["cases"]])
    section.tables.append(Table("unknown_values", "unknown_title",
                                ["column_name", "unknown", "unknown_share"], [LABEL, COUNT, RATE],
                                unknown_rows))
    section.code += [("quality_batches", batches_sql), ("quality_quarantine", quarantine_sql),
                     ("quality_unknown", unknown_sql)]
    return section


# --- section 7 ---------------------------------------------------------------------------


def _method(threshold: int, cells_sql: str, rates_sql: str) -> Section:
    section = Section("s7")
    for key in ("method_intro", "method_counts", "method_others"):
        section.paragraphs.append({lg: t(lg, key) for lg in LANGS})
    section.paragraphs.append({lg: t(lg, "suppression_method", threshold_less=threshold - 1) for lg in LANGS})
    section.code += [("period_cells", cells_sql), ("period_rates", rates_sql)]
    return section


# --- writing -----------------------------------------------------------------------------


def write_report(home: Home, period: Period, content: dict, langs: tuple[str, ...], threshold: int,
                 now: datetime | None = None) -> Path:
    """Write every file into a temporary folder, then rename it over reports/<period>/."""
    sections = _moved_code(content["sections"])
    home.reports.mkdir(parents=True, exist_ok=True)
    target = home.reports / period.label
    tmp = home.reports / f".tmp-{period.label}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "tables").mkdir(parents=True)
    (tmp / "figures").mkdir()
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for section in sections:
        for table in section.tables:
            (tmp / "tables" / f"{table.name}.csv").write_bytes(write_csv(table))
        for name, svg in section.figures:
            for lg in langs:
                (tmp / "figures" / f"{name}.{lg}.svg").write_text(svg[lg], "utf-8")
    kept = _keep_other_languages(target, tmp, langs)
    present = (*langs, *kept)
    for lg in langs:
        other = next((x for x in LANGS if x != lg and x in present), None)
        title = t(lg, "title", period=period.label)
        generated = t(lg, "generated", when=when)
        intro = [t(lg, "intro"), t(lg, "suppression_note", threshold_less=threshold - 1,
                                        marker=t(lg, "marker"))]
        banner = content["banner"][lg] if content.get("banner") else None
        (tmp / HTML_NAMES[lg]).write_text(html_page(
            lg, title, generated, intro, sections, HTML_NAMES[other] if other else None, banner),
            "utf-8")
        (tmp / MD_NAMES[lg]).write_text(markdown(
            lg, title, generated, intro, sections, MD_NAMES[other] if other else None, banner),
            "utf-8")
    old = home.reports / f".old-{period.label}-{os.getpid()}"
    if target.exists():
        os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    return target


HTML_NAMES = {"en": "index.html", "zh": "index.zh.html"}
MD_NAMES = {"en": "report.md", "zh": "report.zh.md"}


def _keep_other_languages(target: Path, tmp: Path, langs: tuple[str, ...]) -> list[str]:
    """Copy the pages and figures of languages not being written from the report
    already at target (a report in one language never removes the other's files).
    Returns the languages kept."""
    kept = []
    for lg in LANGS:
        if lg in langs or not (target / HTML_NAMES[lg]).exists():
            continue
        kept.append(lg)
        for name in (HTML_NAMES[lg], MD_NAMES[lg]):
            if (target / name).exists():
                shutil.copy2(target / name, tmp / name)
        for svg in (target / "figures").glob(f"*.{lg}.svg"):
            shutil.copy2(svg, tmp / "figures" / svg.name)
    return kept


def _moved_code(sections: list[Section]) -> list[Section]:
    """All SQL goes to the method section (the last one), each under its query name."""
    method = sections[-1]
    code = [c for s in sections for c in s.code]
    for s in sections[:-1]:
        s.code = []
    method.code = [(f"sql/report/{name}.sql", sql) for name, sql in code]
    return sections


# --- for the flow ------------------------------------------------------------------------


def headline_markdown(report_dir: Path, lang: str = "en") -> str:
    """The headline table of a written report, as Markdown, with the report's path
    (for the Prefect markdown artifact)."""
    with open(report_dir / "tables" / "headline.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    keep = ["route", "requests", "decided", "granted", "approval_rate", "approval_rate_low",
            "approval_rate_high"]
    idx = [header.index(c) for c in keep]
    lines = [f"Report: `{report_dir}`", "",
             "| route | requests | decided | approved | approval rate (95% interval) |",
             "|---|---|---|---|---|"]
    for r in body:
        v = [r[i] for i in idx]
        if v[4] in ("suppressed", ""):  # suppressed, or a rate of nobody
            rate = v[4] or "—"
        else:
            shown, low, high = formatting.rate_and_interval(float(v[4]), float(v[5]), float(v[6]))
            rate = f"{shown} ({low}–{high})"
        lines.append(f"| {value_label(lang, v[0])} | {v[1]} | {v[2]} | {v[3]} | {rate} |")
    return "\n".join(lines) + "\n"
