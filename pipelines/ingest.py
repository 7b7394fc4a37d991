"""Ingesting case files: read, map, validate, load one batch per file.

`ingest_file` is the plain step (one file, one transaction, in a writer
connection); `ingest_paths` is what `relief ingest` calls; the Prefect flow in
pipelines/flows.py wires `ingest_file` into tasks.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from pipelines import faults, validate, warehouse
from pipelines.config import SQL_DIR, Home
from pipelines.privacy import mask
from pipelines.sources import Refused, SourcePlan, plan_for
from pipelines.sources.files import PROGRAMMING_ERRORS, drop_source, open_source, rejected_records
from pipelines.sources.zipped import readable

LOAD_SQL_DIR = SQL_DIR / "load"
CASE_FILE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".jsonl", ".jsonl.gz", ".json", ".gz", ".zip")


@dataclass
class IngestResult:
    file: str
    status: str  # loaded | unchanged | refused
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_skipped: int = 0
    source: str | None = None
    message: str = ""

    def as_json(self) -> dict:
        return asdict(self)

    def summary_line(self) -> str:
        if self.status == "refused":
            return f"{self.file}: refused: {self.message}"
        if self.status == "unchanged":
            return f"{self.file}: unchanged (this content was already ingested)"
        skipped = f", {self.rows_skipped} skipped (not relief requests)" if self.rows_skipped else ""
        return (f"{self.file}: {self.rows_read} read, {self.rows_loaded} loaded, "
                f"{self.rows_quarantined} quarantined{skipped} [{self.source}]")


def discover(paths: list[str | Path]) -> list[Path]:
    """Files named directly, and case files found in folders (recursively, sorted)."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and not p.name.startswith(".")
                and p.name.lower().endswith(CASE_FILE_SUFFIXES)
            )
        else:
            found.append(path)
    return found


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path, source: str = "auto") -> IngestResult:
    """One file, one batch: loaded whole in one transaction, unchanged, or refused.

    A file of clean records is loaded by one scan that reads, types, checks and
    stores it (`load_in_one_scan`); any other is read again and validated, its
    rejected records explained and quarantined (`read_and_validate`, `load`). Both
    give the same rows in every table (tests/test_ingest_paths.py).
    """
    name = mask(str(path))
    try:
        digest = file_digest(path)
    except Refused as exc:
        return refuse(con, name, None, source, str(exc))
    if already_loaded(con, digest):
        return IngestResult(name, "unchanged")
    batch_id = None  # taken by the one scan's attempt, and kept if it gives way
    try:
        result, batch_id = load_in_one_scan(con, path, name, digest, source)
        if result is None:
            plan, counts = read_and_validate(con, path, source)
            result = IngestResult(name, "loaded", counts.rows_read, counts.rows_loaded,
                                  counts.rows_quarantined, counts.rows_skipped, plan.source)
            load(con, result, digest, batch_id)
    except Refused as exc:
        return refuse(con, name, digest, source, str(exc), batch_id)
    drop_batch_tables(con)
    return result


def file_digest(path: Path) -> str:
    """The file's content hash; Refused when it is missing or cannot be read."""
    if not path.is_file():
        raise Refused("no such file")
    try:
        return content_hash(path)
    except OSError as exc:
        raise Refused(f"cannot be read ({type(exc).__name__})") from None


def already_loaded(con: duckdb.DuckDBPyConnection, digest: str) -> bool:
    return con.execute(
        "select count(*) from ingest_log where content_hash = ? and status = 'loaded'", [digest]
    ).fetchall()[0][0] > 0


def read_and_validate(con: duckdb.DuckDBPyConnection, path: Path,
                      source: str = "auto") -> tuple[SourcePlan, validate.Counts]:
    """Read, map and validate into this connection's batch_valid / batch_quarantine.

    Raises Refused for a file refused whole. Any connection will do: the writer's
    (serial ingest) or a private in-memory one (pipelines.staging, on a worker).
    """
    with readable(path) as data:  # a zip's one entry, in the private temp folder
        raw = open_source(con, data)
        plan = plan_for(raw.headers, source)
        counts = validate.validate(con, plan, raw)
    faults.point("read")
    return plan, counts


def load_in_one_scan(con: duckdb.DuckDBPyConnection, path: Path, name: str, digest: str,
                     source: str = "auto") -> tuple[IngestResult | None, int | None]:
    """Load a file whose every record is clean with the one statement that reads it.

    In the batch's transaction, cases.sql reads the file through validate.clean_view
    (typing and checking every per-row rule on the way) straight into cases; the
    checks that need the whole batch follow (no duplicate case_id, no record the CSV
    reader rejected), then the versions it replaces and its ingest_log row. A record
    that is not clean rolls it all back: (None, batch_id) says to validate the batch
    instead, under the batch id taken here (a sequence does not roll back). Sources
    that skip records (CFPB) and refused files give (None, None) before any of it.
    """
    with readable(path) as data:
        raw = open_source(con, data)
        plan = plan_for(raw.headers, source)
        if plan.skip is not None:
            return None, None
        validate.clean_view(con, plan, raw)
        batch_id = next_batch_id(con)
        result = IngestResult(name, "loaded", source=plan.source)
        con.execute("begin transaction")
        try:
            write_batch_meta(con, result, digest, batch_id)
            replaces = holds_cases(con)
            try:
                loaded = con.execute(_load_sql("cases")).fetchall()[0][0]
            except PROGRAMMING_ERRORS:
                raise
            except duckdb.Error:  # validate.NOT_CLEAN, or the file's own error (encoding...)
                loaded = None  # validating the batch explains the records or refuses the file
            faults.point("read")
            if loaded is None or rejected_records(con, raw) or batch_has_duplicate_ids(con):
                con.execute("rollback")
                return None, batch_id
            result.rows_read = result.rows_loaded = loaded
            write_batch_meta(con, result, digest, batch_id)
            if replaces:
                con.execute(_load_sql("versions"))
            con.execute(_load_sql("ingest_log"))
            faults.point("load")
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    return result, batch_id


