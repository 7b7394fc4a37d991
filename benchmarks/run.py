"""`relief run` end to end on a fresh home, by stage, with Prefect's start-up cost apart.

    .venv/bin/python benchmarks/run.py [--cases 200000] [--keep DIR]

Runs, each in a fresh process with no PREFECT_API_URL (Prefect's ephemeral mode,
as a first-time user runs it) and a fresh PREFECT_HOME:
1. the baseline: a trivial Prefect flow, i.e. what any `relief run` pays before
   doing work (Python + Prefect import, the ephemeral API server's start, the
   flow run's bookkeeping, the server's stop);
2. `relief run --cases N` on an empty home: synthesize, ingest, publish, statistics,
   model, report;
3. `relief run` again: nothing new.
For the two runs it prints each stage's seconds (from the `runs` table), the
wall-clock total and the rest (start-up and Prefect bookkeeping), with ratios to
the baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STAGES = ("synthesize", "ingest", "publish", "stats", "model", "report")

TRIVIAL_FLOW = """
import os
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
from prefect import flow
@flow(name="relief-startup-probe")
def probe():
    return 1
probe()
"""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO)
    return time.perf_counter() - start, done


def last_run(home: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(home / "data" / "warehouse.duckdb"), read_only=True)
    try:
        return con.sql("select * from runs order by run_id desc limit 1").pl().to_dicts()[0]
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--keep", default=None, help="keep the home and PREFECT_HOME here")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="relief-run-bench-"))
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(root / "prefect-home"),
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="600")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

    baseline, done = timed([sys.executable, "-c", TRIVIAL_FLOW], env)
    assert done.returncode == 0, done.stderr[-2000:]
    print(f"baseline, a trivial flow in a fresh process: {baseline:.1f} s", flush=True)

    home = root / "home"
    relief = [sys.executable, "-m", "pipelines.cli", "run", "--home", str(home)]
    table = []
    for label, command in ((f"first run ({args.cases:,} cases)", [*relief, "--cases", str(args.cases)]),
                           ("second run (nothing new)", relief)):
        wall, done = timed(command, env)
        print(f"{label}: exit {done.returncode}, {wall:.1f} s", flush=True)
        print("  " + "\n  ".join(done.stdout.strip().splitlines()), flush=True)
        row = last_run(home)
        stages = {s: row[f"{s}_seconds"] for s in STAGES if row[f"{s}_seconds"] is not None}
        table.append((label, row["status"], stages, row["total_seconds"], wall))

    print()
    print("| run | status | stage | seconds | ratio to baseline |")
    print("|---|---|---|---|---|")
    print(f"| baseline: trivial flow | | Prefect import + start-up + stop | {baseline:.1f} | 1.00 |")
    for label, status, stages, total, wall in table:
        for stage, seconds in stages.items():
            print(f"| {label} | {status} | {stage} | {seconds:.1f} | {seconds / baseline:.2f} |")
        total = total or 0.0  # null when the run failed before completing its row
        rest = wall - total
        print(f"| {label} | {status} | in the flow, lock to `runs` row | {total:.1f} | {total / baseline:.2f} |")
        print(f"| {label} | {status} | start-up, final publish, Prefect bookkeeping | {rest:.1f} | {rest / baseline:.2f} |")
        print(f"| {label} | {status} | **wall clock** | {wall:.1f} | {wall / baseline:.2f} |")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
