"""pipelines/ingest.py's two paths: a clean file loaded by one scan (`load_in_one_scan`)
and any file read again and validated (`read_and_validate`, `load`) leave the same rows
in cases, case_versions, quarantine and ingest_log, batch ids included, on clean files
and on files with bad rows, CSV and Parquet; and each file takes the path it should."""

from __future__ import annotations

import zipfile

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings

from pipelines import ingest, warehouse
from pipelines.config import Home
from pipelines.sources import Refused
from pipelines.synth import write_cases

from .test_ingest import row, write
from .test_validate import mutated_rows

# Every row of every table a batch writes to; only the load time differs between runs.
TABLES = {
    "cases": "select * from cases order by case_id",
    "case_versions": "select * from case_versions order by all",
    "quarantine": "select * from quarantine order by all",
    "ingest_log": "select * exclude (ingested_at) from ingest_log order by batch_id",
}


def tables(con) -> dict[str, list]:
    return {name: con.execute(sql).fetchall() for name, sql in TABLES.items()}


def ingest_all(home, files, monkeypatch, one_scan: bool) -> tuple[dict, list]:
    """Ingest files in order; the tables, and for each file whether the one scan loaded it."""
    took = []
    real = ingest.load_in_one_scan

    def spied(*args, **kwargs):
        try:
            result, batch_id = real(*args, **kwargs) if one_scan else (None, None)
        except Refused:
            took.append(None)
            raise
        took.append(result is not None)
        return result, batch_id

    with monkeypatch.context() as patch:
        patch.setattr(ingest, "load_in_one_scan", spied)
        with warehouse.open_writer(home) as con:
            for path in files:
                ingest.ingest_file(con, path)
            return tables(con), took


def both_paths(tmp_path, files, monkeypatch) -> list[bool]:
    """Assert both paths give the same tables; return which files the one scan loaded."""
    one_scan, took = ingest_all(Home.resolve(tmp_path / "one-scan"), files, monkeypatch, True)
    validated, _ = ingest_all(Home.resolve(tmp_path / "validated"), files, monkeypatch, False)
    assert one_scan == validated
    return took


def parquet_of(source, target, replace: str = "") -> object:
    """A Parquet copy of a case file (its own column types kept), some values replaced."""
    reader = ("read_parquet" if str(source).endswith(".parquet")
              else "read_csv_auto")
    columns = f"* replace ({replace})" if replace else "*"
    duckdb.execute(f"copy (select {columns} from {reader}('{source}')) to '{target}' "
                   "(format parquet)")
    return target


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    paths = {"csv": folder / "cases.csv", "parquet": folder / "cases.parquet",
             "later": folder / "later.parquet"}
    write_cases(paths["csv"], cases=2000, seed=3)
    write_cases(paths["parquet"], cases=2000, seed=4)
    write_cases(paths["later"], cases=500, seed=4)  # the same first case ids: updates
    return paths


def test_clean_files_load_by_one_scan_and_bad_ones_are_validated(tmp_path, monkeypatch,
                                                                 synthetic):
    lines = synthetic["csv"].read_text("utf-8").splitlines()
    bad_csv = tmp_path / "bad.csv"
    # a rule broken, a record with one field too many, a value holding a phone number
    bad_csv.write_text("\n".join([
        lines[0], *lines[1:300], lines[300].replace(",", ",x,", 1),
        lines[301].replace("SYN", "bad id!", 1), *lines[302:400],
        lines[400].rsplit(",", 1)[0] + ",call 13812345678"]) + "\n", "utf-8")
    bad_parquet = parquet_of(
        synthetic["parquet"], tmp_path / "bad.parquet",
        "case when case_id like '%7' then -1 else overdue_days end as overdue_days")
    zipped = tmp_path / "cases.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(synthetic["csv"], "cases.csv")
    files = [synthetic["csv"], bad_csv, synthetic["parquet"], bad_parquet, synthetic["later"],
             zipped]
    took = both_paths(tmp_path, files, monkeypatch)
    # bad.csv and bad.parquet replace every case of the clean ones: still loaded rows
    assert took == [True, False, True, False, True, True]


def test_duplicates_suspects_and_structural_rejects_fall_back_and_agree(tmp_path, monkeypatch):
    files = [
        write(tmp_path / "clean.csv", row("C1"), row("C2", decided="", outcome="pending")),
        write(tmp_path / "dup.csv", row("C3"), row("C3", route="deferral"), row("C4")),
        # a card number's shape failing Luhn: only the exact check clears it
        write(tmp_path / "suspect.csv", row("C5", region="6222021234567890121"), row("C6")),
        write(tmp_path / "short.csv", row("C7"), "C8,2025-03-01"),
        write(tmp_path / "update.csv", row("C1", outcome="rejected"), row("C9")),
        write(tmp_path / "empty.csv"),  # a header only: a batch of no rows
        write(tmp_path / "refused.csv", row("C10"), header="case_id,name"),
    ]
    took = both_paths(tmp_path, files, monkeypatch)
    assert took == [True, False, False, False, True, True, None]


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=mutated_rows())
def test_random_files_give_the_same_tables_by_either_path(tmp_path_factory, monkeypatch, rows):
    folder = tmp_path_factory.mktemp("random")
    text = write(folder / "f.csv", *rows)
    files = [text]
    try:  # the same records typed, when DuckDB's own reader makes a table of them
        files.append(parquet_of(text, folder / "f.parquet"))
    except duckdb.Error:
        pass
    both_paths(folder, files, monkeypatch)
