"""The report's section 6: data quality (batches, quarantine reasons, unknown values)."""

from __future__ import annotations

from pipelines.privacy import is_primary
from pipelines.report.periods import Period
from pipelines.report.queries import frame, report_sql
from pipelines.report.render import COUNT, LABEL, RATE, TEXT, Section, Table
from pipelines.report.text import LANGS, t


def quality_section(con, period: Period, threshold: int) -> Section:
    section = Section("s6")
    batches_sql = report_sql("quality_batches", {})
    quarantine_sql = report_sql("quality_quarantine", {})
    unknown_sql = report_sql("quality_unknown", {"start": period.start, "end": period.end})
    batches = frame(con, batches_sql).to_dicts()
    reasons = frame(con, quarantine_sql).to_dicts()
    unknown = frame(con, unknown_sql).to_dicts()
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
