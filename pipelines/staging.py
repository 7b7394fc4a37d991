"""Ingesting in two halves, for scale-out: prepare anywhere, load in the one writer.

`prepare_file` runs where there is spare CPU (a Dask worker): it reads, maps and
validates one file in a private in-memory DuckDB and writes the batch's valid rows
and quarantine to Parquet under data/staging/<hash>/. No personal data reaches
those files: valid rows passed the privacy guard, quarantined values are masked.
`load_prepared` runs in the writer: one transaction per batch with the same
sql/load/ steps as the serial path (pipelines.ingest.load), so both paths give
the same warehouse. Staged batches left by a killed run are stale; the next run
clears them before preparing again (`clear`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from pipelines import ingest, validate
from pipelines.privacy import mask
from pipelines.sources import Refused

VALID_FILE = "valid.parquet"
QUARANTINE_FILE = "quarantine.parquet"


def prepare_file(path: str | Path, staging_dir: str | Path, known_hashes: frozenset[str] | set[str],
                 source: str = "auto") -> dict:
    """Read + validate one file into Parquet; a plain dict that pickles to and from workers."""
    path, staging_dir = Path(path), Path(staging_dir)
    prepared = {"file": mask(str(path)), "path": str(path), "source": source, "digest": None,
                "status": "refused", "message": "", "dir": None}
    try:
        digest = ingest.file_digest(path)
    except Refused as exc:
        return {**prepared, "message": str(exc)}
    prepared["digest"] = digest
    if digest in known_hashes:
        return {**prepared, "status": "unchanged"}
    con = duckdb.connect()  # private, in memory: nothing of the file is kept but the Parquet
    try:
        try:
            plan, counts = ingest.read_and_validate(con, path, source)
        except Refused as exc:
            return {**prepared, "message": str(exc)}
        out = staging_dir / digest
        tmp = staging_dir / f".{digest}.{os.getpid()}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        con.execute(f"copy batch_valid to '{tmp / VALID_FILE}' (format parquet)")
        con.execute(f"copy batch_quarantine to '{tmp / QUARANTINE_FILE}' (format parquet)")
        shutil.rmtree(out, ignore_errors=True)
        os.rename(tmp, out)
    finally:
        con.close()
    return {**prepared, "status": "prepared", "source": plan.source, "dir": str(out),
            "rows_read": counts.rows_read, "rows_loaded": counts.rows_loaded,
            "rows_quarantined": counts.rows_quarantined, "rows_skipped": counts.rows_skipped}


def load_prepared(con: duckdb.DuckDBPyConnection, prepared: dict) -> ingest.IngestResult:
    """Load one prepared batch in one transaction (the writer's half); drop its staging."""
    name, digest = prepared["file"], prepared["digest"]
    if prepared["status"] == "refused":
        return ingest.refuse(con, name, digest, prepared["source"], prepared["message"])
    if prepared["status"] == "unchanged" or ingest.already_loaded(con, digest):
        return ingest.IngestResult(name, "unchanged")
    staged = Path(prepared["dir"])
    validate.drop_batch_relations(con)
    con.execute("create temp table batch_valid as select * from read_parquet(?)",
                [str(staged / VALID_FILE)])
    con.execute("create temp table batch_quarantine as select * from read_parquet(?)",
                [str(staged / QUARANTINE_FILE)])
    result = ingest.IngestResult(name, "loaded", prepared["rows_read"], prepared["rows_loaded"],
                                 prepared["rows_quarantined"], prepared["rows_skipped"],
                                 prepared["source"])
    ingest.load(con, result, digest)
    ingest.drop_batch_tables(con)
    shutil.rmtree(staged, ignore_errors=True)
    return result


def clear(staging_dir: Path) -> None:
    """Drop every staged batch (call only while holding the writer lock)."""
    shutil.rmtree(staging_dir, ignore_errors=True)
