"""DuckDB connections, migrations, and publishing the analysts' copy.

Two databases live under the home:
- data/warehouse.duckdb: the pipeline's working database. Only the holder of the
  writer lock opens it, read-write.
- data/relief.duckdb: the analysts' copy. Built as a new file and renamed over the
  old one, so a reader holding the old file open keeps a consistent snapshot and
  never blocks the pipeline, and a crash never leaves half a run visible.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines import faults
from pipelines.config import (
    MARTS_DIR,
    SCHEMA_DIR,
    SQL_DIR,
    Home,
    InstallIncomplete,
    private_temp_dir,
)

# The shared macros (sql/macros/*.sql): live definitions, created or replaced on
# every migrate() rather than frozen in a migration.
MACROS_DIR = SQL_DIR / "macros"
# The layers built on the cases at each refresh, in this order (docs/architecture.md):
# per-case facts and monthly cells, then the marts on them.
FACTS_DIR = SQL_DIR / "facts"
# This module's own statements: the migrations ledger, the refresh's state and
# its bookkeeping (mart_refreshes).
WAREHOUSE_SQL = SQL_DIR / "warehouse"

WRITER_WAIT_SECONDS = 30.0  # RELIEF_WRITER_WAIT overrides, read when a wait starts


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer relief than this one."""


class WriterBusy(RuntimeError):
    """Another pipeline command holds the writer lock."""


class NoAnalystsDatabase(RuntimeError):
    """Nothing has been published yet."""


# --- migrations ------------------------------------------------------------------


def _own_sql(name: str) -> str:
    """sql/warehouse/<name>.sql."""
    return (WAREHOUSE_SQL / f"{name}.sql").read_text("utf-8")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(schema_dir: Path | None = None) -> list[Migration]:
    """The numbered migrations in schema_dir (default: the installed sql/schema); none is
    an error (a broken install), never "nothing to apply"."""
    schema_dir = SCHEMA_DIR if schema_dir is None else schema_dir
    if not any(schema_dir.glob("*.sql")):
        raise InstallIncomplete(
            f"no migrations (NNN_name.sql) in {schema_dir}: this relief was installed "
            "without its SQL; reinstall it from a wheel or a full checkout"
        )
    found = []
    for path in sorted(schema_dir.glob("*.sql")):
        match = re.match(r"^(\d+)_(.+)\.sql$", path.name)
        if not match:
            raise ValueError(f"migration file name must be NNN_name.sql: {path.name}")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text("utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migrations share a number in {schema_dir}")
    return found


def migrate(
    con: duckdb.DuckDBPyConnection,
    schema_dir: Path | None = None,
    macros_dir: Path = MACROS_DIR,
) -> list[int]:
    """Apply the migrations not yet recorded, then (re)create the shared macros;
    return the versions applied."""
    known = migrations(schema_dir)  # first: an install without its SQL says so
    con.execute(_own_sql("create_migrations_ledger"))
    applied = {row[0] for row in con.execute(_own_sql("applied_migrations")).fetchall()}
    newest_code = max((m.version for m in known), default=0)
    if applied and max(applied) > newest_code:
        raise SchemaTooNew(
            f"the database is at schema version {max(applied)} but this relief knows only "
            f"up to {newest_code}: upgrade relief before using this home"
        )
    done = []
    for m in known:
        if m.version in applied:
            continue
        con.execute("begin transaction")
        try:
            con.execute(m.sql)
            con.execute(_own_sql("record_migration"),
                        {"version": m.version, "name": m.name, "applied_at": utc_now()})
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        done.append(m.version)
    create_macros(con, macros_dir)
    return done


def macro_definitions(macros_dir: Path = MACROS_DIR) -> dict[str, str]:
    """Each macro file's SQL (sql/macros/<name>.sql), by name, in the order it runs:
    file-name order, as DuckDB binds a macro's body when it is created."""
    return {path.stem: path.read_text("utf-8") for path in sorted(macros_dir.glob("*.sql"))}


