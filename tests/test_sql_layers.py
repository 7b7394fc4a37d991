"""The SQL layers build in one direction (docs/architecture.md, "The SQL layers"):
schema -> macros -> facts -> marts -> the queries that read them (report, stats,
model). Each file's relations are parsed from its text (`from` / `join` names,
its own CTEs aside) and must be defined by its own layer earlier in build order
or by an earlier layer."""

from __future__ import annotations

import re

import pytest

from pipelines import warehouse
from pipelines.config import SQL_DIR

# Built on the cases at each refresh, in this order (warehouse.refresh_marts).
BUILT = ("facts", "marts")
# Read-only queries over everything built (never read by each other).
READERS = ("report", "stats", "model")
# The one relation a report query reads that is not in the database: the published
# counts build.py registers for sql/report/period_rates.sql.
REPORT_FRAMES = {"published_counts"}
# DuckDB's own table functions and catalogs.
BUILTINS = {"query_table", "range", "generate_series", "unnest", "information_schema",
            "duckdb_tables", "duckdb_functions"}


def without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def references(sql: str) -> set[str]:
    """Relations a query reads (`from x`, `join x`, `from x(...)`), less its own CTEs."""
    text = without_comments(sql).lower()
    ctes = set(re.findall(r"(?:with|,)\s*([a-z_][a-z0-9_]*)\s+as\s*\(", text))
    read = set(re.findall(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)", text))
    return read - ctes


def schema_names() -> set[str]:
    names = {"schema_migrations"}  # created by warehouse.migrate itself
    for path in (SQL_DIR / "schema").glob("*.sql"):
        names |= set(re.findall(
            r"create\s+(?:or\s+replace\s+)?(?:table|view|sequence|macro)\s+(?:if\s+not\s+exists\s+)?"
            r"([a-z_][a-z0-9_]*)", without_comments(path.read_text("utf-8")).lower()))
    return names


def macro_names() -> set[str]:
    return {name for sql in warehouse.macro_definitions().values()
            for name in re.findall(r"create\s+or\s+replace\s+macro\s+([a-z_][a-z0-9_]*)",
                                   without_comments(sql).lower())}


def outside_layers(layer: str, query: str, earlier_in_layer: set[str],
                   built: dict[str, set[str]]) -> set[str]:
    """The relations query (of layer) reads that neither an earlier layer nor an earlier
    file of its own layer defines."""
    allowed = schema_names() | macro_names() | BUILTINS | earlier_in_layer
    if layer in READERS:
        allowed |= set().union(*built.values())
        if layer == "report":
            allowed |= REPORT_FRAMES
    else:
        for earlier in BUILT[:BUILT.index(layer)]:
            allowed |= built[earlier]
    return references(query) - allowed


def built_layers() -> dict[str, set[str]]:
    return {"facts": set(warehouse.facts_definitions()), "marts": set(warehouse.mart_definitions())}


@pytest.mark.parametrize("layer", BUILT)
def test_a_built_layer_reads_only_earlier_layers_and_earlier_files(layer):
    definitions = warehouse.layer_definitions(SQL_DIR / layer)
    assert definitions, f"sql/{layer}/ is empty"
    seen: set[str] = set()
    for name, query in definitions.items():
        assert outside_layers(layer, query, seen, built_layers()) == set(), f"sql/{layer}/{name}.sql"
        seen.add(name)


@pytest.mark.parametrize("layer", READERS)
def test_a_reading_query_reads_only_the_built_layers(layer):
    paths = sorted((SQL_DIR / layer).glob("*.sql"))
    assert paths
    for path in paths:
        assert outside_layers(layer, path.read_text("utf-8"), set(), built_layers()) == set(), \
            f"sql/{layer}/{path.name}"


def test_the_check_catches_a_layer_reading_a_later_one():
    built = built_layers()
    # a fact reading a mart, a fact reading a later fact, a mart reading a report frame
    assert outside_layers("facts", "select * from route_outcomes", set(), built) == {"route_outcomes"}
    assert outside_layers("facts", "with a as (select 1)\nselect * from monthly_cells join a on true",
                          set(), built) == {"monthly_cells"}
    assert outside_layers("marts", "select * from published_counts", set(), built) == {"published_counts"}
    # comments and CTEs are not relations; a join is
    assert references("-- from nothing\nwith x as (select 1), y as (select 2)\n"
                      "select * from x join cases on true") == {"cases"}


def test_the_marts_build_on_the_facts():
    facts = set(warehouse.facts_definitions())
    readers = {name for name, query in warehouse.mart_definitions().items()
               if references(query) & facts}
    assert {"route_outcomes", "route_outcomes_monthly", "route_outcomes_by_segment",
            "period_change"} <= readers


def test_the_report_reads_its_period_counts_from_the_facts():
    for name in ("period_cells", "period_comparison", "period_provisional", "period_route_stats"):
        read = references((SQL_DIR / "report" / f"{name}.sql").read_text("utf-8"))
        assert read & set(warehouse.facts_definitions()), name
        assert "cases" not in read, f"sql/report/{name}.sql re-derives from cases"
