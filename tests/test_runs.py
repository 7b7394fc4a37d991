"""The runs ledger as plain functions on a working database (no Prefect)."""

from __future__ import annotations

from pipelines import runs, warehouse
from pipelines.runs import Run


def test_a_run_row_is_opened_completed_and_a_killed_one_is_marked_interrupted(home):
    with warehouse.open_writer(home) as con:
        first = runs.open_run(con, "relief-ingest", "serial", None)
        assert first.recovered_run_id is None and first.cases == 0
        assert first.last_change_epoch is None and first.last_load_epoch is None
        # first is never completed, as if its process were killed
        second = runs.open_run(con, "relief-main", "dask", "abc")
        assert second.run_id == first.run_id + 1 and second.recovered_run_id == first.run_id
        run = Run(home, "relief-main", check={"run_id": second.run_id})
        run.results = [{"status": "loaded", "rows_read": 5, "rows_loaded": 4,
                        "rows_quarantined": 1},
                       {"status": "unchanged"}]
        run.seconds["ingest"] = 1.23456
        run.skip("model", "no reason")
        run.status = "succeeded"
        runs.record_run(con, second.run_id, run.row())
        rows = con.execute("select run_id, status, error_message, files_seen, files_loaded, "
                           "files_unchanged, rows_read, rows_loaded, rows_quarantined, "
                           "ingest_seconds, publish_seconds, skipped, task_runner, "
                           "prefect_flow_run_id, recovered_run_id, finished_at is not null "
                           "from runs order by run_id").fetchall()
        assert runs.loaded_hashes(con) == []
    assert rows == [
        (first.run_id, "interrupted", "the process stopped before the run finished",
         0, 0, 0, 0, 0, 0, None, None, None, "serial", None, None, False),
        (second.run_id, "succeeded", None, 2, 1, 1, 5, 4, 1, 1.235, None, "model: no reason",
         "dask", "abc", first.run_id, True)]


def test_a_failed_run_keeps_its_error_message(home):
    with warehouse.open_writer(home) as con:
        opened = runs.open_run(con, "relief-train", "serial", None)
        run = Run(home, "relief-train", status="failed")
        runs.record_run(con, opened.run_id, {**run.row(), "error_message": "OSError: disk"})
        assert con.execute("select status, error_message from runs").fetchall() == [
            ("failed", "OSError: disk")]
