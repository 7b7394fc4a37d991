"""Reading a case file into DuckDB as text, whatever its format and encoding.

The format is detected from the content, not the file name: gzip by its magic
bytes, Parquet by `PAR1`, JSON Lines by a leading `{`, otherwise CSV. CSV text
is UTF-8 (with or without BOM) or GB18030/GBK, detected by decoding.

The result is a temp table `batch_raw` in the given connection: one varchar
column per file column, named c0, c1, ... (the file's own names are kept in
RawFile.headers for the source's mapping), in file order, so its rowid is the
record's position. Malformed CSV records (too few or too many fields, broken
quoting) are kept in `batch_structural` with their line number.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.privacy import mask

SAMPLE_BYTES = 1 << 20


class Refused(Exception):
    """The file as a whole cannot be ingested. The message never holds a value from it."""


@dataclass(frozen=True)
class RawFile:
    fmt: str  # csv | parquet | jsonl
    compressed: bool
    encoding: str | None
    headers: list[str]
    rows_read: int  # records seen, structural rejects included
    # SQL expression giving a batch_raw row's line number from its rowid.
    line_sql: str


def sniff(path: Path) -> tuple[str, bool, bytes]:
    """(format, gzip-compressed, first decompressed bytes)."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    compressed = magic[:2] == b"\x1f\x8b"
    try:
        if compressed:
            with gzip.open(path, "rb") as fh:
                sample = fh.read(SAMPLE_BYTES)
        else:
            with open(path, "rb") as fh:
                sample = fh.read(SAMPLE_BYTES)
    except (OSError, EOFError) as exc:
        raise Refused(f"cannot read the file: {type(exc).__name__}") from None
    if not compressed and magic == b"PAR1":
        return "parquet", False, sample
    stripped = sample.lstrip(codecs.BOM_UTF8).lstrip()
    if stripped.startswith(b"{"):
        return "jsonl", compressed, sample
    return "csv", compressed, sample


def read_into(con: duckdb.DuckDBPyConnection, path: Path) -> RawFile:
    """Load the file into temp table batch_raw (and batch_structural); see module doc."""
    fmt, compressed, sample = sniff(path)
    for name in ("batch_raw", "batch_structural"):
        con.execute(f"drop table if exists {name}")
    con.execute("create temp table batch_structural (line bigint, rule varchar, raw varchar)")
    if fmt == "parquet":
        return _read_parquet(con, path)
    if fmt == "jsonl":
        return _read_jsonl(con, path, compressed)
    return _read_csv(con, path, compressed, sample)


# --- CSV ---------------------------------------------------------------------


def _detect_encoding(sample: bytes, complete: bool) -> str:
    if b"\x00" in sample:
        raise Refused("holds binary data (NUL bytes): not a CSV table")
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
    first = next(csv.reader(io.StringIO(text)), None)
    if not first or not any(h.strip() for h in first):
        raise Refused("has no header row: not a table")
    return [h.lstrip("\ufeff") for h in first]


