"""Writing synthetic cases: stream chunks to CSV (en: UTF-8; zh: Chinese headers and
labels in GB18030), CSV.gz or Parquet, into a new file renamed into place when whole."""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import polars as pl

from pipelines import contract
from pipelines.synth.generation import _check, generate


def _to_zh(frame: pl.DataFrame) -> pl.DataFrame:
    """Chinese labels, 是/否 and YYYY/MM/DD dates, under the Chinese headers."""
    exprs = []
    for column in contract.COLUMNS:
        if column.name not in frame.columns:
            continue
        col = pl.col(column.name)
        if column.enum is not None:
            mapping = {v: contract.zh_label(column.enum, v) for v in column.enum}
            col = col.replace_strict(mapping, default=None, return_dtype=pl.String)
        elif column.kind == "boolean":
            col = pl.when(col).then(pl.lit("是")).when(~col).then(pl.lit("否"))
        elif column.kind == "date":
            col = col.dt.strftime("%Y/%m/%d")
        exprs.append(col.alias(column.zh))
    return frame.select(exprs)


def _kind(path: Path) -> str:
    name = path.name.lower()
    for suffix, kind in ((".csv.gz", "csv.gz"), (".csv", "csv"), (".parquet", "parquet")):
        if name.endswith(suffix):
            return kind
    raise ValueError(f"{path}: the file name must end in .csv, .csv.gz or .parquet")


class _TableWriter:
    """Streams frames to one CSV / CSV.gz / Parquet file, written aside and renamed.

    Bytes depend on the frames only: gzip without name or time stamp, Parquet
    through pyarrow with fixed settings.
    """

    def __init__(self, path: Path, encoding: str = "utf-8", float_precision: int = 2):
        self.path = path
        self.kind = _kind(path)
        self.encoding = encoding
        self.float_precision = float_precision
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = path.with_name(f".{path.name}.partial")
        self._raw = open(self._tmp, "wb")  # noqa: SIM115 - closed in close()/abort()
        self._out = (gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
                     if self.kind == "csv.gz" else self._raw)
        self._parquet = None
        self._header = True

    def write(self, frame: pl.DataFrame) -> None:
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            table = frame.to_arrow()
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self._raw, table.schema, compression="zstd")
            self._parquet.write_table(table)
            return
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=self._header, float_precision=self.float_precision)
        self._header = False
        data = buffer.getvalue()
        if self.encoding != "utf-8":
            data = data.decode("utf-8").encode(self.encoding)
        self._out.write(data)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._out is not self._raw:
            self._out.close()
        self._raw.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        self._raw.close()
        self._tmp.unlink(missing_ok=True)


def _write(frames: Iterator[pl.DataFrame], out: Path, lang: str, truth: Path | None,
           progress: Callable[[int], None] | None = None) -> dict[str, str]:
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be en or zh, got {lang!r}")
    writers = {"cases": _TableWriter(out, "gb18030" if lang == "zh" else "utf-8")}
    if truth is not None:
        writers["truth"] = _TableWriter(truth, float_precision=6)
    with ExitStack() as cleanup:
        cleanup.callback(lambda: [w.abort() for w in writers.values()])
        for frame in frames:
            cases = frame.select(contract.COLUMN_NAMES)
            writers["cases"].write(_to_zh(cases) if lang == "zh" else cases)
            if truth is not None:
                writers["truth"].write(frame.select("case_id", "true_probability"))
            if progress is not None:
                progress(frame.height)
        for w in writers.values():
            w.close()
        cleanup.pop_all()
    return {label: str(w.path) for label, w in writers.items()}


def write_cases(out: Path, cases: int, seed: int, lang: str = "en", truth: Path | None = None,
                progress: Callable[[int], None] | None = None) -> dict[str, str]:
    """Write `cases` synthetic cases to `out` (CSV, CSV.gz or Parquet by extension).

    lang="zh": Chinese headers and labels (是/否, YYYY/MM/DD), CSV in GB18030.
    truth: also write case_id, true_probability there. Returns label -> path.
    Same arguments, same bytes.
    """
    _check(cases, seed)
    out, truth = Path(out), (Path(truth) if truth is not None else None)
    _kind(out)
    if truth is not None:
        _kind(truth)
    return _write(generate(cases, seed), out, lang, truth, progress)
