"""Prefect flows: wiring only. Each task calls a plain function tested on its own.

The main job (`relief run`) reads top to bottom:
  take the writer lock and open a row in `runs` -> synthesize the default cases if
  the home has none -> ingest the inbox (one task per file; on Dask, parse and
  validate on workers, load here) and archive each file -> stop if nothing is new ->
  publish the analysts' database (this refreshes the statistics: the mart tables) ->
  summarize the statistics -> train and maybe promote a model when warranted ->
  write the report -> complete the `runs` row -> publish again so the row is visible
  to analysts.

The runs ledger is pipelines/runs.py, the inbox and freshness rules pipelines/inbox.py,
the schedules pipelines/schedules.py, deployments and `relief serve`
pipelines/deployments.py, what `relief run` prints pipelines/run_command.py.
Operations, crash safety and the fault-injection hook: docs/operations.md.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from prefect import flow, get_run_logger, runtime, task
from prefect.artifacts import create_markdown_artifact
from prefect.tasks import exponential_backoff

from pipelines import faults, inbox, ingest, runs, schedules, staging, warehouse
from pipelines.config import Home
from pipelines.privacy import error_line
from pipelines.runs import Run

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
    """Open this run's row (closing rows of killed runs); what is waiting; what is stale."""
    home = Home.resolve(home_root)
    con = warehouse.connect_working(home)
    try:
        opened = runs.open_run(con, flow_name, task_runner, _flow_run_id())
    finally:
        con.close()
    staging.clear(home.staging)  # batches staged by a killed run are stale
    return {"run_id": opened.run_id, "recovering": opened.recovered_run_id is not None,
            "cases": opened.cases, "inbox": [str(p) for p in inbox.waiting(home)],
            "analysts_db": home.analysts_db.exists(),
            **inbox.freshness(home, opened.last_change_epoch, opened.last_load_epoch)}


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
    return {**result, "archived_to": inbox.archive(home, Path(path), result["status"])}


@task(name="loaded-hashes")
def loaded_hashes(home_root: str) -> list[str]:
    con = warehouse.connect_working(Home.resolve(home_root))
    try:
        return runs.loaded_hashes(con)
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
    return {**result, "archived_to": inbox.archive(home, Path(prepared["path"]), result["status"])}


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


@task(name="decide-training")
def training_decision(home_root: str) -> dict:
    """Whether the cases changed enough since the newest model version to train again."""
    from pipelines.approval import registry

    home = Home.resolve(home_root)
    decided = registry.decided_cases_now(home)
    due, why = registry.retrain_due(home, decided)
    return {"due": due, "reason": why, "decided_cases": decided}


@task(name="train-model")
def train_model(home_root: str, force: bool = False) -> dict:
    from pipelines.approval.train import train_and_maybe_promote

    faults.point("model")
    return train_and_maybe_promote(Home.resolve(home_root), force=force)


@io_task(name="write-report")
def write_report(home_root: str, period: str | None = None) -> str:
    from pipelines.report import build, writing

    faults.point("report")
    path = build.build_report(Home.resolve(home_root), period=period, lang="both")
    create_markdown_artifact(key="relief-report-headline", markdown=writing.headline_markdown(path),
                             description=f"report {path}")
    return str(path)


@io_task(name="record-run")
def record_run(home_root: str, run_id: int, record: dict) -> None:
    con = warehouse.connect_working(Home.resolve(home_root))
    try:
        runs.record_run(con, run_id, record)
    finally:
        con.close()


# --- the frame of every flow --------------------------------------------------------------


