"""Homes holding synthetic cases, built the way the pipeline builds them (writer + publish)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines import synth, warehouse
from pipelines.config import Home


def load_cases(home: Home, frame: pl.DataFrame, source: str = "synthetic") -> None:
    """Insert contract-column rows into `cases` (buckets by the warehouse macros), publish."""
    incoming = frame.drop("true_probability", strict=False)
    with warehouse.open_writer(home, "test") as con:
        con.register("incoming", incoming)
        con.execute(
            "insert into cases by name select *, ? as source, 1 as batch_id "
            "from with_derived_buckets('incoming')",
            [source],
        )
        con.unregister("incoming")
        warehouse.publish(home, con)


def synthetic_frame(cases: int, seed: int) -> pl.DataFrame:
    return pl.concat(list(synth.generate(cases, seed)))


def make_home(root: Path, frame: pl.DataFrame) -> Home:
    home = Home.resolve(root)
    load_cases(home, frame)
    return home


@pytest.fixture(scope="module")
def small_home(tmp_path_factory) -> Home:
    """3,000 synthetic cases: enough to train quickly, not to be accurate."""
    return make_home(tmp_path_factory.mktemp("small"), synthetic_frame(3_000, seed=7))


@pytest.fixture(scope="session")
def home_builder():
    """make_home and synthetic_frame, for module-scoped fixtures of the test files."""
    return make_home, synthetic_frame
