"""All statistics marts against hand-written baselines over the same cases.

    .venv/bin/python benchmarks/stats.py [--cases 1000000 10000000] [--repeat 3]

Cases are generated inside DuckDB (benchmarks/stats_cases.sql) into an in-memory,
migrated warehouse. For each size it times, in the same run:
- baseline: `select route, count(*) from cases group by route` (the brief's query);
- handwritten: one hand-written group-by-route query with route_outcomes' columns;
- each mart as analysts query it (`select * from <mart>`: the marts are tables,
  materialized when the cases change), and their sum: the target, all marts
  together at most 3x the baseline;
- the refresh that materializes them (warehouse.refresh_marts: the facts layer, then
  all six marts, in one transaction), paid once per publish that follows new cases;
  and each fact's and each mart's query computed on its own (the marts from the
  facts), to show where the refresh time goes.
Best of --repeat runs each. Wall time on a shared machine swings with other work,
so the CPU time of this process (all DuckDB threads) is printed too, with its own
ratio to the baseline's CPU time: steadier for comparing two runs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

from pipelines import warehouse

HERE = Path(__file__).resolve().parent
BASELINE = "select route, count(*) from cases group by route"
HANDWRITTEN = (
    "select route, count(*), count_if(outcome in ('approved', 'partial', 'rejected')), "
    "count_if(outcome in ('approved', 'partial')), "
    "quantile_cont(decided_on - applied_on, [0.5, 0.9]), "
    "quantile_cont(waived_amount::double, 0.5) from cases group by route"
)


def best_call(call, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best process CPU seconds of `repeat` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_started)
    return min(walls), min(cpus)


def best_time(con: duckdb.DuckDBPyConnection, query: str, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best process CPU seconds of `repeat` full runs of a query."""
    return best_call(lambda: con.execute(query).fetchall(), repeat)


def run(cases: int, repeat: int) -> dict[str, tuple[float, float]]:
    con = duckdb.connect()
    warehouse.migrate(con)
    definitions = warehouse.mart_definitions()
    started = time.perf_counter()
    con.execute((HERE / "stats_cases.sql").read_text("utf-8").replace("$n", str(cases)))
    print(f"\n{cases:,} cases generated in {time.perf_counter() - started:.1f} s")
    timings = {"baseline": best_time(con, BASELINE, repeat),
               "handwritten": best_time(con, HANDWRITTEN, repeat)}
    # the marts read the facts layer, so it is built once first; each fact and each
    # mart is then timed on its own (a view's cost is paid by what reads it)
    warehouse.refresh_marts(con, force=True)
    for name, query in warehouse.facts_definitions().items():
        timings[f"compute fact {name}"] = best_time(con, f"select * from ({query})", repeat)
    for name, query in definitions.items():
        timings[f"compute {name}"] = best_time(con, f"select * from ({query})", repeat)
    timings["refresh (all marts)"] = best_call(
        lambda: warehouse.refresh_marts(con, force=True), repeat)
    for name in definitions:
        timings[f"read {name}"] = best_time(con, f"select * from {name}", repeat)
    con.close()
    reads = [timings[f"read {name}"] for name in definitions]
    timings["all marts (read)"] = (sum(w for w, _ in reads), sum(c for _, c in reads))
    base_wall, base_cpu = timings["baseline"]
    hand_wall = timings["handwritten"][0]
    for name, (wall, cpu) in timings.items():
        print(f"  {name:36s} {wall:8.3f} s   {wall / base_wall:7.1f}x baseline"
              f"   {wall / hand_wall:6.1f}x handwritten"
              f"   cpu {cpu:7.3f} s {cpu / base_cpu:7.1f}x baseline cpu")
    ratio = timings["all marts (read)"][0] / base_wall
    cpu_ratio = timings["all marts (read)"][1] / base_cpu
    print(f"  all marts as analysts read them / baseline: {ratio:.2f}x wall, {cpu_ratio:.2f}x cpu"
          f" (target <= 3x: {'met' if ratio <= 3 else 'NOT met'})")
    refresh_ratio = timings["refresh (all marts)"][0] / base_wall
    print(f"  refresh of all marts (once per change of cases) / baseline: {refresh_ratio:.1f}x wall")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for cases in args.cases:
        run(cases, args.repeat)


if __name__ == "__main__":
    main()
