"""Benchmark: the periodic report over 10M cases, time by section.

Builds the cases directly in DuckDB SQL (hash-based pseudo-random columns, 2025-01..2026-06),
publishes, then times each stage of build_report for one month. The baseline is the
same report over a small database built the same way in the same run; ratios are
large/baseline. Run: .venv/bin/python benchmarks/report.py [--cases N] [--baseline N]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from pipelines import warehouse
from pipelines.config import Home
from pipelines.report import build, disclosure, model_section, queries, sections
from pipelines.report.periods import parse_period
from pipelines.report.quality_section import quality_section

CASES_SQL = """
insert into cases
select
    'B' || i as case_id, 'benchmark' as source, applied_on,
    case when o not in ('pending') then applied_on + (hash(i, 2) % 40)::int end as decided_on,
    ['revolving_credit', 'cash_loan', 'credit_card', 'consumer_loan'][1 + (hash(i, 3) % 4)::bigint] as product,
    ['installment', 'deferral', 'interest_waiver', 'interest_suspension', 'settlement', 'other']
        [1 + (hash(i, 4) % 6)::bigint] as route,
    case when (hash(i, 5) % 20)::bigint = 0 then null else
        ['app', 'hotline', 'online_chat', 'in_person', 'third_party', 'regulator'][1 + (hash(i, 5) % 6)::bigint] end,
    (hash(i, 6) % 100000)::decimal(18, 2), (hash(i, 7) % 365)::int, (hash(i, 8) % 6)::int,
    (hash(i, 9) % 60)::int, (hash(i, 10) % 7)::bigint = 0, null, (hash(i, 11) % 2)::bigint = 0, (hash(i, 12) % 3)::bigint = 0,
    (hash(i, 13) % 4)::bigint = 0, 1 + (hash(i, 14) % 36)::int, null,
    'R' || (hash(i, 15) % 31) as region, o as outcome,
    case when o in ('approved', 'partial') then
        ['installment', 'deferral', 'interest_waiver'][1 + (hash(i, 16) % 3)::bigint] end,
    null, case when o in ('approved', 'partial') and (hash(i, 17) % 2)::bigint = 0
        then (hash(i, 18) % 5000)::decimal(18, 2) end,
    case when o in ('approved', 'partial') then ['active', 'completed', 'broken'][1 + (hash(i, 19) % 3)::bigint] end,
    '0-30', '0', '1', 1
from (
    select i, date '2025-01-01' + (hash(i, 1) % 546)::int as applied_on,
        ['approved', 'approved', 'partial', 'rejected', 'rejected', 'withdrawn', 'pending']
            [1 + (hash(i, 20) % 7)::bigint] as o
    from range({n}) as t(i)
)
"""


def make_home(root: Path, cases: int) -> Home:
    home = Home.resolve(root)
    with warehouse.open_writer(home, "benchmark") as con:
        con.execute(CASES_SQL.format(n=cases))
        con.execute("update cases set overdue_bucket = overdue_bucket(overdue_days), "
                    "prior_overdues_bucket = prior_overdues_bucket(prior_overdues_12m), "
                    "documents_submitted = documents_submitted(doc_income_proof, doc_bank_statement, "
                    "doc_hardship_evidence)")
        warehouse.publish(home, con)
    return home


def timed_report(home: Home, label: str) -> dict[str, float]:
    times: dict[str, float] = {}

    @contextmanager
    def clock(name: str):
        t0 = time.perf_counter()
        yield
        times[name] = time.perf_counter() - t0

    period = parse_period(label)
    con = warehouse.connect_analysts(home)
    trend = build.trend_periods(period)
    compared = [period, period.previous, period.year_earlier]
    first = min(p.start for p in [*compared, *trend])
    with clock("query: period_cells"):
        cells = queries.frame(con, queries.report_sql("period_cells",
                                                      {"start": first, "end": period.end}))
    with clock("suppression"):
        published = disclosure.protect(cells, [*compared, *trend], 10)
        rates = queries.published_rates(con, disclosure.published_frame(published),
                                        queries.report_sql("period_rates", {}))
    with clock("route stats and provisional queries"):
        route_sql = queries.report_sql("period_route_stats",
                                       {"start": period.start, "end": period.end})
        route_stats = {r["route"]: r for r in queries.frame(con, route_sql).to_dicts()}
        queries.frame(con, queries.report_sql("period_provisional", {
            "start": min(trend[0].start, period.start), "end": period.end,
            "period_start": period.start}))
    with clock("1 headline (+ significance query)"):
        sections.headline(con, period, rates, route_stats, False)
    with clock("2 trends"):
        sections.trends(period, rates, trend, route_stats, set())
    with clock("3 segments"):
        sections.segments(period, rates)
    with clock("4+5 expectations and model"):
        model_section.expectations_section(home, 10)
        model_section.model_section(home, 10)
    with clock("6 data quality"):
        quality_section(con, period, 10)
    con.close()
    with clock("whole build_report (write both languages)"):
        build.build_report(home, label, "both")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--baseline", type=int, default=100_000)
    parser.add_argument("--period", default="2026-06")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        small = make_home(Path(tmp) / "small", args.baseline)
        print(f"baseline home ({args.baseline:,} cases) built in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        large = make_home(Path(tmp) / "large", args.cases)
        print(f"large home ({args.cases:,} cases) built in {time.perf_counter() - t0:.1f} s")
        base = timed_report(small, args.period)
        big = timed_report(large, args.period)
    print(f"{'section':45} {'baseline s':>10} {'large s':>10} {'ratio':>7}")
    for name in big:
        print(f"{name:45} {base[name]:10.2f} {big[name]:10.2f} {big[name] / base[name]:7.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