def _read_csv(con, path: Path, compressed: bool, sample: bytes) -> RawFile:
    complete = len(sample) < SAMPLE_BYTES
    encoding = _detect_encoding(sample, complete)
    source: object = str(path)
    if encoding != "utf-8":
        # DuckDB reads UTF-8 only without extensions we cannot download: transcode
        # in memory (never to a file: the text may hold personal data).
        raw = gzip.open(path).read() if compressed else path.read_bytes()
        try:
            source = io.BytesIO(raw.decode("gb18030").encode("utf-8"))
        except UnicodeDecodeError:
            raise Refused("cannot be decoded as UTF-8 or GB18030/GBK text") from None
        text_head = source.getvalue()[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    else:
        text_head = sample.decode("utf-8", errors="ignore")
    headers = _header(text_head.lstrip("\ufeff"))
    try:
        _csv_to_table(con, source, headers, compressed and encoding == "utf-8")
    except duckdb.Error as exc:
        if encoding == "utf-8" and "unicode" in str(exc).lower():
            # The first megabyte was plain ASCII but the rest is not UTF-8.
            raw = gzip.open(path).read() if compressed else path.read_bytes()
            try:
                source = io.BytesIO(raw.decode("gb18030").encode("utf-8"))
            except UnicodeDecodeError:
                raise Refused("cannot be decoded as UTF-8 or GB18030/GBK text") from None
            encoding = "gb18030"
            _csv_to_table(con, source, headers, False)
        else:
            raise Refused(f"is not a CSV table DuckDB can parse: {_first_line(exc)}") from None
    return _finish_csv(con, encoding, headers, compressed)


def _csv_to_table(con, source, headers: list[str], gzip_compressed: bool) -> None:
    columns = {f"c{i}": "VARCHAR" for i in range(len(headers))}
    for name in ("batch_rejects", "batch_reject_scans"):
        con.execute(f"drop table if exists {name}")
    if isinstance(source, io.BytesIO):
        # The Python API's spelling of the same options as the SQL below.
        relation = con.read_csv(
            source, columns=columns, header=False, skiprows=1, auto_detect=False, sep=",",
            quotechar='"', escapechar='"', store_rejects=True, rejects_table="batch_rejects",
            rejects_scan="batch_reject_scans", null_padding=False, strict_mode=True,
        )
        con.register("batch_buffer", relation)
        con.execute("create temp table batch_raw as select * from batch_buffer")
        con.unregister("batch_buffer")
        return
    cols = ", ".join(f"'{name}': 'VARCHAR'" for name in columns)
    compression = "gzip" if gzip_compressed else "none"
    con.execute(
        "create temp table batch_raw as select * from read_csv(?, columns = {" + cols + "}, "
        "header = false, skip = 1, auto_detect = false, delim = ',', quote = '\"', "
        "escape = '\"', store_rejects = true, rejects_table = 'batch_rejects', "
        "rejects_scan = 'batch_reject_scans', null_padding = false, strict_mode = true, "
        f"compression = '{compression}')",
        [str(source)],
    )


def _finish_csv(con, encoding: str, headers: list[str], compressed: bool) -> RawFile:
    # One row per rejected line; its raw text is masked before it is kept.
    con.execute(
        f"""insert into batch_structural
        select line,
               case any_value(error_type)
                   when 'MISSING COLUMNS' then 'too_few_fields'
                   when 'TOO MANY COLUMNS' then 'too_many_fields'
                   else 'malformed_record' end,
               {_mask_sql('any_value(csv_line)')}
        from batch_rejects group by line"""
    )
    # A valid record's line: its position + 1 (header) + rejected lines before it.
    con.execute("drop table if exists batch_line_shift")
    con.execute(
        """create temp table batch_line_shift as
        select line - j - 1 as first_row_after, j as shift
        from (select line, row_number() over (order by line) as j from batch_structural)"""
    )
    rows = con.execute("select count(*) from batch_raw").fetchall()[0][0]
    rows += con.execute("select count(*) from batch_structural").fetchall()[0][0]
    line_sql = (
        "(batch_raw.rowid + 2 + coalesce((select max(s.shift) from batch_line_shift s "
        "where s.first_row_after <= batch_raw.rowid), 0))"
    )
    return RawFile("csv", compressed, encoding, headers, rows, line_sql)


def _mask_sql(expr: str) -> str:
    from pipelines.privacy import mask_sql

    return mask_sql(expr)


def _first_line(exc: Exception) -> str:
    # DuckDB's messages can quote file content: mask and keep the first line.
    return mask(str(exc).strip().splitlines()[0])[:200]


# --- Parquet and JSON Lines -----------------------------------------------------


def _text_table(con, relation_sql: str, params: list) -> list[str]:
    described = con.execute(f"describe select * from {relation_sql}", params).fetchall()
    headers = [row[0] for row in described]
    if not headers:
        raise Refused("has no columns: not a table")
    # Mixed-type JSON fields arrive as JSON values; ->> '$' unquotes their strings.
    select = ", ".join(
        (f"{_quote_ident(h)} ->> '$'" if str(kind).upper() == "JSON" else
         f"cast({_quote_ident(h)} as varchar)") + f" as c{i}"
        for i, (h, kind) in enumerate((row[0], row[1]) for row in described)
    )
    con.execute(f"create temp table batch_raw as select {select} from {relation_sql}", params)
    return headers


def _read_parquet(con, path: Path) -> RawFile:
    try:
        headers = _text_table(con, "read_parquet(?)", [str(path)])
    except duckdb.Error as exc:
        raise Refused(f"is not a Parquet table DuckDB can read: {_first_line(exc)}") from None
    rows = con.execute("select count(*) from batch_raw").fetchall()[0][0]
    return RawFile("parquet", False, None, headers, rows, "(batch_raw.rowid + 1)")


def _read_jsonl(con, path: Path, compressed: bool) -> RawFile:
    try:
        headers = _text_table(
            con,
            "read_json(?, format := 'newline_delimited', records := true, "
            "sample_size := -1, union_by_name := true, compression := ?)",
            [str(path), "gzip" if compressed else "none"],
        )
    except duckdb.Error as exc:
        raise Refused(f"is not JSON Lines DuckDB can read: {_first_line(exc)}") from None
    rows = con.execute("select count(*) from batch_raw").fetchall()[0][0]
    return RawFile("jsonl", compressed, "utf-8", headers, rows, "(batch_raw.rowid + 1)")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