def create_macros(con: duckdb.DuckDBPyConnection, macros_dir: Path = MACROS_DIR) -> None:
    """Create or replace every shared macro (they follow the tables they read)."""
    con.execute("begin transaction")
    try:
        for sql in macro_definitions(macros_dir).values():
            con.execute(sql)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def layer_definitions(folder: Path) -> dict[str, str]:
    """Each query of a built layer (sql/facts or sql/marts: <name>.sql), by name, in
    file-name order: the order they are built in, so a file may read the files of its
    own layer that sort before it."""
    return {
        path.stem: path.read_text("utf-8").strip().rstrip(";")
        for path in sorted(folder.glob("*.sql"))
    }


def facts_definitions(facts_dir: Path = FACTS_DIR) -> dict[str, str]:
    """The facts layer (sql/facts): per-case facts, monthly cells and every route's
    grouped statistics, built first."""
    return layer_definitions(facts_dir)


def mart_definitions(marts_dir: Path = MARTS_DIR) -> dict[str, str]:
    """The marts (sql/marts), built on the facts."""
    return layer_definitions(marts_dir)


def materialization(query: str) -> str:
    """'view' or 'table': a file says `-- materialized: view` in its header to be a
    view (computed when read); every other file is built as a table."""
    found = re.search(r"^-- materialized: (view|table)$", query, flags=re.M)
    return found.group(1) if found else "table"


def refresh_marts(
    con: duckdb.DuckDBPyConnection, marts_dir: Path = MARTS_DIR, force: bool = False,
    facts_dir: Path = FACTS_DIR,
) -> bool:
    """Build the facts layer, then the marts on it, when the cases or the definitions
    changed.

    Facts and marts read only cases (and the small routes table), so what they show
    is fixed by the newest batch in cases, the row counts of cases and case_versions
    (sql/warehouse/refresh_state.sql) and their SQL with the macros it calls; when all
    four equal the last refresh's (mart_refreshes), nothing is done and False is
    returned: a batch that loaded nothing (unchanged, refused) costs no refresh.
    Otherwise every layer is rebuilt in order in one transaction, so a reader never
    sees some marts newer than others.
    """
    facts, marts = facts_definitions(facts_dir), mart_definitions(marts_dir)
    if facts.keys() & marts.keys():
        raise ValueError(f"a fact and a mart share a name: {sorted(facts.keys() & marts.keys())}")
    # the macros the layers call are part of their definitions
    hashed = {**{f"macros/{name}": sql for name, sql in macro_definitions().items()},
              **{f"facts/{name}": sql for name, sql in facts.items()},
              **marts}
    definitions_hash = hashlib.sha256(
        "\n".join(f"{name}\n{query}" for name, query in hashed.items()).encode("utf-8")
    ).hexdigest()
    state = con.execute(_own_sql("refresh_state")).fetchall()[0]
    last = con.execute(_own_sql("last_refresh")).fetchall()
    if not force and last and last[0] == (*state, definitions_hash):
        return False
    started = time.perf_counter()
    con.execute("begin transaction")
    try:
        for name, query in {**facts, **marts}.items():
            _materialize(con, name, query)
        con.execute(_own_sql("case_outcome_facts_alias"))
        last_batch_id, cases, case_versions = state
        con.execute(_own_sql("record_refresh"), {
            "refreshed_at": utc_now(), "last_batch_id": last_batch_id, "cases": cases,
            "case_versions": case_versions, "definitions_hash": definitions_hash,
            "seconds": time.perf_counter() - started})
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return True


def _materialize(con: duckdb.DuckDBPyConnection, name: str, query: str) -> None:
    """Create or replace name as a table or a view, as its file says; an object of the
    other kind left by an older definition is dropped first."""
    kind = materialization(query)
    existing = con.execute(_own_sql("object_kind"), {"name": name}).fetchall()
    if existing and (existing[0][0] == "VIEW") != (kind == "view"):
        con.execute(f"drop {'view' if existing[0][0] == 'VIEW' else 'table'} {name}")
    con.execute(f"create or replace {kind} {name} as\n{query}")


# --- the writer lock -------------------------------------------------------------


# Locks this process holds, by lock file: a flow run inside `relief run`, which took the
# lock before starting Prefect, enters it again without waiting for itself.
_held: dict[Path, int] = {}