def load(con: duckdb.DuckDBPyConnection, result: IngestResult, digest: str,
         batch_id: int | None = None) -> None:
    """Load a validated batch (batch_valid, batch_quarantine) in one transaction."""
    batch_id = next_batch_id(con) if batch_id is None else batch_id
    con.execute("begin transaction")
    try:
        write_batch_meta(con, result, digest, batch_id)
        replaces = holds_cases(con)
        for step in ("ingest_log", "cases", "versions", "quarantine"):
            if step != "versions" or replaces:
                con.execute(_load_sql(step))
        faults.point("load")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def next_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select nextval('batch_id_seq')").fetchall()[0][0]


def write_batch_meta(con: duckdb.DuckDBPyConnection, result: IngestResult, digest: str,
                     batch_id: int) -> None:
    """Temp table batch_meta: the one row the load SQL reads about its batch."""
    con.execute(
        "create or replace temp table batch_meta as select ?::bigint as batch_id, "
        "?::varchar as file, ?::varchar as content_hash, ?::varchar as source, "
        "?::bigint as rows_read, ?::bigint as rows_loaded, ?::bigint as rows_quarantined, "
        "?::bigint as rows_skipped, ?::varchar as message, ?::timestamp as ingested_at",
        [batch_id, result.file, digest, result.source, result.rows_read, result.rows_loaded,
         result.rows_quarantined, result.rows_skipped, None, warehouse.utc_now()],
    )


def holds_cases(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether cases holds any row yet: a batch into an empty warehouse replaces no
    version, and versions.sql would still build its join over the whole batch."""
    return con.execute("select exists (select 1 from cases)").fetchall()[0][0]


def batch_has_duplicate_ids(con: duckdb.DuckDBPyConnection) -> bool:
    """A case_id the batch being loaded holds twice (a rule only the whole batch can break)."""
    return con.execute(_load_sql("duplicate_ids")).fetchall()[0][0]


def _load_sql(step: str) -> str:
    return (LOAD_SQL_DIR / f"{step}.sql").read_text("utf-8")


def refuse(con, name: str, digest: str | None, source: str, message: str,
           batch_id: int | None = None) -> IngestResult:
    message = mask(message)
    batch_id = next_batch_id(con) if batch_id is None else batch_id
    con.execute(_load_sql("refused"), [batch_id, name, digest, None if source == "auto" else source,
                                       message, warehouse.utc_now()])
    drop_batch_tables(con)
    return IngestResult(name, "refused", message=message)


def drop_batch_tables(con: duckdb.DuckDBPyConnection) -> None:
    validate.drop_batch_relations(con)
    drop_source(con)
    con.execute("drop table if exists batch_meta")


def ingest_paths(home: Home, paths: list[str | Path], source: str = "auto",
                 progress: bool = False) -> list[IngestResult]:
    """`relief ingest`: every file in its own batch, then publish if anything changed.

    progress: show on the terminal (stderr) which file is being ingested and how
    far the database step under way has come (`relief ingest` on a terminal).
    """
    files = discover(paths)
    results: list[IngestResult] = []
    with warehouse.open_writer(home, "relief ingest") as con:
        with _progress(con, files, enabled=progress) as show:
            for path in files:
                show(path)
                results.append(ingest_file(con, path, source))
            if any(r.status != "unchanged" for r in results) or not home.analysts_db.exists():
                show(None)
                warehouse.publish(home, con)
    return results


PROGRESS_POLL_SECONDS = 0.2


@contextlib.contextmanager
def _progress(con: duckdb.DuckDBPyConnection, files: list[Path], enabled: bool,
              console=None) -> Iterator[Callable[[Path | None], None]]:
    """A files bar, and a bar for the statement the connection is running.

    A large file is read, checked and loaded by a few long statements; DuckDB
    tracks their progress (query_progress, polled from a thread while the
    statement runs and holds no Python lock), so the second bar moves within a
    file. show(path) names the file starting; show(None) the publishing step.
    """
    if not enabled or not files:
        yield lambda path: None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    track_query_progress(con, True)
    stop = threading.Event()
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, transient=True, console=console) as bars:
        files_bar = bars.add_task("files", total=len(files))
        step_bar = bars.add_task("  current step", total=100)
        started = 0

        def show(path: Path | None) -> None:
            nonlocal started
            bars.update(files_bar, completed=started,
                        description=f"ingesting {mask(path.name)}" if path else "publishing")
            bars.update(step_bar, completed=0)
            started += path is not None

        def poll() -> None:
            while not stop.wait(PROGRESS_POLL_SECONDS):
                done = con.query_progress()
                if done >= 0:
                    bars.update(step_bar, completed=done)

        poller = threading.Thread(target=poll, name="relief-ingest-progress", daemon=True)
        poller.start()
        try:
            yield show
        finally:
            stop.set()
            poller.join()
            track_query_progress(con, False)


def track_query_progress(con: duckdb.DuckDBPyConnection, on: bool) -> None:
    """Make con.query_progress() answer (it is -1 otherwise), without DuckDB
    printing a bar of its own."""
    con.execute(f"set enable_progress_bar = {'true' if on else 'false'}")
    if on:
        con.execute("set enable_progress_bar_print = false")
