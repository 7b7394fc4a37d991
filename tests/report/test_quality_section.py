"""Section 6, data quality: on a home where nothing was quarantined (as a CFPB-only
home), and its unknown-values query against the contract."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipelines import contract, ingest, synth, warehouse
from pipelines.config import Home
from pipelines.privacy import recoverable_cells, suppress_cells
from pipelines.report.periods import parse_period
from pipelines.report.quality_section import quality_section
from pipelines.report.queries import report_sql
from tests.report.conftest import table


def test_batch_counts_with_every_quarantine_count_zero_can_be_protected():
    """All quarantined counts 0, every batch total linked: this raised 'cannot protect'.
    Zeros are published now, so they are not hidden either (the report no longer
    suppresses batch counts at all: they describe files, not people)."""
    counts, relations = {}, []
    parts = ("loaded", "quarantined", "skipped")
    batches = {1: (345, 0, 6278), 2: (1017, 0, 1810), 3: (52, 0, 79)}
    for b, values in batches.items():
        counts.update({(b, c): v for c, v in zip(parts, values, strict=True)})
        counts[(b, "read")] = sum(values)
        relations.append(((b, "read"), [(b, c) for c in parts]))
    for c in ("read", *parts):
        counts[("all", c)] = sum(counts[(b, c)] for b in batches)
        relations.append((("all", c), [(b, c) for b in batches]))
    hidden = suppress_cells(counts, relations, 10)
    assert not ({("all", "quarantined")} | {(b, "quarantined") for b in batches}) & hidden
    assert hidden == set()  # nothing else is below 10
    assert recoverable_cells(counts, relations, hidden) == set()


@pytest.fixture(scope="module")
def clean_home(tmp_path_factory) -> Home:
    root = tmp_path_factory.mktemp("clean-home")
    home = Home.resolve(root)
    for seed in (1, 2):
        synth.write_cases(root / f"part{seed}.csv", 400, seed)
    results = ingest.ingest_paths(home, [root / "part1.csv", root / "part2.csv"])
    assert [r.rows_quarantined for r in results] == [0, 0]
    return home


def test_quality_section_when_nothing_was_quarantined(clean_home):
    con = warehouse.connect_analysts(clean_home)
    try:
        section = quality_section(con, parse_period("2026-06"), 10)
    finally:
        con.close()
    said = " ".join(p["en"] for p in section.paragraphs)
    assert "No row has been quarantined" in said
    batches = table(section, "batches")
    # batch counts describe files, not people: every one shown as it is
    assert [b["rows_quarantined"] for b in batches] == [0, 0, 0]
    assert [b["rows_skipped"] for b in batches] == [0, 0, 0]
    assert [b["rows_read"] for b in batches] == [400, 400, 800]


def test_quality_unknown_counts_every_optional_column_known_before_the_decision():
    # the report's data-quality table lists its columns by hand in SQL; pin them
    # to the contract so a new optional column cannot be left out silently
    con = duckdb.connect()
    warehouse.migrate(con)
    sql = report_sql("quality_unknown", {"start": date(2026, 1, 1), "end": date(2026, 2, 1)})
    listed = [r[0] for r in con.execute(sql).fetchall()]
    assert listed == [c.name for c in contract.COLUMNS if not c.required and not c.post_decision]
