"""Migrations and publishing."""

from __future__ import annotations

import duckdb
import pytest

from pipelines import contract, warehouse


def test_migrations_apply_once_and_are_recorded(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    first = warehouse.migrate(con)
    assert first == [m.version for m in warehouse.migrations()]
    assert warehouse.migrate(con) == []
    recorded = con.execute("select version from schema_migrations order by 1").fetchall()
    assert [r[0] for r in recorded] == first


def test_a_home_from_before_the_enum_columns_keeps_its_cases(tmp_path):
    """Migration 007 re-types the enumerated columns of a populated warehouse:
    every value survives, current and replaced versions alike."""
    import shutil

    from pipelines.config import SCHEMA_DIR

    older = tmp_path / "schema-006"
    older.mkdir()
    for path in sorted(SCHEMA_DIR.glob("*.sql")):
        if int(path.name[:3]) < 7:
            shutil.copy(path, older / path.name)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.migrate(con, older)
    row = ("'{id}' as case_id, 'canonical' as source, date '2024-01-0{day}' as applied_on, "
           "'cash_loan' as product, '{route}' as route, 'app' as channel, "
           "'illness' as hardship_reason, '65+' as age_band, '{outcome}' as outcome, "
           "'deferral' as granted_route, 'broken' as plan_status, '181+' as overdue_bucket, "
           "'2-3' as prior_overdues_bucket, 'unknown' as documents_submitted, {batch} as batch_id")
    con.execute("insert into cases by name select " + row.format(
        id="a1", day=2, route="settlement", outcome="approved", batch=2))
    con.execute("insert into case_versions by name select " + row.format(
        id="a1", day=1, route="deferral", outcome="pending", batch=1))
    before = con.execute("select * from case_history order by batch_id").fetchall()

    assert 7 in warehouse.migrate(con)
    assert con.execute("select * from case_history order by batch_id").fetchall() == before
    assert con.execute("select typeof(route), typeof(overdue_bucket) from cases").fetchall() == [
        (contract.BY_NAME["route"].sql_type, contract.enum_type(contract.OVERDUE_BUCKETS))]


def test_database_newer_than_code_is_refused(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.migrate(con)
    con.execute("insert into schema_migrations values (999, 'from_the_future', now())")
    with pytest.raises(warehouse.SchemaTooNew, match="999"):
        warehouse.migrate(con)


def test_publish_replaces_the_analysts_copy_atomically(home):
    with warehouse.open_writer(home) as con:
        warehouse.publish(home, con)
        reader = duckdb.connect(str(home.analysts_db), read_only=True)
        con.execute("insert into ingest_log values (1, 'f', 'h', 'canonical', 'loaded', 0, 0, 0, "
                    "0, false, null, now())")
        warehouse.publish(home, con)
    # The old reader still sees its snapshot; a new one sees the new state.
    assert reader.execute("select count(*) from ingest_log").fetchall() == [(0,)]
    reader.close()  # in one process DuckDB shares an open file's instance by path
    fresh = duckdb.connect(str(home.analysts_db), read_only=True)
    assert fresh.execute("select count(*) from ingest_log").fetchall() == [(1,)]
    assert not list(home.data.glob("*.publishing*"))


def test_analysts_copy_refuses_writes(home):
    with warehouse.open_writer(home) as con:
        warehouse.publish(home, con)
    reader = warehouse.connect_analysts(home)
    with pytest.raises(duckdb.Error):
        reader.execute("delete from cases")


# --- the built layers (sql/facts, then sql/marts) ------------------------------------


def test_a_layer_file_says_whether_it_is_a_view():
    assert warehouse.materialization("-- materialized: view\nselect 1") == "view"
    assert warehouse.materialization("-- materialized: table\nselect 1") == "table"
    assert warehouse.materialization("-- a comment\nselect 1") == "table"  # the default
    kinds = {name: warehouse.materialization(q) for name, q in warehouse.facts_definitions().items()}
    assert kinds == {"case_facts": "view", "monthly_cells": "table", "route_groups": "table"}


def test_facts_are_built_before_the_marts_and_may_change_kind(tmp_path):
    """A fact whose file turns from a table into a view (or back) is rebuilt as the new
    kind: the object of the other kind is dropped first, in the refresh's transaction."""
    facts = tmp_path / "facts"
    facts.mkdir()
    for name, query in warehouse.facts_definitions().items():
        (facts / f"{name}.sql").write_text(query, "utf-8")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.migrate(con)

    def kind(name):
        return con.execute("select table_type from information_schema.tables "
                           "where table_name = ?", [name]).fetchall()[0][0]

    assert warehouse.refresh_marts(con, facts_dir=facts) is True
    assert (kind("case_facts"), kind("monthly_cells"), kind("route_outcomes")) == \
        ("VIEW", "BASE TABLE", "BASE TABLE")
    cells = facts / "monthly_cells.sql"
    cells.write_text(cells.read_text("utf-8").replace("-- materialized: table",
                                                      "-- materialized: view"), "utf-8")
    assert warehouse.refresh_marts(con, facts_dir=facts) is True  # the definitions changed
    assert kind("monthly_cells") == "VIEW"
    # the mart built on it was rebuilt in the same refresh (no cases: no rows)
    assert con.execute("select count(*) from period_change").fetchall() == [(0,)]
    cells.write_text(cells.read_text("utf-8").replace("-- materialized: view",
                                                      "-- materialized: table"), "utf-8")
    assert warehouse.refresh_marts(con, facts_dir=facts) is True
    assert kind("monthly_cells") == "BASE TABLE"


def test_a_fact_and_a_mart_cannot_share_a_name(tmp_path):
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "route_outcomes.sql").write_text("select 1 as x", "utf-8")
    con = duckdb.connect()
    warehouse.migrate(con)
    with pytest.raises(ValueError, match="share a name: \\['route_outcomes'\\]"):
        warehouse.refresh_marts(con, facts_dir=facts)

