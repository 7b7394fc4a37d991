"""Prefect flows in this process, on the session's shared test server (prefect_harness).

Kill tests and two-writer tests with real processes: tests/test_operations.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import polars as pl

from pipelines import faults, flows, synth
from pipelines.config import Home

# The warehouse's contents, compared between the serial and the Dask runs.
# ingested_at is a wall-clock time, the one column that must differ.
CONTENT_QUERIES = {
    "ingest_log": "select * exclude (ingested_at) from ingest_log order by batch_id",
    "case_history": "select * from case_history order by batch_id, case_id",
    "cases": "select * from cases order by case_id",
    "quarantine": "select * from quarantine order by batch_id, line, column_name, rule",
}


def write_inbox(home: Home, files: int, cases: int, broken_lines: bool = False) -> list[Path]:
    """`files` synthetic files in the inbox; with broken_lines, one has rows to quarantine."""
    written = []
    for i in range(files):
        path = home.inbox / f"batch-{i:02d}.csv"
        synth.write_cases(path, cases=cases, seed=100 + i)
        written.append(path)
    if broken_lines:
        text = written[0].read_text("utf-8").splitlines()
        columns = len(text[0].split(","))
        text.append(",".join(["SYN-bad-1", "not a date"] + [""] * (columns - 2)))
        text.append("only,three,fields")
        written[0].write_text("\n".join(text) + "\n", "utf-8")
    return written


def contents(home: Home) -> dict[str, pl.DataFrame]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return {name: con.sql(query).pl() for name, query in CONTENT_QUERIES.items()}
    finally:
        con.close()


def runs(home: Home, db: Path | None = None) -> list[dict]:
    con = duckdb.connect(str(db or home.warehouse), read_only=True)
    try:
        return con.sql("select * from runs order by run_id").pl().to_dicts()
    finally:
        con.close()


def case_count(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql("select count(*) from cases").fetchall()[0][0]
    finally:
        con.close()


# --- flows ----------------------------------------------------------------------------


def test_ingest_flow_is_incremental_and_a_nothing_new_run_says_so(prefect_harness, home):
    write_inbox(home, files=2, cases=300)
    first = flows.ingest_job(str(home.root))
    assert first["status"] == "succeeded"
    assert [r["status"] for r in first["results"]] == ["loaded", "loaded"]
    assert not list(home.inbox.iterdir())  # archived
    assert case_count(home.analysts_db) == 600

    second = flows.ingest_job(str(home.root))
    assert second["status"] == "nothing_new" and second["results"] == []
    assert "publish" not in second["seconds"]

    # The same content dropped again is recognised by its hash, archived, not loaded twice.
    archived = next(home.archive.rglob("batch-00.csv"))
    shutil.copy(archived, home.inbox / "batch-00-again.csv")
    third = flows.ingest_job(str(home.root))
    assert [r["status"] for r in third["results"]] == ["unchanged"]
    assert third["status"] == "nothing_new"
    assert case_count(home.warehouse) == 600

    rows = runs(home)
    assert [r["status"] for r in rows] == ["succeeded", "nothing_new", "nothing_new"]
    assert rows[0]["files_loaded"] == 2 and rows[0]["rows_loaded"] == 600
    assert rows[0]["ingest_seconds"] > 0 and rows[0]["publish_seconds"] > 0
    assert rows[2]["files_unchanged"] == 1
    # The first run's completed row was published with it.
    assert runs(home, home.analysts_db)[0]["status"] == "succeeded"


def test_dask_ingest_gives_exactly_the_serial_contents(prefect_harness, home, monkeypatch):
    monkeypatch.setenv("RELIEF_DASK_WORKERS", "2")
    files = write_inbox(home, files=8, cases=250, broken_lines=True)
    kept = home.root / "kept"
    shutil.copytree(home.inbox, kept)

    serial = flows.ingest_job(str(home.root))
    assert serial["status"] == "succeeded"
    expected = contents(home)

    # Same home path again (file names are part of the contents), Dask this time.
    shutil.rmtree(home.data)
    shutil.copytree(kept, home.inbox)

    @flows.flow(name="relief-ingest-dask-test")
    def ingest_on_dask() -> dict:
        with flows.job(home, "relief-ingest", task_runner="dask") as run:
            flows.ingest_stage(run)
        return run.summary()

    distributed = ingest_on_dask()
    assert [r["status"] for r in distributed["results"]] == ["loaded"] * len(files)
    got = contents(home)
    assert expected["quarantine"].height >= 2  # the broken lines took the quarantine path
    assert expected["cases"].height == 8 * 250
    for name, frame in expected.items():
        assert got[name].equals(frame), name
    assert not home.staging.exists() or not any(home.staging.iterdir())  # staging cleared


def test_a_transient_io_error_is_retried_and_loads_once(prefect_harness, home, monkeypatch):
    write_inbox(home, files=1, cases=200)
    faults._failures.clear()
    monkeypatch.setenv("RELIEF_TEST_FAIL_AT", "load:1")  # fails inside the transaction once
    result = flows.ingest_job(str(home.root))
    assert faults._failures["load"] == 2  # failed once, then the retry went through
    assert result["status"] == "succeeded"
    assert [r["status"] for r in result["results"]] == ["loaded"]
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        assert con.sql("select count(*) from ingest_log").fetchall() == [(1,)]
        assert con.sql("select count(*), count(distinct case_id) from case_history"
                       ).fetchall() == [(200, 200)]
    finally:
        con.close()


def test_a_failed_run_keeps_the_last_good_copy_records_why_and_exits_1(
        prefect_harness, home, monkeypatch, capsys):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from pipelines import cli

    write_inbox(home, files=1, cases=200)
    flows.ingest_job(str(home.root))
    synth.write_cases(home.inbox / "later.csv", cases=100, seed=999)
    faults._failures.clear()
    monkeypatch.setenv("RELIEF_TEST_FAIL_AT", "publish:99")  # every try fails
    assert cli.main(["run", "--home", str(home.root)]) == 1
    err = capsys.readouterr().err
    assert "relief run failed: OSError: injected transient I/O error at publish" in err
    assert faults._failures["publish"] == 1 + flows.IO_RETRIES  # retried before giving up
    assert case_count(home.analysts_db) == 200  # the last good copy
    failed = runs(home)[-1]
    assert failed["status"] == "failed" and "injected" in failed["error_message"]
    assert failed["files_loaded"] == 1

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["relief-run-failure"])))
    assert any("injected transient I/O error at publish" in (a.description or "")
               for a in artifacts)

    monkeypatch.delenv("RELIEF_TEST_FAIL_AT")
    recovered = flows.ingest_job(str(home.root))  # nothing new in the inbox, but a stale copy
    assert recovered["status"] == "succeeded"
    assert case_count(home.analysts_db) == 300


RUN_KEYS = {"ok", "status", "run_id", "recovered", "error", "files", "model", "skipped",
            "seconds", "outputs"}
FILE_KEYS = {"file", "status", "rows_read", "rows_loaded", "rows_quarantined", "rows_skipped",
             "source", "message", "archived_to"}


def test_relief_run_json_is_structured_and_a_small_change_does_not_retrain(
        prefect_harness, home, capsys):
    from pipelines import cli
    from pipelines.approval import registry

    assert cli.main(["run", "--home", str(home.root), "--cases", "1500", "--seed", "3",
                     "--json"]) == 0
    first = json.loads(capsys.readouterr().out)  # nothing but the JSON object on stdout
    assert set(first) == RUN_KEYS and first["status"] == "succeeded" and first["error"] is None
    assert [set(f) for f in first["files"]] == [FILE_KEYS]
    assert set(first["outputs"]) == {"synthetic_cases", "analysts_database", "model", "report",
                                     "archive"}
    assert all(key.isidentifier() and key.islower() for key in
               {*first["outputs"], *first["seconds"], *first["skipped"]})
    # The synthetic file was taken from the inbox: its path is where it went.
    synthetic = Path(first["outputs"]["synthetic_cases"])
    assert synthetic.is_file() and home.archive in synthetic.parents
    assert first["files"][0]["archived_to"] == str(synthetic)
    assert set(first["model"]) == {"version", "promoted", "reason", "chosen", "current_before"}
    assert first["model"]["promoted"] and first["model"]["reason"] == "no model was promoted before"

    # Two more cases are far under 1% of the decided ones: no new model version.
    synth.write_cases(home.inbox / "two.csv", cases=2, seed=99)
    assert cli.main(["run", "--home", str(home.root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    skipped = next(line for line in lines if line.startswith("model: skipped: "))
    assert "decided cases" in skipped and "under 1%" in skipped
    assert registry.versions(home) == [first["model"]["version"]]
    assert not any("inbox" in line and "synthetic" in line for line in lines)
