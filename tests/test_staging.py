"""pipelines/staging.py: a file prepared apart (as on a Dask worker) and loaded in the writer
gives the warehouse the serial path gives, and nothing staged holds personal data."""

from __future__ import annotations

import duckdb
import pytest

from pipelines import ingest, staging, warehouse
from tests.test_ingest import row, write

PHONE = "13812345678"
# Every table a batch writes to; batch ids and times aside, both paths must fill them alike.
LOADED = {
    "cases": "select * exclude (batch_id) from cases order by case_id",
    "case_versions": "select * exclude (batch_id) from case_versions order by all",
    "quarantine": "select * exclude (batch_id) from quarantine order by all",
    "ingest_log": "select file, content_hash, source, status, rows_read, rows_loaded, "
                  "rows_quarantined, rows_skipped, message from ingest_log order by file",
}


def tables(con) -> dict[str, list]:
    return {name: con.execute(sql).fetchall() for name, sql in LOADED.items()}


@pytest.fixture
def files(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return [
        write(inbox / "a.csv", row("C1"), row("C2", outcome="pending", decided=""),
              row("C3", route="teleport"), row("C4", region=f"call {PHONE}")),
        write(inbox / "b.csv", row("C2", decided="2025-04-01", outcome="rejected"), row("C5")),
        write(inbox / "c.csv", "", header=""),  # no header: refused whole
    ]


def test_prepared_then_loaded_gives_the_serial_warehouse(home, tmp_path, files):
    serial_home = type(home).resolve(tmp_path / "serial")
    with warehouse.open_writer(serial_home) as con:
        serial = [ingest.ingest_file(con, f).status for f in files]
        expected = tables(con)
    prepared = [staging.prepare_file(f, home.staging, frozenset()) for f in files]
    assert [p["status"] for p in prepared] == ["prepared", "prepared", "refused"]
    assert (prepared[0]["rows_read"], prepared[0]["rows_loaded"],
            prepared[0]["rows_quarantined"]) == (4, 2, 2)
    with warehouse.open_writer(home) as con:
        staged = [staging.load_prepared(con, p).status for p in prepared]
        assert tables(con) == expected
    assert staged == serial == ["loaded", "loaded", "refused"]
    assert expected["cases"] and expected["quarantine"]
    assert not any(home.staging.iterdir())  # each batch's staging dropped once loaded


def test_nothing_staged_holds_personal_data(home, files):
    prepared = staging.prepare_file(files[0], home.staging, frozenset())
    staged = sorted(p.name for p in (home.staging / prepared["digest"]).iterdir())
    assert staged == [staging.QUARANTINE_FILE, staging.VALID_FILE]
    for name in staged:
        assert PHONE.encode() not in (home.staging / prepared["digest"] / name).read_bytes()
    con = duckdb.connect()
    quarantined = con.execute("select * from read_parquet(?)",
                              [str(home.staging / prepared["digest"] / staging.QUARANTINE_FILE)])
    assert PHONE not in str(quarantined.fetchall())


def test_a_known_file_is_unchanged_without_being_read_or_staged(home, files):
    digest = ingest.file_digest(files[1])
    prepared = staging.prepare_file(files[1], home.staging, frozenset({digest}))
    assert (prepared["status"], prepared["digest"], prepared["dir"]) == ("unchanged", digest, None)
    assert not home.staging.exists()
    with warehouse.open_writer(home) as con:
        assert staging.load_prepared(con, prepared).status == "unchanged"
        assert con.execute("select count(*) from ingest_log").fetchall() == [(0,)]


def test_a_file_loaded_since_it_was_prepared_is_not_loaded_twice(home, files):
    prepared = staging.prepare_file(files[1], home.staging, frozenset())
    with warehouse.open_writer(home) as con:
        assert ingest.ingest_file(con, files[1]).status == "loaded"
        assert staging.load_prepared(con, prepared).status == "unchanged"
        assert con.execute("select count(*) from ingest_log where status = 'loaded'").fetchall() == [(1,)]
        assert con.execute("select count(*) from cases").fetchall() == [(2,)]


def test_a_missing_file_or_a_personal_file_name_is_refused_masked(home, tmp_path):
    missing = tmp_path / f"from {PHONE}.csv"
    prepared = staging.prepare_file(missing, home.staging, frozenset())
    assert (prepared["status"], prepared["message"], prepared["digest"]) == (
        "refused", "no such file", None)
    assert PHONE not in prepared["file"]
    with warehouse.open_writer(home) as con:
        result = staging.load_prepared(con, prepared)
        assert result.status == "refused"
        assert con.execute("select file, status from ingest_log").fetchall() == [
            (prepared["file"], "refused")]


def test_clear_drops_stale_batches_and_a_missing_folder_is_fine(home, files):
    staging.prepare_file(files[0], home.staging, frozenset())
    (home.staging / ".stale.123.partial").mkdir()
    staging.clear(home.staging)
    assert not home.staging.exists()
    staging.clear(home.staging)
