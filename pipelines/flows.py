"""Prefect flows and schedules: wiring only. Each task calls a plain function tested on its own.

The main job (`relief run`) reads top to bottom:
  take the writer lock and open a row in `runs` -> synthesize the default cases if
  the home has none -> ingest the inbox (one task per file; on Dask, parse and
  validate on workers, load here) and archive each file -> stop if nothing is new ->
  publish the analysts' database (this refreshes the statistics: the mart tables) ->
  summarize the statistics -> train and maybe promote a model -> write the report ->
  complete the `runs` row -> publish again so the row is visible to analysts.

Scheduled flows (`relief serve`, deployments below) run the same stages on their own.
Operations, crash safety and the fault-injection hook: docs/operations.md.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

# The ephemeral API server needs more than Prefect's default 20 s to start on a
# busy two-core machine; an explicit setting still wins.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# No telemetry from a machine that may have no route out.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import duckdb  # noqa: E402
from prefect import flow, get_run_logger, runtime, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.tasks import exponential_backoff  # noqa: E402

from pipelines import __version__, faults, ingest, staging, warehouse  # noqa: E402
from pipelines.config import Home  # noqa: E402
from pipelines.privacy import mask  # noqa: E402

# Transient I/O errors are retried: 3 more tries after 1, 2, 4 s (times RETRY_BASE).
IO_RETRIES = 3
RETRY_BASE_SECONDS = float(os.environ.get("RELIEF_RETRY_BASE_SECONDS", "1"))
DEFAULT_CASES = 200_000
DEFAULT_SEED = 20250101


def _transient(task, task_run, state) -> bool:
    """Retry I/O errors only; a bug or a refused file would fail the same way again."""
    try:
        state.result()
    except (OSError, duckdb.IOException):
        return True
    except BaseException:
        return False
    return False


def io_task(**options):
    """A task whose I/O may fail transiently: retried with exponential backoff."""
    return task(retries=IO_RETRIES,
                retry_delay_seconds=exponential_backoff(backoff_factor=RETRY_BASE_SECONDS),
                retry_condition_fn=_transient, **options)


# --- tasks: each opens (and closes) its own connection ------------------------------


@task(name="check-home")
def check_home(home_root: str, flow_name: str, task_runner: str) -> dict:
    """Open this run's row; mark rows left 'running' by killed runs 'interrupted'."""
    home = Home.resolve(home_root)
    con = warehouse.connect_working(home)
    try:
        left_running = [r[0] for r in con.execute(
            "select run_id from runs where status = 'running' order by run_id").fetchall()]
        con.execute("update runs set status = 'interrupted', error_message = "
                    "'the process stopped before the run finished' where status = 'running'")
        run_id = con.execute("select nextval('run_id_seq')").fetchall()[0][0]
        con.execute(
            "insert into runs (run_id, flow, prefect_flow_run_id, task_runner, started_at, "
            "status, recovered_run_id, relief_version) values (?, ?, ?, ?, ?, 'running', ?, ?)",
            [run_id, flow_name, _flow_run_id(), task_runner, warehouse.utc_now(),
             left_running[-1] if left_running else None, __version__],
        )
        cases = con.execute("select count(*) from cases").fetchall()[0][0]
        last_change, last_load = con.execute(
            "select epoch(max(ingested_at)), epoch(max(ingested_at) filter (status = 'loaded')) "
            "from ingest_log").fetchall()[0]
    finally:
        con.close()
    staging.clear(home.staging)  # batches staged by a killed run are stale
    return {"run_id": run_id, "recovering": bool(left_running), "cases": cases,
            "inbox": [str(p) for p in _inbox_files(home)],
            "analysts_db": home.analysts_db.exists(),
            # Is each output newer than the data it is made from?
            "analysts_current": _newer_than(_mtime(home.analysts_db), last_change),
            "model_current": _newer_than(_newest_entry(home.models), last_load),
            "report_current": _newer_than(_newest_entry(home.reports), last_load)}


