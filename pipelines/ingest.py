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
from pipelines.sources.files import drop_source, open_source
from pipelines.sources.zipped import readable

LOAD_SQL = SQL_DIR / "load" / "load_batch.sql"
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
    """One file, one batch: loaded whole in one transaction, unchanged, or refused."""
    name = mask(str(path))
    try:
        digest = file_digest(path)
    except Refused as exc:
        return refuse(con, name, None, source, str(exc))
    if already_loaded(con, digest):
        return IngestResult(name, "unchanged")
    try:
        plan, counts = read_and_validate(con, path, source)
    except Refused as exc:
        return refuse(con, name, digest, source, str(exc))
    result = IngestResult(name, "loaded", counts.rows_read, counts.rows_loaded,
                          counts.rows_quarantined, counts.rows_skipped, plan.source)
    load(con, result, digest)
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


def load(con: duckdb.DuckDBPyConnection, result: IngestResult, digest: str) -> None:
    con.execute("begin transaction")
    try:
        con.execute("drop table if exists batch_meta")
        con.execute(
            "create temp table batch_meta as select nextval('batch_id_seq') as batch_id, "
            "?::varchar as file, ?::varchar as content_hash, ?::varchar as source, "
            "?::bigint as rows_read, ?::bigint as rows_loaded, ?::bigint as rows_quarantined, "
            "?::bigint as rows_skipped, ?::varchar as message, ?::timestamp as ingested_at",
            [result.file, digest, result.source, result.rows_read, result.rows_loaded,
             result.rows_quarantined, result.rows_skipped, None, warehouse.utc_now()],
        )
        con.execute(LOAD_SQL.read_text("utf-8"))
        faults.point("load")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def refuse(con, name: str, digest: str | None, source: str, message: str) -> IngestResult:
    message = mask(message)
    con.execute(
        "insert into ingest_log values (nextval('batch_id_seq'), ?, ?, ?, 'refused', 0, 0, 0, 0, "
        "true, ?, ?)",
        [name, digest, None if source == "auto" else source, message, warehouse.utc_now()],
    )
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
