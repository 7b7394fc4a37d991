"""Ingest speed and memory against DuckDB's own load of the same file, in one run.

    .venv/bin/python benchmarks/ingest.py [--rows 1000000 5000000] [--cfpb-rows 2000000]
                                          [--batch 10000] [--keep DIR]

First the CFPB export as users download it: --cfpb-rows complaints (default 2M; 0
skips it), the shipped samples (data/samples/cfpb, or ../shared/data/cfpb beside
the repo) repeated with fresh complaint ids, narratives included (target: relief
<= 1.2x DuckDB's load). DuckDB's own read_csv refuses this file in parallel
("does not support a full read"; its quoted line breaks), so its baseline is the
one-thread read it asks for (parallel = false), printed as "csv (serial)".
Then, for each size and format (CSV, Parquet) of synthetic canonical files
(target <= 1.5x), it times, each in a fresh process:
- baseline: `create table t as select * from read_csv(FILE)` (or read_parquet)
  into a new DuckDB file;
- relief: `relief ingest FILE` into a new home (read, validate, privacy guard,
  load, publish the analysts' copy).
It prints seconds, the ratio relief/baseline (target <= 1.5) and peak resident
memory of each process (target <= 1.5 GB). Publishing refreshes the
materialized marts: its seconds (from mart_refreshes) and the ratio without them
are printed beside, and the ratio of CPU seconds (all threads), which moves less
than wall time when the machine is shared. Last, --batch rows (default 10,000;
0 skips it) of new cases into each Parquet-built warehouse: what a small batch
into a big warehouse costs, and how much of it is the mart refresh.

--parts: then, for each canonical file, where relief's time goes, each part timed
alone in one fresh process (wall and CPU seconds): DuckDB's own load of the file;
relief's one pass to memory (read, type, check every rule; nothing stored);
storing those typed rows into `cases` (DuckDB's own insert into a table with the
types and constraints `cases` needs: what no validation can avoid); the one scan
that does both (how relief loads a clean file); the mart refresh of publishing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
kind, path, target = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
serial = False
if kind == "baseline":
    import duckdb
    con = duckdb.connect(target)
    reader = "read_parquet" if path.endswith(".parquet") else "read_csv"
    try:
        con.execute(f"create table t as select * from {reader}('{path}')")
    except duckdb.NotImplementedException:  # "please run with ... parallel = false"
        con.close()
        import os
        os.remove(target)
        start, serial = time.perf_counter(), True
        con = duckdb.connect(target)
        con.execute(f"create table t as select * from read_csv('{path}', parallel = false)")
    con.close()
else:
    from pipelines.cli import main
    code = main(["ingest", path, "--home", target])
    assert code == 0, code
seconds = time.perf_counter() - start
marts = 0.0
if kind != "baseline":
    # Publishing refreshes the materialized marts (warehouse.refresh_marts): part of
    # `relief ingest`, but not ingestion; its own timing is kept in the database.
    import duckdb
    with duckdb.connect(f"{target}/data/relief.duckdb", read_only=True) as con:
        # the refresh this run did (a batch into an existing home: only the last one)
        marts = con.execute("select coalesce(max_by(seconds, refreshed_at), 0) "
                            "from mart_refreshes").fetchall()[0][0]
usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the process
print(json.dumps({"seconds": seconds, "marts_seconds": marts, "serial": serial,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "peak_mb": usage.ru_maxrss / 1024}))
"""


PARTS = r"""
import json, sys, tempfile, time
from pathlib import Path
import duckdb
from pipelines import ingest, validate, warehouse
from pipelines.config import Home
from pipelines.sources import plan_for
from pipelines.sources.files import open_source
path, times = Path(sys.argv[1]), {}
def timed(name, statement):
    wall, cpu = time.perf_counter(), time.process_time()
    statement()
    times[name] = (time.perf_counter() - wall, time.process_time() - cpu)
reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
with tempfile.TemporaryDirectory(dir=".") as tmp:
    def duckdb_load():
        with duckdb.connect(f"{tmp}/duckdb.duckdb") as db:  # closing it writes the checkpoint
            db.execute(f"create table t as select * from {reader}('{path}')")
    timed("duckdb load", duckdb_load)
    con = warehouse.connect_working(Home(Path(tmp).resolve() / "home"))
    raw = open_source(con, path)
    plan = plan_for(raw.headers)
    validate.clean_view(con, plan, raw)
    meta = ingest.IngestResult("parts", "loaded", source=plan.source)
    timed("pass to memory", lambda: con.execute("create temp table typed as from batch_valid"))
    con.execute("begin")
    ingest.write_batch_meta(con, meta, "parts", 1)
    timed("store typed rows", lambda: con.execute(
        "insert into cases by name select v.*, 1 as batch_id from with_derived_buckets('typed') v"))
    con.execute("rollback")
    con.execute("begin")
    ingest.write_batch_meta(con, meta, "parts", 1)
    timed("one scan", lambda: con.execute(ingest._load_sql("cases")))
    con.execute("commit")
    timed("mart refresh", lambda: warehouse.refresh_marts(con, force=True))
    con.close()
print(json.dumps(times))
"""
PART_NAMES = ("duckdb load", "pass to memory", "store typed rows", "one scan", "mart refresh")


