"""The runs ledger: one row per pipeline run in the `runs` table (sql/schema/003_runs.sql).

A row is opened 'running' when a run takes the writer lock and completed at its end;
a row still 'running' when the next run opens its own belonged to a killed run, which
that next run marks 'interrupted' and finishes. The statements are in sql/runs/.
Plain functions of a connection (the caller holds the writer lock); no Prefect here.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

import duckdb

from pipelines import __version__
from pipelines.config import SQL_DIR, Home
from pipelines.warehouse import utc_now

RUNS_SQL = SQL_DIR / "runs"
STAGES = ("synthesize", "ingest", "publish", "stats", "model", "report")


@cache
def _sql(name: str) -> str:
    return (RUNS_SQL / f"{name}.sql").read_text("utf-8")


@dataclass(frozen=True)
class Opened:
    run_id: int
    recovered_run_id: int | None  # the killed run this one finishes, if any
    cases: int
    last_change_epoch: float | None  # the newest batch of any status
    last_load_epoch: float | None  # the newest batch that loaded rows


def open_run(con: duckdb.DuckDBPyConnection, flow: str, task_runner: str,
             prefect_flow_run_id: str | None) -> Opened:
    """Close rows left 'running' by killed runs as 'interrupted', open this run's row."""
    left_running = [r[0] for r in con.execute(_sql("left_running")).fetchall()]
    con.execute(_sql("mark_interrupted"))
    run_id = con.execute(_sql("next_run_id")).fetchall()[0][0]
    recovered = left_running[-1] if left_running else None
    con.execute(_sql("open_run"), {
        "run_id": run_id, "flow": flow, "prefect_flow_run_id": prefect_flow_run_id,
        "task_runner": task_runner, "started_at": utc_now(), "recovered_run_id": recovered,
        "relief_version": __version__})
    cases, last_change, last_load = con.execute(_sql("home_state")).fetchall()[0]
    return Opened(run_id, recovered, cases, last_change, last_load)


def record_run(con: duckdb.DuckDBPyConnection, run_id: int, row: dict) -> None:
    """Write a run's columns (Run.row(), plus error_message on failure)."""
    con.execute(_sql("record_run"), {"error_message": None, **row, "run_id": run_id})


def loaded_hashes(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(_sql("loaded_hashes")).fetchall()]


@dataclass
class Run:
    """What one run did: becomes its `runs` row and the summary `relief run` prints."""

    home: Home
    flow_name: str
    task_runner: str = "serial"
    check: dict = field(default_factory=dict)
    results: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    training: dict | None = None  # the retraining rule's verdict, once asked
    report_period: str | None = None
    status: str = "running"
    started: float = field(default_factory=time.perf_counter)

    @property
    def home_root(self) -> str:
        return str(self.home.root)

    @property
    def new_cases(self) -> bool:
        return any(r["status"] == "loaded" for r in self.results)

    @property
    def needs_publish(self) -> bool:
        """New batches or refusals, a stale analysts' copy, or a killed run's work to finish."""
        return (any(r["status"] != "unchanged" for r in self.results)
                or self.check["recovering"] or not self.check["analysts_current"])

    @property
    def needs_model(self) -> bool:
        return self.new_cases or not self.check["model_current"]

    @property
    def needs_report(self) -> bool:
        return self.new_cases or not self.check["report_current"]

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def skip(self, stage: str, why: str) -> None:
        self.skipped[stage] = why

    def row(self) -> dict:
        """The `runs` columns this run fills (record_run.sql's parameters)."""
        files = {s: sum(r["status"] == s for r in self.results)
                 for s in ("loaded", "unchanged", "refused")}
        row = {
            "status": self.status, "finished_at": utc_now(),
            "files_seen": len(self.results), "files_loaded": files["loaded"],
            "files_unchanged": files["unchanged"], "files_refused": files["refused"],
            "rows_read": sum(r.get("rows_read", 0) for r in self.results),
            "rows_loaded": sum(r.get("rows_loaded", 0) for r in self.results),
            "rows_quarantined": sum(r.get("rows_quarantined", 0) for r in self.results),
            "total_seconds": round(time.perf_counter() - self.started, 3),
            "skipped": "; ".join(f"{k}: {v}" for k, v in self.skipped.items()) or None,
            "model_version": self.model.get("version"),
            "model_promoted": self.model.get("promoted"),
            "model_reason": self.model.get("reason"),
            "report_period": self.report_period, "report_path": self.outputs.get("report"),
        }
        for stage in STAGES:
            seconds = self.seconds.get(stage)
            row[f"{stage}_seconds"] = None if seconds is None else round(seconds, 3)
        return row

    def summary(self) -> dict:
        return {"status": self.status, "run_id": self.check.get("run_id"),
                "results": self.results, "seconds": self.seconds, "outputs": self.outputs,
                "skipped": self.skipped, "model": self.model,
                "recovered": bool(self.check.get("recovering"))}
