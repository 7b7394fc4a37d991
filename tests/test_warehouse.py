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
