"""Prefect flows: wiring only. Each task calls a plain function tested on its own.

The main job (`relief run`) reads top to bottom:
  synthesize the default cases if the home has none -> ingest the inbox ->
  publish the analysts' database -> refresh statistics -> train and maybe
  promote a model -> write the report for the latest complete month -> publish.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

# The ephemeral API server needs more than Prefect's default 20 s to start on a
# busy two-core machine; an explicit setting still wins.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# No telemetry from a machine that may have no route out.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, task  # noqa: E402

from pipelines import ingest, warehouse  # noqa: E402
from pipelines.config import Home  # noqa: E402

IO_RETRIES = 2
IO_RETRY_DELAY_SECONDS = 2


# --- tasks -------------------------------------------------------------------------


@task(name="count-cases")
def count_cases(home_root: str) -> int:
    home = Home.resolve(home_root)
    con = warehouse.connect_working(home)
    try:
        return con.execute("select count(*) from cases").fetchall()[0][0]
    finally:
        con.close()


@task(name="synthesize-default-cases", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAY_SECONDS)
def synthesize(home_root: str, cases: int, seed: int) -> str:
    from pipelines import synth

    home = Home.resolve(home_root)
    home.inbox.mkdir(parents=True, exist_ok=True)
    out = home.inbox / f"synthetic-seed{seed}-{cases}.csv"
    synth.write_cases(out, cases=cases, seed=seed)
    return str(out)


@task(name="ingest-file", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAY_SECONDS,
      task_run_name="ingest {path}")
def ingest_file(home_root: str, path: str, source: str = "auto") -> dict:
    home = Home.resolve(home_root)
    con = warehouse.connect_working(home)
    try:
        return ingest.ingest_file(con, Path(path), source).as_json()
    finally:
        con.close()


@task(name="publish-analysts-database", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAY_SECONDS)
def publish(home_root: str) -> str:
    home = Home.resolve(home_root)
    con = warehouse.connect_working(home)
    try:
        return str(warehouse.publish(home, con))
    finally:
        con.close()


# --- flows ---------------------------------------------------------------------------


@flow(name="relief-ingest")
def ingest_inbox(home_root: str, source: str = "auto") -> list[dict]:
    """Every file waiting in data/inbox/, one task each; then publish if anything changed."""
    home = Home.resolve(home_root)
    files = ingest.discover([home.inbox]) if home.inbox.exists() else []
    results = [ingest_file(home_root, str(path), source) for path in files]
    if any(r["status"] != "unchanged" for r in results) or not home.analysts_db.exists():
        publish(home_root)
    return results


@flow(name="relief-main")
def main_job(home_root: str, cases: int = 200_000, seed: int = 20250101) -> dict:
    home = Home.resolve(home_root)
    timings: dict[str, float] = {}
    outputs: dict[str, str] = {}
    skipped: list[str] = []
    with warehouse.writer_lock(home, "relief run"):
        start = time.perf_counter()
        if count_cases(home_root) == 0 and not _inbox_files(home):
            outputs["synthetic cases"] = synthesize(home_root, cases, seed)
        timings["synthesize"] = time.perf_counter() - start

        start = time.perf_counter()
        results = ingest_inbox(home_root)
        timings["ingest"] = time.perf_counter() - start
        outputs["analysts' database"] = str(home.analysts_db)
    for stage in ("statistics", "model", "report"):
        skipped.append(stage)
    return {"results": results, "timings": timings, "outputs": outputs, "skipped": skipped}


def _inbox_files(home: Home) -> list[Path]:
    return ingest.discover([home.inbox]) if home.inbox.exists() else []


# --- what the CLI calls ---------------------------------------------------------------


def run_main_job(home: Home, cases: int, seed: int, task_runner: str = "serial",
                 dask_address: str | None = None) -> dict:
    """Run the main flow and shape its outcome for printing."""
    started = time.perf_counter()
    state = main_job(str(home.root), cases, seed)
    results = state["results"]
    lines = []
    changed = [r for r in results if r["status"] != "unchanged"]
    if not changed:
        lines.append("nothing new in data/inbox/: no work done beyond checking")
    for r in results:
        if r["status"] == "loaded":
            lines.append(f"ingested {r['file']}: {r['rows_loaded']} loaded, "
                         f"{r['rows_quarantined']} quarantined, {r['rows_skipped']} skipped")
        elif r["status"] == "refused":
            lines.append(f"refused {r['file']}: {r['message']}")
    for stage, seconds in state["timings"].items():
        lines.append(f"{stage}: {seconds:.1f} s")
    for label, path in state["outputs"].items():
        lines.append(f"{label}: {path}")
    for stage in state["skipped"]:
        lines.append(f"{stage}: not available yet, skipped")
    lines.append(f"total: {time.perf_counter() - started:.1f} s")
    ok = not any(r["status"] == "refused" for r in results)
    return {"ok": ok, "lines": lines, **state}