@contextlib.contextmanager
def job(home: Home, flow_name: str, task_runner: str = "serial") -> Iterator[Run]:
    """The frame of every pipeline flow: one writer, a `runs` row, a clear failure report.

    A second writer says whom it waits for, waits (RELIEF_WRITER_WAIT, default 30 s),
    then fails naming the holder; `relief run` takes the lock before Prefect starts. Any failure is recorded in `runs`, logged and left as a Prefect artifact,
    and re-raised so the flow run (and `relief run`) fails.
    """
    logger = get_run_logger()
    run = Run(home, flow_name, task_runner)
    try:
        with warehouse.writer_lock(home, flow_name, reenter=True):
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
                    with run.stage("final_publish"):
                        publish(run.home_root)
            except BaseException as exc:
                run.status = "failed"
                with contextlib.suppress(Exception):
                    record_run(run.home_root, run.check["run_id"],
                               {**run.row(), "error_message": error_line(exc, with_type=True)})
                raise
    except Exception as exc:
        message = f"{flow_name} failed: {error_line(exc, with_type=True)}"
        logger.error(message)
        with contextlib.suppress(Exception):
            create_markdown_artifact(
                key="relief-run-failure", description=message,
                markdown=f"# {flow_name} failed\n\n{error_line(exc, with_type=True)}\n\nhome: `{home.root}`\n\n"
                         "The last published analysts' database and model are unchanged; "
                         "the next run finishes the work (docs/operations.md).")
        raise


def ingest_stage(run: Run, source: str = "auto", dask_address: str | None = None) -> None:
    """Ingest every inbox file (as listed now) and archive it."""
    files = [str(p) for p in inbox.waiting(run.home)]
    with run.stage("ingest"):
        if not files:
            return
        subflow = ingest_inbox
        if run.task_runner == "dask":
            subflow = ingest_inbox.with_options(task_runner=dask_task_runner(dask_address))
        run.results = subflow(run.home_root, files, source, run.task_runner == "dask")


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
        run.outputs["analysts_database"] = publish(run.home_root)
    with run.stage("stats"):
        summarize_statistics(run.home_root)


def model_stage(run: Run, force: bool = False) -> None:
    """Train when the cases changed since the last training and the retraining rule says
    so (registry.retrain_due); force trains and promotes regardless."""
    from pipelines.approval import registry

    if not (force or run.needs_model):
        run.skip("model", "no new cases since the last training")
    elif not (force or training_due(run)):
        run.skip("model", run.training["reason"])
    else:
        with run.stage("model"):
            run.model = train_model(run.home_root, force)
    current = registry.current_version(run.home)
    run.outputs["model"] = str(run.home.models / current) if current else None


def training_due(run: Run) -> bool:
    """The retraining rule's verdict on the published cases, asked once per run."""
    if run.training is None:
        run.training = training_decision(run.home_root)
    return run.training["due"]


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
                run.outputs["synthetic_cases"] = synthesize(run.home_root, cases, seed)
        ingest_stage(run, dask_address=dask_address)
        if "synthetic_cases" in run.outputs:  # taken from the inbox: where it is now
            run.outputs["synthetic_cases"] = next(
                (r["archived_to"] for r in run.results
                 if r["file"] == run.outputs["synthetic_cases"] and r.get("archived_to")),
                run.outputs["synthetic_cases"])
        # (Publishing first when it is due: the rule then reads the new cases.)
        if not (run.needs_publish or run.needs_report
                or (run.needs_model and training_due(run))):
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
    """Scheduled weekly: retrain when warranted (docs/model.md); force trains and
    promotes regardless."""
    with job(Home.resolve(home_root), "relief-train") as run:
        if not run.check["analysts_db"]:
            publish_and_summarize(run)
        model_stage(run, force=force)
    return run.summary()


@flow(name="relief-report")
def report_job(home_root: str, period: str | None = None, kind: str = "month") -> dict:
    """Scheduled on the 1st (previous month) and after each quarter (previous quarter)."""
    period = period or schedules.previous_period(kind, datetime.now(ZoneInfo(schedules.timezone())).date())
    with job(Home.resolve(home_root), "relief-report") as run:
        if not run.check["analysts_db"]:
            publish_and_summarize(run)
        report_stage(run, period, always=True)
    return run.summary()


# --- helpers ------------------------------------------------------------------------------


def _flow_run_id() -> str | None:
    with contextlib.suppress(Exception):
        return str(runtime.flow_run.id) if runtime.flow_run.id else None
    return None


