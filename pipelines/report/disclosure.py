"""Which of a report's counts may be published: the cell system of every period.

A cell is (period label, dimension, value, class) -> count. Months are protected
each on its own, so a month's cells are suppressed the same way in every report
that shows that month. A quarter is protected together with its three months
(whose status is then fixed), so no quarter cell, combined with the monthly
reports of that quarter, reveals a suppressed month cell, and the reverse.
The suppression itself is pipelines.privacy.suppress_cells.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines import contract
from pipelines.privacy import suppress_cells
from pipelines.report.periods import Period, period_starting

OUTCOME_CLASSES = ("granted", "rejected", "withdrawn", "pending")
PLAN_CLASSES = ("completed", "active", "broken", "status_unknown")
SEGMENT_DIMENSIONS = ("documents_submitted", "broke_prior_agreement", "overdue_bucket",
                      "prior_overdues_bucket", "channel", "product", "region")
DIMENSIONS = ("*", "route", "granted_route", *SEGMENT_DIMENSIONS)


def classes_of(dimension: str) -> tuple[str, ...]:
    if dimension == "*":
        return (*OUTCOME_CLASSES, "decided", "requests", *PLAN_CLASSES)
    if dimension == "route":
        return (*OUTCOME_CLASSES, "decided", "requests")
    if dimension == "granted_route":
        return (*PLAN_CLASSES, "granted")
    return ("granted", "rejected", "decided")


def listed_values(dimension: str) -> tuple[str, ...]:
    """Values every period lists, with zeros when nobody had them (observed ones are added)."""
    u = contract.UNKNOWN
    return {
        "*": ("*",),
        "route": tuple(contract.ROUTES),
        "granted_route": (*contract.ROUTES, u),
        "documents_submitted": contract.DOCUMENTS_SUBMITTED,
        "broke_prior_agreement": ("true", "false", u),
        "overdue_bucket": contract.OVERDUE_BUCKETS,
        "prior_overdues_bucket": contract.PRIOR_OVERDUES_BUCKETS,
        "channel": (*contract.CHANNELS, u),
        "product": (*contract.PRODUCTS, u),
        "region": (u,),
    }[dimension]


def _node_relations(label: str, dimension: str, value: str) -> list[tuple]:
    k = lambda cls: (label, dimension, value, cls)  # noqa: E731
    have = classes_of(dimension)
    out = []
    if "decided" in have:
        out.append((k("decided"), [k("granted"), k("rejected")]))
    if "requests" in have:
        out.append((k("requests"), [k("decided"), k("withdrawn"), k("pending")]))
    if "completed" in have:
        out.append((k("granted"), [k(c) for c in PLAN_CLASSES]))
    return out


def _month_counts(frame: pl.DataFrame, month: date) -> dict:
    """Every cell of one month (classes derived, listed values filled with zeros)."""
    label = period_starting(month, 1).label
    rows = {(r["dimension"], r["value"]): r for r in frame.filter(pl.col("month") == month).to_dicts()}
    counts: dict = {}
    for dimension in DIMENSIONS:
        values = dict.fromkeys(listed_values(dimension))
        values.update(dict.fromkeys(sorted(v for d, v in rows if d == dimension)))
        for value in values:
            row = rows.get((dimension, value), {})
            base = {c: int(row.get(c) or 0) for c in (*OUTCOME_CLASSES, *PLAN_CLASSES)}
            base["decided"] = base["granted"] + base["rejected"]
            base["requests"] = base["decided"] + base["withdrawn"] + base["pending"]
            for cls in classes_of(dimension):
                counts[(label, dimension, value, cls)] = base[cls]
    return counts


def key_cells(counts: dict) -> frozenset:
    """The cells the key rates come from: approved and rejected (approval rate), completed,
    active and broken (broken share), and decided (approved + rejected: hidden alone it
    would be pinned, so hiding it costs the rate too). Complements avoid them while
    another cell will do."""
    rate_classes = {"granted", "rejected", "decided", "completed", "active", "broken"}
    return frozenset(k for k in counts if k[3] in rate_classes
                     and not (k[1] == "granted_route" and k[3] == "granted"))  # plans: a margin


def _relations(label: str, counts: dict) -> list[tuple]:
    """Node identities and, per dimension and class, the sum over values = the '*' cell."""
    nodes = sorted({(d, v) for (p, d, v, _c) in counts if p == label})
    relations = []
    for dimension, value in nodes:
        relations += _node_relations(label, dimension, value)
    for dimension in DIMENSIONS[1:]:
        values = [v for d, v in nodes if d == dimension]
        for cls in classes_of(dimension):
            relations.append(((label, "*", "*", cls), [(label, dimension, v, cls) for v in values]))
    return relations


def protect(frame: pl.DataFrame, periods: list[Period], threshold: int) -> dict:
    """cell -> count, or None when suppressed, for every cell of the given periods.

    frame: sql/report/period_cells.sql over a range covering every month of periods.
    """
    months = sorted({m for p in periods for m in p.month_starts})
    published: dict = {}
    month_counts = {}
    for month in months:
        counts = _month_counts(frame, month)
        month_counts[month] = counts
        hidden = suppress_cells(counts, _relations(period_starting(month, 1).label, counts), threshold,
                                key_cells=key_cells(counts))
        published.update({k: (None if k in hidden else n) for k, n in counts.items()})
    for period in periods:
        if not period.is_quarter:
            continue
        published.update(_protect_quarter(period, month_counts, published, threshold))
    return published


def _protect_quarter(period: Period, month_counts: dict, published: dict, threshold: int) -> dict:
    counts, fixed = {}, {}
    for month in period.month_starts:
        counts.update(month_counts[month])
        fixed.update({k: published[k] is None for k in month_counts[month]})
    month_labels = [period_starting(m, 1).label for m in period.month_starts]
    nodes = sorted({(d, v, c) for (_p, d, v, c) in counts})
    for dimension, value, cls in nodes:
        total, all_months_published = 0, True
        for label in month_labels:
            key = (label, dimension, value, cls)
            if key not in counts:  # not seen that month: a known zero
                counts[key], fixed[key] = 0, False
            total += counts[key]
            all_months_published &= not fixed[key]
        counts[(period.label, dimension, value, cls)] = total
        if all_months_published:  # the sum of published months is public anyway
            fixed[(period.label, dimension, value, cls)] = False
    relations = _relations(period.label, {k: n for k, n in counts.items() if k[0] == period.label})
    for dimension, value, cls in nodes:
        relations.append(((period.label, dimension, value, cls),
                          [(label, dimension, value, cls) for label in month_labels]))
    hidden = suppress_cells(counts, relations, threshold, fixed, key_cells=key_cells(counts))
    return {k: (None if k in hidden else n) for k, n in counts.items() if k[0] == period.label}


def published_frame(published: dict) -> pl.DataFrame:
    """One row per (period, dimension, value), one column per class; null = suppressed."""
    rows: dict = {}
    for (label, dimension, value, cls), n in published.items():
        rows.setdefault((label, dimension, value), {})[cls] = n
    all_classes = (*OUTCOME_CLASSES, "decided", "requests", *PLAN_CLASSES)
    records = [{"period": p, "dimension": d, "value": v, **{c: cells.get(c) for c in all_classes},
                "listed": {c: c in cells for c in all_classes}}
               for (p, d, v), cells in rows.items()]
    schema = {"period": pl.String, "dimension": pl.String, "value": pl.String,
              **{c: pl.Int64 for c in all_classes}}
    frame = pl.DataFrame([{k: r[k] for k in schema} for r in records], schema=schema)
    return frame.sort("period", "dimension", "value")