def parts(path: Path, workdir: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", PARTS, str(path)], capture_output=True,
                         text=True, cwd=workdir)
    if out.returncode != 0:
        raise SystemExit(f"parts failed on {path}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(kind: str, path: Path, workdir: Path, home: Path | None = None) -> dict:
    """One fresh process: DuckDB's load (baseline) or `relief ingest` into a new home,
    or into `home` when given (kept: the caller removes it)."""
    target = home or workdir / f"{kind}-{path.stem}-{path.suffix[1:]}-{time.monotonic_ns()}"
    if kind == "baseline":
        target = target.with_suffix(".duckdb")
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(path), str(target)],
                         capture_output=True, text=True, cwd=workdir)
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed on {path}:\n{out.stderr[-2000:]}")
    # Only the input files are worth keeping (--keep); each output is used once.
    if home is not None:
        pass
    elif target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink(missing_ok=True)
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cfpb_samples() -> list[Path]:
    for folder in (REPO / "data" / "samples" / "cfpb", REPO.parent / "shared" / "data" / "cfpb"):
        found = sorted(folder.glob("*.csv"))
        if found:
            return found
    raise SystemExit("no CFPB samples in data/samples/cfpb or ../shared/data/cfpb")


def write_cfpb_export(path: Path, rows: int) -> None:
    """The samples repeated to `rows` complaints with fresh ids, in the export's columns."""
    import duckdb

    samples = cfpb_samples()
    con = duckdb.connect()
    union = " union all by name ".join(
        f"select * from read_csv('{f}', all_varchar = true, header = true, parallel = false)"
        for f in samples)
    con.execute(f'create table s as select *, row_number() over () as k from ({union})')
    n = con.execute("select count(*) from s").fetchall()[0][0]
    headers = [r[0] for r in con.execute(
        f"describe select * from read_csv('{samples[0]}', header = true)").fetchall()]
    columns = ", ".join(
        (f"cast(i * {n} + k as varchar)" if h == "Complaint ID" else f'"{h}"') + f' as "{h}"'
        for h in headers)
    partial = path.with_name(path.name + ".partial")
    con.execute(f"copy (select {columns} from range({-(-rows // n)}) r(i), s "
                f"where i * {n} + k <= {rows} order by i, k) to '{partial}' (header)")
    partial.rename(path)


HEADER = (f"{'rows':>10} {'format':>17} {'duckdb s':>9} {'relief s':>9} {'ratio':>6} "
          f"{'marts s':>8} {'ratio w/o marts':>16} {'cpu ratio':>10} {'duckdb MB':>10} "
          f"{'relief MB':>10}")


def report(rows: int, label: str, base: dict, relief: dict) -> None:
    """One line; the cpu ratio (CPU seconds of every thread, relief / DuckDB) moves
    less than the wall ratios when the machine is shared."""
    ingest_only = relief["seconds"] - relief["marts_seconds"]
    print(f"{rows:>10} {label + (' (serial)' if base['serial'] else ''):>17} "
          f"{base['seconds']:>9.2f} {relief['seconds']:>9.2f} "
          f"{relief['seconds'] / base['seconds']:>6.2f} {relief['marts_seconds']:>8.2f} "
          f"{ingest_only / base['seconds']:>16.2f} "
          f"{relief['cpu_seconds'] / base['cpu_seconds']:>10.2f} {base['peak_mb']:>10.0f} "
          f"{relief['peak_mb']:>10.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 5_000_000])
    parser.add_argument("--cfpb-rows", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=10_000,
                        help="then a batch this size into each Parquet-built warehouse (0: no)")
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep generated files here")
    parser.add_argument("--parts", action="store_true",
                        help="then time the parts of relief's load of each canonical file alone")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from pipelines.synth import write_cases

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="relief-bench-ingest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(HEADER)
    if args.cfpb_rows:
        path = workdir / f"cfpb-export-{args.cfpb_rows}.csv"
        if not path.exists():
            write_cfpb_export(path, args.cfpb_rows)
        report(args.cfpb_rows, "cfpb csv", measure("baseline", path, workdir),
               measure("relief", path, workdir))
    for rows in args.rows:
        for fmt in ("csv", "parquet"):
            path = workdir / f"cases-{rows}.{fmt}"
            if not path.exists():
                write_cases(path, cases=rows, seed=1)
            report(rows, fmt, measure("baseline", path, workdir), measure("relief", path, workdir))
    if args.batch and args.rows:
        batch = workdir / f"batch-{args.batch}.parquet"
        if not batch.exists():
            write_cases(batch, cases=args.batch, seed=2)  # other case ids: new cases
        print(f"\n{'cases before':>12} {'batch':>7} {'relief s':>9} {'marts s':>8} "
              f"{'relief cpu s':>13} {'relief MB':>10}")
        for rows in args.rows:
            home = workdir / f"warehouse-{rows}-{time.monotonic_ns()}"
            measure("relief", workdir / f"cases-{rows}.parquet", workdir, home)
            small = measure("relief", batch, workdir, home)
            shutil.rmtree(home)
            print(f"{rows:>12} {args.batch:>7} {small['seconds']:>9.2f} "
                  f"{small['marts_seconds']:>8.2f} {small['cpu_seconds']:>13.2f} "
                  f"{small['peak_mb']:>10.0f}", flush=True)

    if args.parts and args.rows:
        print("\nparts, each alone (wall s / CPU s):")
        print(f"{'rows':>10} {'format':>8} " + " ".join(f"{name:>17}" for name in PART_NAMES))
        for rows in args.rows:
            for fmt in ("csv", "parquet"):
                timed = parts(workdir / f"cases-{rows}.{fmt}", workdir)
                print(f"{rows:>10} {fmt:>8} " + " ".join(
                    f"{timed[name][0]:>8.2f}/{timed[name][1]:<8.2f}" for name in PART_NAMES),
                    flush=True)


if __name__ == "__main__":
    main()
