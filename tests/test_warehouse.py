"""Migrations and publishing."""

from __future__ import annotations

import duckdb
import pytest

from pipelines import warehouse


def test_migrations_apply_once_and_are_recorded(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    first = warehouse.migrate(con)
    assert first == [m.version for m in warehouse.migrations()]
    assert warehouse.migrate(con) == []
    recorded = con.execute("select version from schema_migrations order by 1").fetchall()
    assert [r[0] for r in recorded] == first


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
