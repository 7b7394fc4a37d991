"""Opening a case file as a DuckDB relation, whatever its format and encoding.

The format is detected from the content, not the file name: gzip by its magic
bytes, Parquet by `PAR1`, JSON Lines by a leading `{`, otherwise CSV. CSV text
is UTF-8 (with or without BOM) or GB18030/GBK, detected by decoding. A zip
archive is unwrapped before this module sees it (pipelines/sources/zipped.py).

`open_source` defines the temp view `batch_source` in the given connection: one
column per file column, named c0, c1, ... (the file's own names are kept in
RawFile.headers for the source's mapping), in file order. CSV and JSON Lines
columns are text; Parquet columns keep their own types (RawFile.types), so a
column already stored as the contract's type needs no round trip through text.
Nothing is materialized here: validation reads the view once (`scan`), so the
file is parsed once, typed and checked in the same pass. Malformed CSV records
(too few or too many fields, broken quoting) are kept in `batch_structural`
with their line number.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from pipelines.privacy import error_line, mask_sql

SAMPLE_BYTES = 1 << 20
SOURCE_VIEW = "batch_source"
BUFFER_RELATION = "batch_buffer"  # the CSV reader, registered as a relation

# Temp relations of one read, dropped by drop_source (batch_source is a view).
SOURCE_TABLES = ("batch_structural", "batch_rejects", "batch_reject_scans", "batch_line_shift")


# Errors of the statement itself, not of the file: never turned into a refusal.
PROGRAMMING_ERRORS = (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException)


class Refused(Exception):
    """The file as a whole cannot be ingested. The message never holds a value from it."""


@dataclass(frozen=True)
class RawFile:
    path: Path
    fmt: str  # csv | parquet | jsonl
    compressed: bool
    encoding: str | None
    headers: list[str]
    # DuckDB type of each column c0..cN of batch_source ("VARCHAR" for CSV and JSON Lines).
    types: tuple[str, ...]
    # SQL expression giving a record's line number from row_id, its 0-based position
    # among the records batch_source yields.
    line_sql: str
    # CSV read as UTF-8 because its first megabyte was plain ASCII: its rest may
    # still turn out to be GB18030 (scan).
    ascii_head: bool = False
    # CSV read by one thread: a quoted value in its head holds a line break.
    serial: bool = False


READABLE = "relief reads CSV, Parquet and JSON Lines (optionally gzip or zip): export the sheet as CSV"
# Leading bytes of files people send instead of a table export.
FOREIGN_MAGIC = {
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an Excel workbook (.xls)",
    b"%PDF-": "a PDF document",
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF87a": "a GIF image",
    b"GIF89a": "a GIF image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
}


def foreign_kind(path: Path, head: bytes) -> str | None:
    """What a spreadsheet, PDF or image is, by its magic bytes; None for anything else.
    xlsx and ods are zip archives: told apart from a zipped table by their members."""
    for magic, kind in FOREIGN_MAGIC.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head[:4] == b"PK\x03\x04":
        import zipfile

        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
        except (OSError, zipfile.BadZipFile):
            return None
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            return "an Excel workbook (.xlsx)"
        if b"opendocument.spreadsheet" in mimetype:
            return "an OpenDocument spreadsheet (.ods)"
    return None


def sniff(path: Path) -> tuple[str, bool, bytes]:
    """(format, gzip-compressed, first decompressed bytes)."""
    try:
        with open(path, "rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
        kind = foreign_kind(path, sample[:16])
        if kind is not None:
            raise Refused(f"is {kind}: {READABLE}")
        compressed = sample[:2] == b"\x1f\x8b"
        if compressed:
            with gzip.open(path, "rb") as fh:
                sample = fh.read(SAMPLE_BYTES)
    except (OSError, EOFError) as exc:
        raise Refused(f"cannot read the file: {type(exc).__name__}") from None
    if not compressed and sample[:4] == b"PAR1":
        return "parquet", False, sample
    stripped = sample.lstrip(codecs.BOM_UTF8).lstrip()
    if stripped.startswith(b"{"):
        return "jsonl", compressed, sample
    return "csv", compressed, sample


def open_source(con: duckdb.DuckDBPyConnection, path: Path) -> RawFile:
    """Define batch_source over the file (and an empty batch_structural); see module doc."""
    fmt, compressed, sample = sniff(path)
    drop_source(con)
    con.execute("create temp table batch_structural (line bigint, rule varchar, raw varchar)")
    if fmt == "parquet":
        return _open_parquet(con, path)
    if fmt == "jsonl":
        return _open_jsonl(con, path, compressed)
    return _open_csv(con, path, compressed, sample)


def scan(con: duckdb.DuckDBPyConnection, raw: RawFile, statement: str, creates: str) -> RawFile:
    """Run the one statement that reads batch_source (and creates table `creates`);
    the file's errors refuse it.

    A CSV whose first megabyte was plain ASCII but whose rest is not UTF-8 is read
    again as GB18030 (the returned RawFile says so): DuckDB either fails on it or
    rejects its lines as INVALID ENCODING. After a CSV scan, the records DuckDB
    rejected are in batch_structural and raw.line_sql accounts for them.
    """
    try:
        con.execute(statement)
        late_encoding = raw.ascii_head and bool(con.execute(
            "select count(*) from batch_rejects where error_type = 'INVALID ENCODING'"
        ).fetchall()[0][0])
    except PROGRAMMING_ERRORS:
        raise
    except duckdb.Error as exc:
        if not (raw.ascii_head and "unicode" in str(exc).lower()):
            raise Refused(_refusal(raw.fmt, exc)) from None
        late_encoding = True
    if late_encoding:
        raw = replace(raw, encoding="gb18030", ascii_head=False)
        con.execute(f"drop table if exists {creates}")
        _csv_view(con, _transcoded(raw.path, raw.compressed), len(raw.headers), False, raw.serial)
        try:
            con.execute(statement)
        except PROGRAMMING_ERRORS:
            raise
        except duckdb.Error as exc:
            raise Refused(_refusal(raw.fmt, exc)) from None
    if raw.fmt == "csv":
        _finish_csv(con)
    return raw


def rejected_records(con: duckdb.DuckDBPyConnection, raw: RawFile) -> int:
    """How many records the last CSV scan of batch_source rejected (0 for other formats)."""
    if raw.fmt != "csv":
        return 0
    return con.execute("select count(*) from batch_rejects").fetchall()[0][0]


def drop_source(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"drop view if exists {SOURCE_VIEW}")
    for name in SOURCE_TABLES:
        con.execute(f"drop table if exists {name}")
    try:
        con.unregister(BUFFER_RELATION)
    except duckdb.Error:
        pass


def _refusal(fmt: str, exc: Exception) -> str:
    what = {"csv": "a CSV table", "parquet": "a Parquet table", "jsonl": "JSON Lines"}[fmt]
    return f"is not {what} DuckDB can {'parse' if fmt == 'csv' else 'read'}: {error_line(exc, limit=200)}"


# --- CSV ---------------------------------------------------------------------


def _detect_encoding(sample: bytes, complete: bool) -> str:
    if b"\x00" in sample:
        raise Refused(f"holds binary data (NUL bytes): not a CSV table; {READABLE}")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=complete)
        return "gb18030"
    except UnicodeDecodeError:
        raise Refused("cannot be decoded as UTF-8 or GB18030/GBK text") from None


def _header(text: str) -> list[str]:
    # newline="": the csv module's own line handling, so a lone \r ends a line (as
    # in old Mac files) instead of failing as a line break inside a field
    try:
        first = next(csv.reader(io.StringIO(text, newline="")), None)
    except csv.Error as exc:
        raise Refused(f"has no header row that can be read as CSV: {exc}") from None
    if not first or not any(h.strip() for h in first):
        raise Refused("has no header row: not a table")
    return [h.lstrip("\ufeff") for h in first]


def _transcoded(path: Path, compressed: bool) -> io.BytesIO:
    # DuckDB reads UTF-8 only without extensions we cannot download: transcode
    # in memory (never to a file: the text may hold personal data).
    if compressed:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    else:
        raw = path.read_bytes()
    try:
        return io.BytesIO(raw.decode("gb18030").encode("utf-8"))
    except UnicodeDecodeError:
        raise Refused("cannot be decoded as UTF-8 or GB18030/GBK text") from None


def _open_csv(con, path: Path, compressed: bool, sample: bytes) -> RawFile:
    complete = len(sample) < SAMPLE_BYTES
    encoding = _detect_encoding(sample, complete)
    source: Path | io.BytesIO = path
    if encoding != "utf-8":
        source = _transcoded(path, compressed)
        text_head = source.getvalue()[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    else:
        text_head = sample.decode("utf-8", errors="ignore")
    headers = _header(text_head.lstrip("\ufeff"))
    serial = quoted_line_break(text_head)
    _csv_view(con, source, len(headers), compressed and encoding == "utf-8", serial)
    # A valid record's line: its position + 1 (header) + rejected lines before it.
    line_sql = (
        "(row_id + 2 + coalesce((select max(s.shift) from batch_line_shift s "
        "where s.first_row_after <= row_id), 0))"
    )
    return RawFile(path, "csv", compressed, encoding, headers, ("VARCHAR",) * len(headers),
                   line_sql, ascii_head=encoding == "utf-8" and not complete and sample.isascii(),
                   serial=serial)


def quoted_line_break(text: str) -> bool:
    """Whether a quoted value in text (a file's head) holds a line break.

    DuckDB's parallel CSV reader can split such a file at a line break inside
    quotes and return a record twice (measured on a CFPB export with narratives:
    2,000,001 rows for 2,000,000 records, no error), so such a file is read by one
    thread. The head's last record may be cut; it is left out.
    """
    if '"' not in text:
        return False
    head = text[:text.rfind("\n")] if "\n" in text else text
    try:
        return any("\n" in value or "\r" in value
                   for record in csv.reader(io.StringIO(head, newline=""), strict=True)
                   for value in record)
    except csv.Error:
        return True  # a value still open where the head ends: read it safely


def _csv_view(con, source: Path | io.BytesIO, width: int, gzip_compressed: bool,
              serial: bool = False) -> None:
    for name in ("batch_rejects", "batch_reject_scans"):
        con.execute(f"drop table if exists {name}")
    con.execute(f"drop view if exists {SOURCE_VIEW}")
    # One spelling of the options for a file and for transcoded text in memory.
    relation = con.read_csv(
        source if isinstance(source, io.BytesIO) else str(source),
        columns={f"c{i}": "VARCHAR" for i in range(width)}, header=False, skiprows=1,
        auto_detect=False, sep=",", quotechar='"', escapechar='"', store_rejects=True,
        rejects_table="batch_rejects", rejects_scan="batch_reject_scans", null_padding=False,
        strict_mode=True, compression="gzip" if gzip_compressed else "none",
        parallel=not serial,
    )
    con.register(BUFFER_RELATION, relation)
    con.execute(f"create temp view {SOURCE_VIEW} as select * from {BUFFER_RELATION}")


def _finish_csv(con) -> None:
    # One row per rejected line; its raw text is masked before it is kept.
    con.execute("delete from batch_structural")
    con.execute(
        f"""insert into batch_structural
        select line,
               case any_value(error_type)
                   when 'MISSING COLUMNS' then 'too_few_fields'
                   when 'TOO MANY COLUMNS' then 'too_many_fields'
                   else 'malformed_record' end,
               {mask_sql('any_value(csv_line)')}
        from batch_rejects group by line"""
    )
    con.execute("drop table if exists batch_line_shift")
    con.execute(
        """create temp table batch_line_shift as
        select line - j - 1 as first_row_after, j as shift
        from (select line, row_number() over (order by line) as j from batch_structural)"""
    )


# --- Parquet and JSON Lines -----------------------------------------------------


def _describe(con, relation_sql: str, fmt: str) -> list[tuple[str, str]]:
    try:
        described = con.execute(f"describe select * from {relation_sql}").fetchall()
    except duckdb.Error as exc:
        raise Refused(_refusal(fmt, exc)) from None
    if not described:
        raise Refused("has no columns: not a table")
    return [(row[0], str(row[1]).upper()) for row in described]


def _open_parquet(con, path: Path) -> RawFile:
    relation = f"read_parquet({sql_literal(str(path))})"
    described = _describe(con, relation, "parquet")
    select = ", ".join(f"{_quote_ident(h)} as c{i}" for i, (h, _) in enumerate(described))
    con.execute(f"create temp view {SOURCE_VIEW} as select {select} from {relation}")
    return RawFile(path, "parquet", False, None, [h for h, _ in described],
                   tuple(kind for _, kind in described), "(row_id + 1)")


def _open_jsonl(con, path: Path, compressed: bool) -> RawFile:
    relation = (
        f"read_json({sql_literal(str(path))}, format := 'newline_delimited', records := true, "
        f"sample_size := -1, union_by_name := true, "
        f"compression := '{'gzip' if compressed else 'none'}')"
    )
    described = _describe(con, relation, "jsonl")
    # Mixed-type JSON fields arrive as JSON values; ->> '$' unquotes their strings.
    select = ", ".join(
        (f"{_quote_ident(h)} ->> '$'" if kind == "JSON" else f"cast({_quote_ident(h)} as varchar)")
        + f" as c{i}"
        for i, (h, kind) in enumerate(described)
    )
    con.execute(f"create temp view {SOURCE_VIEW} as select {select} from {relation}")
    return RawFile(path, "jsonl", compressed, "utf-8", [h for h, _ in described],
                   ("VARCHAR",) * len(described), "(row_id + 1)")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """text as a quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