def _say_waiting(holder: str, wait: float) -> None:
    print(f"relief: waiting up to {wait:.0f} s (RELIEF_WRITER_WAIT) for the writer lock, "
          f"held by {holder}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def writer_lock(home: Home, command: str = "relief", wait_seconds: float | None = None,
                on_wait: Callable[[str, float], None] = _say_waiting,
                reenter: bool = False) -> Iterator[None]:
    """One pipeline writer at a time; analysts' read-only connections never count.

    A second writer says once who holds the lock and that it waits (on_wait: by
    default one line on stderr), waits up to wait_seconds (RELIEF_WRITER_WAIT,
    default 30), then fails with WriterBusy naming the holder. flock is released by
    the kernel when the holder dies, so a killed run never leaves a stale lock.
    With reenter, a process that already holds the lock enters again at once (the
    flow run inside `relief run`, which took the lock before starting Prefect).
    """
    path = home.writer_lock
    if reenter and path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    wait = float(os.environ.get("RELIEF_WRITER_WAIT", WRITER_WAIT_SECONDS)) \
        if wait_seconds is None else wait_seconds
    home.data.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not said and wait > 0:
                    on_wait(_read_holder(path), wait)
                    said = True
                if time.monotonic() >= deadline:
                    raise WriterBusy(
                        f"another relief command holds the writer lock ({_read_holder(path)}); "
                        f"waited {wait:.0f} s (RELIEF_WRITER_WAIT): try again when it is done"
                    ) from None
                time.sleep(0.2)
        info = json.dumps({"pid": os.getpid(), "command": command, "since": utc_now().isoformat(timespec="seconds")})
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
        _held[path] = 1
        try:
            yield
        finally:
            _held.pop(path, None)
    finally:
        os.close(fd)  # closing releases the flock


def _read_holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
        return f"pid {info.get('pid')}, `{info.get('command')}`, since {info.get('since')} UTC"
    except (OSError, ValueError):
        return "holder unknown"


# --- connections -----------------------------------------------------------------


def connect_working(home: Home) -> duckdb.DuckDBPyConnection:
    """The working database, migrated. Hold writer_lock first."""
    home.data.mkdir(parents=True, exist_ok=True)
    # Batches are staged as temp tables; when they spill, they spill outside the
    # home (raw text may hold personal data until validation has masked it).
    spill = private_temp_dir()
    con = duckdb.connect(str(home.warehouse), config={
        "temp_directory": str(spill),
        "memory_limit": os.environ.get("RELIEF_DUCKDB_MEMORY_LIMIT", "1GB"),
        "preserve_insertion_order": True,  # batch_typed's rowid is the record's position
    })
    try:
        migrate(con)
    except Exception:
        con.close()
        raise
    return con


@contextlib.contextmanager
def open_writer(home: Home, command: str = "relief") -> Iterator[duckdb.DuckDBPyConnection]:
    """Writer lock + working database connection."""
    with writer_lock(home, command):
        con = connect_working(home)
        try:
            yield con
        finally:
            con.close()


def connect_analysts(home: Home) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the analysts' copy (what reports and models read)."""
    if not home.analysts_db.exists():
        raise NoAnalystsDatabase(
            f"no analysts' database at {home.analysts_db}: run `relief run` or `relief ingest` first"
        )
    return duckdb.connect(str(home.analysts_db), read_only=True)


# --- publishing ------------------------------------------------------------------


def publish(home: Home, con: duckdb.DuckDBPyConnection) -> Path:
    """Replace data/relief.duckdb atomically with a copy of the working database.

    The facts and marts are refreshed first (when the cases changed), so the copy's
    statistics always describe the copy's cases.

    The caller holds the writer lock, so nothing writes while the checkpointed
    file is copied; the copy is synced, then renamed over the old one. A byte
    copy is several times faster than COPY FROM DATABASE, and the working
    database holds nothing analysts may not see (quarantine values are masked).
    """
    target = home.analysts_db
    tmp = target.with_name(target.name + ".publishing")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    refresh_marts(con)
    con.execute("checkpoint")
    shutil.copyfile(home.warehouse, tmp)
    fsync_path(tmp)
    faults.point("publish")
    os.replace(tmp, target)
    fsync_path(target.parent)
    return target


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's entry to disk (before and after an atomic rename)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def utc_now() -> datetime:
    """Now, as the database's TIMESTAMP columns hold it: UTC, without a time zone."""
    return datetime.now(UTC).replace(tzinfo=None)
