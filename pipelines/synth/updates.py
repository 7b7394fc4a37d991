"""Update batches: a later export re-stating the cases of an earlier synthetic file whose
outcome or plan status has changed since."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from pipelines import contract
from pipelines.sources import files
from pipelines.synth.generation import _observe, _story_block
from pipelines.synth.mechanism import BLOCK_ROWS, DEFAULT_CHUNK_ROWS, UPDATES_AS_OF
from pipelines.synth.writers import _kind, _write

_CASE_ID = re.compile(r"^SYN(\d+)-(\d+)$")


@dataclass(frozen=True)
class _Earlier:
    state: pl.DataFrame  # case_id, index, outcome, plan_status (canonical values)
    seed: int
    lang: str


def _read_table(path: Path, columns: list[str]) -> tuple[pl.DataFrame, str]:
    """Read `columns` (canonical names) of a file we wrote; returns (frame, lang).

    Through the ingestion readers (sources/files.py): the same format, encoding and
    header detection as `relief ingest`, so a file relief wrote is read as relief reads
    every file."""
    _kind(path)  # a name synth writes: .csv, .csv.gz or .parquet
    zh_of = {c.name: c.zh for c in contract.COLUMNS}
    con = duckdb.connect()
    try:
        raw = files.open_source(con, path)
        lang = "zh" if zh_of["case_id"] in raw.headers else "en"
        position = {header: i for i, header in enumerate(raw.headers)}
        wanted = [zh_of[c] if lang == "zh" else c for c in columns]
        missing = [h for h in wanted if h not in position]
        if missing:
            raise ValueError(f"{path}: not a synthetic case file (no column {missing[0]!r})")
        select = ", ".join(f"c{position[h]}::varchar as {c}" for h, c in zip(wanted, columns,
                                                                         strict=True))
        files.scan(con, raw, f"create temp table earlier as select {select} from "
                   f"{files.SOURCE_VIEW}", "earlier")
        if con.execute("select count(*) from batch_structural").fetchall()[0][0]:
            raise ValueError(f"{path}: holds malformed records: not a file relief synth wrote")
        frame = con.sql("select * from earlier").pl()
    except files.Refused as exc:
        raise ValueError(f"{path}: {exc}") from None
    finally:
        con.close()
    if lang == "zh":
        frame = frame.with_columns(
            pl.col(c).replace_strict(contract.enum_spellings(contract.BY_NAME[c].enum),
                                     default=None)
            for c in columns if contract.BY_NAME[c].enum is not None
        )
    return frame, lang


def _read_earlier(path: Path) -> _Earlier:
    frame, lang = _read_table(path, ["case_id", "outcome", "plan_status"])
    parts = frame.get_column("case_id").str.extract_groups(_CASE_ID.pattern)
    seeds = parts.struct.field("1").unique().to_list()
    if parts.struct.field("2").null_count() or len(seeds) != 1:
        raise ValueError(f"{path}: not a synthetic file of one seed (case_id SYN<seed>-<index>)")
    state = frame.with_columns(index=parts.struct.field("2").cast(pl.Int64))
    return _Earlier(state=state, seed=int(seeds[0]), lang=lang)


def _update_frames(earlier: _Earlier, as_of: date, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """Rows of the earlier file whose outcome or plan status differ on `as_of`."""
    state = earlier.state.sort("index")
    block_of = (state.get_column("index") // BLOCK_ROWS).unique().sort().to_list()
    pending: list[pl.DataFrame] = []
    rows = 0
    for block in block_of:
        mine = state.filter(pl.col("index") // BLOCK_ROWS == block)
        later = _observe(_story_block(earlier.seed, block), earlier.seed, as_of)
        joined = later.join(mine.select("case_id", before_outcome="outcome",
                                        before_plan="plan_status"), on="case_id", how="inner",
                            maintain_order="left")
        changed = joined.filter(
            pl.col("outcome").ne_missing(pl.col("before_outcome"))
            | pl.col("plan_status").ne_missing(pl.col("before_plan"))
        ).drop("before_outcome", "before_plan")
        pending.append(changed)
        rows += changed.height
        if rows >= chunk_rows:
            yield pl.concat(pending)
            pending, rows = [], 0
    if pending:
        yield pl.concat(pending)


def write_updates(earlier: Path, out: Path, seed: int | None = None, as_of: date = UPDATES_AS_OF,
                  lang: str | None = None) -> dict[str, str]:
    """A later batch re-stating the cases of an earlier synthetic file that changed.

    The cases' hidden stories are regenerated from the seed and index in their
    case_ids and exported as of `as_of` (three months after AS_OF by default):
    pending cases whose decision has come are decided (or withdrawn), and granted
    plans whose end or break has come are completed or broken. Only case_ids of
    the earlier file appear, each with all its columns. `seed`, when given, must
    match the case_ids. lang defaults to the earlier file's. Returns label -> path.
    """
    earlier, out = Path(earlier), Path(out)
    _kind(out)
    before = _read_earlier(earlier)
    if seed is not None and seed != before.seed:
        raise ValueError(f"{earlier}: its case_ids carry seed {before.seed}, not {seed}")
    written = _write(_update_frames(before, as_of, DEFAULT_CHUNK_ROWS), out,
                     lang or before.lang, None)
    return {"updates": written["cases"]}