@io_task(name="synthesize-default-cases")
def synthesize(home_root: str, cases: int, seed: int) -> str:
    from pipelines import synth

    home = Home.resolve(home_root)
    out = home.inbox / f"synthetic-seed{seed}-{cases}.csv"
    synth.write_cases(out, cases=cases, seed=seed)  # written aside, renamed when whole
    return str(out)


@io_task(name="ingest-file", task_run_name="ingest {path}")
def ingest_file(home_root: str, path: str, source: str = "auto") -> dict:
    """Serial path: read, validate and load one file in the writer, then archive it."""
    home = Home.resolve(home_root)
    con = warehouse.connect_working(home)
    try:
        result = ingest.ingest_file(con, Path(path), source).as_json()
    finally:
        con.close()
    return {**result, "archived_to": archive(home, Path(path), result["status"])}


@task(name="loaded-hashes")
def loaded_hashes(home_root: str) -> list[str]:
    con = warehouse.connect_working(Home.resolve(home_root))
    try:
        return [r[0] for r in con.execute(
            "select content_hash from ingest_log where status = 'loaded'").fetchall()]
    finally:
        con.close()


@io_task(name="prepare-file", task_run_name="prepare {path}")
def prepare_file(path: str, staging_dir: str, known_hashes: list[str], source: str = "auto") -> dict:
    """Dask path, on a worker: read + validate into Parquet; no warehouse connection."""
    return staging.prepare_file(path, staging_dir, frozenset(known_hashes), source)


@io_task(name="load-prepared", task_run_name="load {prepared[file]}")
def load_prepared(home_root: str, prepared: dict) -> dict:
    """Dask path, in the writer: one transaction for one prepared file, then archive it."""
    home = Home.resolve(home_root)
    con = warehouse.connect_working(home)
    try:
        result = staging.load_prepared(con, prepared).as_json()
    finally:
        con.close()
    return {**result, "archived_to": archive(home, Path(prepared["path"]), result["status"])}


@io_task(name="publish-analysts-database")
def publish(home_root: str) -> str:
    home = Home.resolve(home_root)
    con = warehouse.connect_working(home)
    try:
        return str(warehouse.publish(home, con))
    finally:
        con.close()


@task(name="summarize-statistics")
def summarize_statistics(home_root: str) -> str:
    """Approval rate per route from the freshly published marts, as a Markdown table."""
    from pipelines import stats

    con = warehouse.connect_analysts(Home.resolve(home_root))
    try:
        frame = stats.route_outcomes(con)
    finally:
        con.close()
    lines = ["| route | requests | decided | approval rate (95% interval) |", "|---|---|---|---|"]
    for row in frame.iter_rows(named=True):
        rate = ("n/a" if row["approval_rate"] is None else
                f"{row['approval_rate']:.1%} ({row['approval_rate_low']:.1%}–"
                f"{row['approval_rate_high']:.1%})")
        lines.append(f"| {row['route']} | {row['requests']} | {row['decided']} | {rate} |")
    markdown = "\n".join(lines)
    create_markdown_artifact(key="relief-route-outcomes", markdown=markdown,
                             description="approval rate per relief route")
    return markdown


@task(name="train-model")
def train_model(home_root: str, force: bool = False) -> dict:
    from pipelines.approval.train import train_and_maybe_promote

    faults.point("model")
    return train_and_maybe_promote(Home.resolve(home_root), force=force)


@io_task(name="write-report")
def write_report(home_root: str, period: str | None = None) -> str:
    from pipelines.report import build

    faults.point("report")
    path = build.build_report(Home.resolve(home_root), period=period, lang="both")
    headline = getattr(build, "headline_markdown", None)
    if headline is not None:
        create_markdown_artifact(key="relief-report-headline", markdown=headline(path),
                                 description=f"report {path}")
    return str(path)


