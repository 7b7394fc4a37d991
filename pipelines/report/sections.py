"""The report's sections 1 to 3 (headline, trends, segments), from the published
counts and their rates (figures already suppressed) and the per-route statistics.

Every figure here is a cell of the published frame (period_rates over
disclosure.protect's counts) or a row of period_route_stats shown only when the
counts it describes are published.
"""

from __future__ import annotations

import polars as pl

from pipelines import formatting
from pipelines.report import charts, disclosure
from pipelines.report.periods import Period
from pipelines.report.queries import frame, report_sql
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
)
from pipelines.report.text import LANGS, t, value_label


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
    seen = stats.filter((pl.col("period") == period.label) & (pl.col("dimension") == dimension))
    listed = list(disclosure.listed_values(dimension))
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


def headline(con, period: Period, stats: pl.DataFrame, route_stats: dict,
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
    tests = frame(con, comparison_sql)
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


def trends(period: Period, stats: pl.DataFrame, trend: list[Period], route_stats: dict,
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
    bars = [(row, plan_shares(row[3:7], row[2])) for row in plan_rows if row[2] != 0]
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


def segments(period: Period, stats: pl.DataFrame) -> Section:
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


def plan_shares(parts: list, plans) -> list[float | None] | None:
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
