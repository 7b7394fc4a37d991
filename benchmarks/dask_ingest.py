"""Serial versus Dask ingest of the inbox, and the cost of a run with nothing new.

    .venv/bin/python benchmarks/dask_ingest.py [--files 8] [--rows 1000000] [--workers 2]
                                               [--keep DIR]

In one process (one Prefect ephemeral server, started once and timed apart):
- baseline: the plain functions, no Prefect: `ingest.ingest_paths` over the files
  (read + validate + load, one file after the other, then publish);
- serial: the `relief-ingest` flow with its default task runner (the same work, one
  Prefect task per file, archive and `runs` row included);
- dask: the same flow with `--task-runner dask` semantics: a LocalCluster of
  `--workers` single-threaded worker processes parses and validates the files into
  Parquet, then this process loads them one transaction each. Cluster start-up is
  included (it is paid on every run) and shown apart;
- nothing new: the `relief-ingest` flow again on the same home, inbox empty.
Each ingest goes into a fresh home whose inbox holds hard links to the same files.
Prints seconds and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_files(folder: Path, files: int, rows: int) -> list[Path]:
    from pipelines import synth

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(files):
        path = folder / f"cases-{rows}-{i:02d}.csv"
        if not path.exists():
            synth.write_cases(path, cases=rows, seed=1000 + i)
        paths.append(path)
    return paths


def fresh_home(root: Path, name: str, files: list[Path]):
    from pipelines.config import Home

    home = Home.resolve(root / name)
    shutil.rmtree(home.root, ignore_errors=True)
    home.inbox.mkdir(parents=True)
    for path in files:
        os.link(path, home.inbox / path.name)
    return home


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", default=None, help="a folder to keep the generated files in")
    parser.add_argument("--runners", default="serial,dask",
                        help="flows to time after the baseline (comma-separated: serial,dask)")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="relief-dask-bench-"))
    start = time.perf_counter()
    files = make_files(root / "files", args.files, args.rows)
    print(f"{args.files} files of {args.rows:,} cases ({sum(p.stat().st_size for p in files) / 2**20:,.0f} MiB)"
          f" ready in {time.perf_counter() - start:.1f} s", flush=True)

    from pipelines import ingest

    home = fresh_home(root, "baseline", files)
    start = time.perf_counter()
    results = ingest.ingest_paths(home, [home.inbox])
    baseline = time.perf_counter() - start
    assert all(r.status == "loaded" for r in results), results
    print(f"baseline (plain functions, no Prefect): {baseline:.1f} s", flush=True)

    start = time.perf_counter()
    import prefect  # noqa: F401

    from pipelines import flows
    imported = time.perf_counter() - start
    os.environ["RELIEF_DASK_WORKERS"] = str(args.workers)

    @flows.flow(name="relief-ingest-benchmark")
    def timed_ingest(home_root: str, task_runner: str) -> dict:
        from pipelines.config import Home

        with flows.job(Home.resolve(home_root), "relief-ingest", task_runner) as run:
            flows.ingest_stage(run)
            flows.publish_and_summarize(run)
        return run.summary()

    @flows.flow(name="relief-startup-probe")
    def probe() -> None:
        return None

    start = time.perf_counter()
    probe()
    startup = time.perf_counter() - start
    print(f"Prefect: import {imported:.1f} s, first flow (ephemeral server start when PREFECT_API_URL is unset) {startup:.1f} s",
          flush=True)

    rows = [("baseline (no Prefect)", baseline)]
    for runner in args.runners.split(","):
        home = fresh_home(root, runner, files)
        start = time.perf_counter()
        summary = timed_ingest(str(home.root), runner)
        seconds = time.perf_counter() - start
        assert [r["status"] for r in summary["results"]] == ["loaded"] * len(files), summary
        rows.append((f"{runner} flow", seconds))
        print(f"{runner} flow: {seconds:.1f} s (ingest stage {summary['seconds']['ingest']:.1f} s)",
              flush=True)

    if args.workers:
        from distributed import LocalCluster

        start = time.perf_counter()
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0"):
            pass
        print(f"  of which a LocalCluster's start and stop: about {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    summary = flows.ingest_job(str(home.root))
    nothing = time.perf_counter() - start
    assert summary["status"] == "nothing_new", summary
    rows.append(("nothing-new relief-ingest flow", nothing))

    print()
    print("| run | seconds | ratio to baseline |\n|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.1f} | {seconds / baseline:.2f} |")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