@io_task(name="record-run")
def record_run(home_root: str, run_id: int, record: dict) -> None:
    con = warehouse.connect_working(Home.resolve(home_root))
    try:
        columns = sorted(record)
        con.execute(
            "update runs set " + ", ".join(f"{c} = ?" for c in columns) + " where run_id = ?",
            [record[c] for c in columns] + [run_id],
        )
    finally:
        con.close()


# --- the story of a run -----------------------------------------------------------------


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
        """The `runs` columns this run fills."""
        files = {s: sum(r["status"] == s for r in self.results)
                 for s in ("loaded", "unchanged", "refused")}
        row = {
            "status": self.status, "finished_at": warehouse.utc_now(),
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
        for stage in ("synthesize", "ingest", "publish", "stats", "model", "report"):
            if stage in self.seconds:
                row[f"{stage}_seconds"] = round(self.seconds[stage], 3)
        return row

    def summary(self) -> dict:
        return {"status": self.status, "run_id": self.check.get("run_id"),
                "results": self.results, "seconds": self.seconds, "outputs": self.outputs,
                "skipped": self.skipped, "model": self.model,
                "recovered": bool(self.check.get("recovering"))}


@contextlib.contextmanager
def job(home: Home, flow_name: str, task_runner: str = "serial") -> Iterator[Run]:
    """The frame of every pipeline flow: one writer, a `runs` row, a clear failure report.

    A second writer waits (RELIEF_WRITER_WAIT, default 30 s) then fails naming the
    holder. Any failure is recorded in `runs`, logged and left as a Prefect artifact,
    and re-raised so the flow run (and `relief run`) fails.
    """
    logger = get_run_logger()
    run = Run(home, flow_name, task_runner)
    try:
        with warehouse.writer_lock(home, flow_name):
            run.check = check_home(run.home_root, flow_name, task_runner)
            if run.check["recovering"]:
                logger.warning("the previous run was interrupted: finishing its work now")
            try:
                yield run
                if run.status == "running":
                    run.status = "succeeded"
                record_run(run.home_root, run.check["run_id"], run.row())
                if run.status == "succeeded":
                    # Publish once more, still holding the lock, so that the analysts'
                    # copy shows this run's completed row.
                    with run.stage("final publish"):
                        publish(run.home_root)
            except BaseException as exc:
                run.status = "failed"
                with contextlib.suppress(Exception):
                    record_run(run.home_root, run.check["run_id"],
                               {**run.row(), "error_message": _one_line(exc)})
                raise
    except Exception as exc:
        message = f"{flow_name} failed: {_one_line(exc)}"
        logger.error(message)
        with contextlib.suppress(Exception):
            create_markdown_artifact(
                key="relief-run-failure", description=message,
                markdown=f"# {flow_name} failed\n\n{_one_line(exc)}\n\nhome: `{home.root}`\n\n"
                         "The last published analysts' database and model are unchanged; "
                         "the next run finishes the work (docs/operations.md).")
        raise


def ingest_stage(run: Run, source: str = "auto", dask_address: str | None = None) -> None:
    """Ingest every inbox file (as listed now) and archive it."""
    files = [str(p) for p in _inbox_files(run.home)]
    with run.stage("ingest"):
        if not files:
            return
        inbox = ingest_inbox
        if run.task_runner == "dask":
            inbox = ingest_inbox.with_options(task_runner=dask_task_runner(dask_address))
        run.results = inbox(run.home_root, files, source, run.task_runner == "dask")


@flow(name="relief-ingest-inbox")
def ingest_inbox(home_root: str, files: list[str], source: str = "auto",
                 distributed: bool = False) -> list[dict]:
    """Each file in its own batch, in file order; on Dask, prepared in parallel first."""
    if not distributed:
        return [ingest_file(home_root, path, source) for path in files]
    staging_dir = str(Home.resolve(home_root).staging)
    known = loaded_hashes(home_root)
    futures = [prepare_file.submit(path, staging_dir, known, source) for path in files]
    return [load_prepared(home_root, future.result()) for future in futures]


def dask_task_runner(address: str | None = None):
    from prefect_dask import DaskTaskRunner

    _share_api_with_workers()
    if address:
        return DaskTaskRunner(address=address)
    workers = int(os.environ.get("RELIEF_DASK_WORKERS", os.cpu_count() or 2))
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                          "processes": True, "dashboard_address": None})


def _share_api_with_workers() -> None:
    """Dask workers are other processes: without PREFECT_API_URL each would start an
    ephemeral API server of its own (and time out). Hand them this process's one."""
    from prefect.settings import get_current_settings

    if get_current_settings().api.url:
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the same instance the ephemeral client uses
    server.start()
    os.environ["PREFECT_API_URL"] = server.api_url


def publish_and_summarize(run: Run) -> None:
    """Publishing materializes the marts from the current cases: the statistics refresh."""
    with run.stage("publish"):
        run.outputs["analysts' database"] = publish(run.home_root)
    with run.stage("stats"):
        summarize_statistics(run.home_root)
        run.outputs["statistics"] = "relief stats (marts in the analysts' database)"


def model_stage(run: Run, force: bool = False, always: bool = False) -> None:
    """Train when cases arrived since the newest model version (or when asked to)."""
    from pipelines.approval import registry

    if not (always or run.needs_model):
        return run.skip("model", "no new cases since the last training")
    with run.stage("model"):
        run.model = train_model(run.home_root, force)
    current = registry.current_version(run.home)
    run.outputs["model"] = str(run.home.models / current) if current else "none promoted"


def report_stage(run: Run, period: str | None = None, always: bool = False) -> None:
    """Write the report when cases arrived since the newest one (or when asked to)."""
    if not (always or run.needs_report):
        return run.skip("report", "no new cases since the last report")
    with run.stage("report"):
        run.outputs["report"] = write_report(run.home_root, period)
    written = Path(run.outputs["report"])
    run.report_period = period or (written.name if written.is_dir() else written.parent.name)


# --- flows ---------------------------------------------------------------------------------


@flow(name="relief-main")
def main_job(home_root: str, cases: int = DEFAULT_CASES, seed: int = DEFAULT_SEED,
             task_runner: str = "serial", dask_address: str | None = None) -> dict:
    """`relief run`: everything, doing only what is new."""
    with job(Home.resolve(home_root), "relief-main", task_runner) as run:
        if run.check["cases"] == 0 and not run.check["inbox"]:
            with run.stage("synthesize"):
                run.outputs["synthetic cases"] = synthesize(run.home_root, cases, seed)
        ingest_stage(run, dask_address=dask_address)
        if not (run.needs_publish or run.needs_model or run.needs_report):
            run.status = "nothing_new"
            return run.summary()
        publish_and_summarize(run)
        model_stage(run)
        report_stage(run)
    return run.summary()


@flow(name="relief-ingest")
def ingest_job(home_root: str, source: str = "auto") -> dict:
    """Scheduled daily (and on demand): new inbox files, then the statistics refresh."""
    with job(Home.resolve(home_root), "relief-ingest") as run:
        ingest_stage(run, source)
        if not run.needs_publish:
            run.status = "nothing_new"
            return run.summary()
        publish_and_summarize(run)
    return run.summary()


@flow(name="relief-train")
def train_job(home_root: str, force: bool = False) -> dict:
    """Scheduled weekly: retrain on the published cases; promote when not worse."""
    with job(Home.resolve(home_root), "relief-train") as run:
        if not run.check["analysts_db"]:
            publish_and_summarize(run)
        model_stage(run, force=force, always=True)
    return run.summary()


@flow(name="relief-report")
def report_job(home_root: str, period: str | None = None, kind: str = "month") -> dict:
    """Scheduled on the 1st (previous month) and after each quarter (previous quarter)."""
    period = period or previous_period(kind, datetime.now(ZoneInfo(timezone())).date())
    with job(Home.resolve(home_root), "relief-report") as run:
        if not run.check["analysts_db"]:
            publish_and_summarize(run)
        report_stage(run, period, always=True)
    return run.summary()


# --- schedules: the one place they are declared ------------------------------------------

DEFAULT_TIMEZONE = "Asia/Shanghai"
# deployment name -> (environment variable overriding the cron, default cron)
SCHEDULES = {
    "relief-ingest": ("RELIEF_CRON_INGEST", "0 2 * * *"),  # daily 02:00
    "relief-train": ("RELIEF_CRON_TRAIN", "0 4 * * 1"),  # Mondays 04:00
    "relief-report-monthly": ("RELIEF_CRON_REPORT_MONTHLY", "0 6 1 * *"),  # the 1st, 06:00
    "relief-report-quarterly": ("RELIEF_CRON_REPORT_QUARTERLY", "30 6 1 1,4,7,10 *"),
}


def timezone() -> str:
    return os.environ.get("RELIEF_TIMEZONE", DEFAULT_TIMEZONE)


def cron(deployment: str) -> str:
    variable, default = SCHEDULES[deployment]
    return os.environ.get(variable, default)


def previous_period(kind: str, today: date) -> str:
    """The last complete month (YYYY-MM) or quarter (YYYY-Qn) before today."""
    if kind == "month":
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return f"{year:04d}-{month:02d}"
    if kind == "quarter":
        quarter = (today.month - 1) // 3  # the current quarter's index, 0-3
        year, previous = (today.year, quarter) if quarter else (today.year - 1, 4)
        return f"{year:04d}-Q{previous}"
    raise ValueError(f"kind must be month or quarter, got {kind!r}")


def deployments(home: Home) -> list:
    """Every deployment with its schedule; relief-main has none (on demand)."""
    from prefect.schedules import Cron

    def scheduled(flow_, name: str, **parameters):
        return flow_.to_deployment(
            name=name, schedule=Cron(cron(name), timezone=timezone()),
            parameters={"home_root": str(home.root), **parameters},
            tags=["relief"], concurrency_limit=1)

    return [
        main_job.to_deployment(name="relief-main", parameters={"home_root": str(home.root)},
                               tags=["relief"], concurrency_limit=1),
        scheduled(ingest_job, "relief-ingest"),
        scheduled(train_job, "relief-train"),
        scheduled(report_job, "relief-report-monthly", kind="month"),
        scheduled(report_job, "relief-report-quarterly", kind="quarter"),
    ]


def serve_all(home: Home) -> None:
    """`relief serve`: run every deployment's schedule from this one process until stopped."""
    from prefect import serve

    serve(*deployments(home))


# --- what the CLI calls -------------------------------------------------------------------


def run_main_job(home: Home, cases: int = DEFAULT_CASES, seed: int = DEFAULT_SEED,
                 task_runner: str = "serial", dask_address: str | None = None) -> dict:
    """Run the main flow and shape its outcome for printing; never raises for a failed run."""
    started = time.perf_counter()
    try:
        state = main_job(str(home.root), cases, seed, task_runner, dask_address)
    except Exception as exc:
        message = _one_line(exc)
        return {"ok": False, "status": "failed", "error": message,
                "lines": [f"relief run failed: {message}",
                          "the last published analysts' database, model and reports are "
                          "unchanged; the next run finishes the work"]}
    lines = []
    if state["recovered"]:
        lines.append("the previous run was interrupted: its work is finished now")
    if state["status"] == "nothing_new":
        lines.append("nothing new in data/inbox/: no work done beyond checking")
    for r in state["results"]:
        if r["status"] == "loaded":
            lines.append(f"ingested {r['file']}: {r['rows_loaded']} loaded, "
                         f"{r['rows_quarantined']} quarantined, {r['rows_skipped']} skipped")
        elif r["status"] == "refused":
            lines.append(f"refused {r['file']}: {r['message']}")
        else:
            lines.append(f"unchanged {r['file']}: already ingested")
    if state["model"]:
        verdict = "promoted" if state["model"]["promoted"] else "not promoted"
        lines.append(f"model {state['model']['version']}: {verdict} ({state['model']['reason']})")
    for stage, why in state["skipped"].items():
        lines.append(f"{stage}: skipped: {why}")
    for stage, seconds in state["seconds"].items():
        lines.append(f"{stage}: {seconds:.1f} s")
    lines.append(f"total (with Prefect start-up): {time.perf_counter() - started:.1f} s")
    for label, path in state["outputs"].items():
        lines.append(f"{label}: {path}")
    if state["results"]:
        lines.append(f"archived inbox files: {home.archive}")
    ok = not any(r["status"] == "refused" for r in state["results"])
    return {"ok": ok, "lines": lines, **state}


# --- helpers ------------------------------------------------------------------------------


def archive(home: Home, path: Path, status: str) -> str | None:
    """Move an inbox file out once its batch is committed (or it was refused).

    The move is a rename after the commit: killed in between, the next run finds
    the file again, sees its content hash already loaded, and only moves it.
    Files named outside the inbox are left where they are.
    """
    if not path.is_file() or home.inbox not in path.resolve().parents:
        return None
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    folder = home.archive / ("refused" if status == "refused" else "") / day
    folder.mkdir(parents=True, exist_ok=True)
    relative = path.resolve().relative_to(home.inbox)
    target = folder / "__".join(relative.parts)
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{relative.stem}.{n}{''.join(relative.suffixes)}"
    os.replace(path, target)
    return str(target)


def _inbox_files(home: Home) -> list[Path]:
    return ingest.discover([home.inbox]) if home.inbox.exists() else []


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _newest_entry(folder: Path) -> float | None:
    """Modification time of the newest finished output folder (hidden = being written)."""
    if not folder.is_dir():
        return None
    times = [p.stat().st_mtime for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return max(times, default=None)


def _newer_than(output_time: float | None, data_time: float | None) -> bool:
    if output_time is None:
        return False
    return data_time is None or output_time >= data_time


def _flow_run_id() -> str | None:
    with contextlib.suppress(Exception):
        return str(runtime.flow_run.id) if runtime.flow_run.id else None
    return None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return mask(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:500]


# --- operations entry point: python -m pipelines.flows ... ---------------------------------


def deploy_all(home: Home, work_pool: str) -> list:
    """Register every deployment with a server's work pool (production path, operations.md)."""
    from pipelines.config import REPO_ROOT

    ids = []
    for deployment in deployments(home):
        entrypoint = f"pipelines/flows.py:{_FLOW_FUNCTIONS[deployment.flow_name]}"
        remote = flow.from_source(source=str(REPO_ROOT), entrypoint=entrypoint)
        ids.append(remote.deploy(
            name=deployment.name, work_pool_name=work_pool, schedules=deployment.schedules,
            parameters=deployment.parameters, tags=deployment.tags,
            concurrency_limit=1, build=False, push=False, print_next_steps=False))
    return ids


_FLOW_FUNCTIONS = {"relief-main": "main_job", "relief-ingest": "ingest_job",
                   "relief-train": "train_job", "relief-report": "report_job"}


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m pipelines.flows",
                                     description="run one relief flow now, or deploy them all")
    parser.add_argument("what", choices=["ingest", "train", "report", "deploy"])
    parser.add_argument("--home", default=None)
    parser.add_argument("--period", default=None, help="report: YYYY-MM or YYYY-Qn")
    parser.add_argument("--work-pool", default="relief", help="deploy: the work pool's name")
    args = parser.parse_args(argv)
    home = Home.resolve(args.home)
    try:
        if args.what == "deploy":
            print(json.dumps([str(i) for i in deploy_all(home, args.work_pool)]))
            return 0
        job_flow = {"ingest": ingest_job, "train": train_job, "report": report_job}[args.what]
        kwargs = {"period": args.period} if args.what == "report" else {}
        summary = job_flow(str(home.root), **kwargs)
    except Exception as exc:
        print(f"relief {args.what} failed: {_one_line(exc)}")
        return 1
    print(json.dumps(summary, default=str))
    return 1 if any(r["status"] == "refused" for r in summary["results"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
