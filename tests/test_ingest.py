"""Ingestion end to end on small explicit files: every 'Bad input' case of the contract."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from decimal import Decimal

import duckdb
import pytest

from pipelines import contract, ingest, validate, warehouse

HEADER = ("case_id,applied_on,decided_on,product,route,channel,outstanding_amount,overdue_days,"
          "prior_overdues_12m,good_history_months,broke_prior_agreement,hardship_reason,"
          "doc_income_proof,doc_bank_statement,doc_hardship_evidence,requested_months,age_band,"
          "region,outcome,granted_route,granted_months,waived_amount,plan_status")


def row(case_id="C1", applied="2025-03-01", decided="2025-03-05", product="revolving_credit",
        route="installment", outcome="approved", **extra) -> str:
    values = {c: "" for c in contract.COLUMN_NAMES}
    values.update(case_id=case_id, applied_on=applied, decided_on=decided, product=product,
                  route=route, outcome=outcome, channel="app", outstanding_amount="1200.50",
                  overdue_days="40", prior_overdues_12m="1", good_history_months="24",
                  broke_prior_agreement="false", doc_income_proof="true", region="GD")
    values.update(extra)
    return ",".join(values[c] for c in contract.COLUMN_NAMES)


def write(path, *rows, header=HEADER, encoding="utf-8"):
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def query(home, sql):
    with duckdb.connect(str(home.analysts_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def ingest_one(home, path, source="auto"):
    (result,) = ingest.ingest_paths(home, [path], source=source)
    return result


# --- loading ------------------------------------------------------------------------


def test_loads_valid_rows_typed_with_unknowns_kept_null(home, tmp_path):
    f = write(tmp_path / "a.csv", row("C1"), row("C2", decided="", outcome="pending",
                                                 overdue_days="", doc_income_proof=""))
    result = ingest_one(home, f)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded", 2, 2, 0)
    rows = query(home, "select case_id, overdue_days, overdue_bucket, doc_income_proof, "
                       "documents_submitted, prior_overdues_bucket from cases order by case_id")
    assert rows == [("C1", 40, "31-90", True, "1", "1"),
                    ("C2", None, "unknown", None, "unknown", "1")]


def test_same_content_twice_changes_nothing(home, tmp_path):
    f = write(tmp_path / "a.csv", row("C1"))
    assert ingest_one(home, f).status == "loaded"
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(f.read_bytes())
    again = ingest_one(home, copy)
    assert again.status == "unchanged"
    assert query(home, "select count(*) from ingest_log") == [(1,)]
    assert query(home, "select count(*) from case_history") == [(1,)]


def test_later_batch_updates_case_and_keeps_history(home, tmp_path):
    ingest_one(home, write(tmp_path / "a.csv", row("C1", decided="", outcome="pending"),
                           row("C2")))
    ingest_one(home, write(tmp_path / "b.csv", row("C1", decided="2025-03-09",
                                                   outcome="rejected")))
    assert query(home, "select case_id, outcome, batch_id from cases order by case_id") == [
        ("C1", "rejected", 2), ("C2", "approved", 1)]
    assert query(home, "select outcome from case_history where case_id = 'C1' order by batch_id"
                 ) == [("pending",), ("rejected",)]


def test_chinese_gb18030_twin_loads_exactly_like_english(tmp_path):
    from pipelines.config import Home
    from pipelines.synth import write_cases

    en, zh = tmp_path / "en.csv", tmp_path / "zh.csv"
    write_cases(en, cases=1000, seed=7)
    write_cases(zh, cases=1000, seed=7, lang="zh")
    zh.read_bytes().decode("gb18030")  # really GB18030
    with pytest.raises(UnicodeDecodeError):
        zh.read_bytes().decode("utf-8")
    homes = [Home.resolve(tmp_path / "h-en"), Home.resolve(tmp_path / "h-zh")]
    results = [ingest_one(h, f) for h, f in zip(homes, (en, zh), strict=True)]
    assert [r.rows_loaded for r in results] == [1000, 1000]
    dumps = [query(h, "select * exclude (batch_id) from cases order by case_id") for h in homes]
    assert dumps[0] == dumps[1]


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet", "jsonl", "jsonl.gz", "bom"])
def test_every_format_loads_the_same_rows(home, tmp_path, fmt):
    base = write(tmp_path / "base.csv", row("C1"), row("C2", route="deferral"))
    target = tmp_path / f"case-file.{fmt}"
    con = duckdb.connect()
    rel = f"read_csv('{base}', all_varchar = true)"
    if fmt == "csv.gz":
        target.write_bytes(gzip.compress(base.read_bytes()))
    elif fmt == "bom":
        target = tmp_path / "bom.csv"
        target.write_bytes(b"\xef\xbb\xbf" + base.read_bytes())
    elif fmt == "parquet":
        con.execute(f"copy (select * from {rel}) to '{target}' (format parquet)")
    else:
        rows = con.execute(f"select * from {rel}").fetchall()
        cols = [d[0] for d in con.execute(f"describe select * from {rel}").fetchall()]
        text = "\n".join(json.dumps(dict(zip(cols, r, strict=True))) for r in rows) + "\n"
        target.write_bytes(gzip.compress(text.encode()) if fmt.endswith(".gz") else text.encode())
    result = ingest_one(home, target)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 0)
    assert query(home, "select case_id, route from cases order by 1") == [
        ("C1", "installment"), ("C2", "deferral")]


def test_gb18030_after_a_first_megabyte_of_ascii_is_read_as_gb18030(home, tmp_path):
    # The encoding is detected on the first megabyte; when that is plain ASCII and
    # the rest is GB18030, DuckDB rejects the later lines: the file is read again.
    rows = [row(f"A{i}") for i in range(12000)] + [row("Z1", region="广东")]
    f = write(tmp_path / "late.csv", *rows, encoding="gb18030")
    assert f.stat().st_size > (1 << 20) and f.read_bytes()[: 1 << 20].isascii()
    result = ingest_one(home, f)
    assert (result.rows_loaded, result.rows_quarantined) == (12001, 0)
    assert query(home, "select region from cases where case_id = 'Z1'") == [("广东",)]


def test_headers_by_chinese_alias_any_order_case_and_spaces(home, tmp_path):
    header = " 结果 ,CASE_ID, Applied_On ,产品,减免方式"
    f = write(tmp_path / "a.csv", "批准,X1,2025年3月1日,花呗,停息挂账", header=header)
    result = ingest_one(home, f)
    assert result.rows_loaded == 1
    assert query(home, "select outcome, applied_on::varchar, product, route from cases") == [
        ("approved", "2025-03-01", "revolving_credit", "interest_suspension")]


def test_header_only_file_is_a_batch_of_zero_rows(home, tmp_path):
    result = ingest_one(home, write(tmp_path / "empty.csv"))
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", 0, 0)


def test_formula_like_strings_are_data_not_errors(home, tmp_path):
    result = ingest_one(home, write(tmp_path / "a.csv", row("C1", region="=cmd|' /C calc'!A0")))
    assert result.rows_loaded == 1
    assert query(home, "select region from cases") == [("=cmd|' /C calc'!A0",)]


# --- quarantine ---------------------------------------------------------------------

QUARANTINE_CASES = [
    ("required", "case_id", {"case_id": ""}),
    ("pattern", "case_id", {"case_id": "bad id!"}),
    ("required", "applied_on", {"applied": ""}),
    ("date_format", "applied_on", {"applied": "2025-13-45"}),
    ("enumeration", "product", {"product": "yacht"}),
    ("enumeration", "route", {"route": "forgiveness"}),
    ("enumeration", "channel", {"channel": "carrier_pigeon"}),
    ("number_format", "outstanding_amount", {"outstanding_amount": "12.5x"}),
    ("minimum", "outstanding_amount", {"outstanding_amount": "-5"}),
    ("integer_format", "overdue_days", {"overdue_days": "3.5"}),
    ("minimum", "overdue_days", {"overdue_days": "-1"}),
    ("boolean", "broke_prior_agreement", {"broke_prior_agreement": "maybe"}),
    ("maximum", "requested_months", {"requested_months": "61"}),
    ("minimum", "requested_months", {"requested_months": "0"}),
    ("decided_before_applied", "decided_on", {"decided": "2025-02-01"}),
    ("pending_with_decision", "decided_on", {"outcome": "pending"}),
    ("enumeration", "outcome", {"outcome": "maybe"}),
    ("enumeration", "plan_status", {"plan_status": "lost"}),
]


@pytest.mark.parametrize(("rule", "column", "change"), QUARANTINE_CASES)
def test_each_rule_quarantines_its_row_only(home, tmp_path, rule, column, change):
    f = write(tmp_path / "a.csv", row("GOOD1"), row(**{"case_id": "BAD1", **change}), row("GOOD2"))
    result = ingest_one(home, f)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    q = query(home, "select file, line, column_name, rule, reason from quarantine")
    assert len(q) == 1
    file, line, col, got_rule, reason = q[0]
    assert (line, col, got_rule) == (3, column, rule)
    assert file.endswith("a.csv") and column in reason


def test_duplicate_case_id_quarantines_every_copy(home, tmp_path):
    f = write(tmp_path / "a.csv", row("D1"), row("OK"), row("D1", route="deferral"))
    result = ingest_one(home, f)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert query(home, "select line, rule from quarantine order by line") == [
        (2, "duplicate_case_id"), (4, "duplicate_case_id")]


def test_duplicates_read_again_keep_their_own_text_and_line(home, tmp_path):
    # Rows rejected only as duplicates are read from the file again: after a record
    # DuckDB rejected (line 3), their lines and their text must still be their own.
    f = tmp_path / "a.csv"
    f.write_text("\n".join([HEADER, row("OK1"), row("OK2") + ",extra",
                            row("D1", doc_income_proof="是"), row("OK3"),
                            row("D1", broke_prior_agreement=" Yes ")]) + "\n")
    result = ingest_one(home, f)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 2, 3)
    q = query(home, "select line, rule, value, row_content from quarantine order by line")
    assert [(line, rule) for line, rule, _, _ in q] == [
        (3, "too_many_fields"), (4, "duplicate_case_id"), (6, "duplicate_case_id")]
    assert [v for _, _, v, _ in q[1:]] == ["D1", "D1"]
    assert json.loads(q[1][3])["doc_income_proof"] == "是"
    assert json.loads(q[2][3])["broke_prior_agreement"] == "Yes"


def test_parquet_typed_columns_load_as_their_text_would(home, tmp_path):
    # Parquet's own DATE, BIGINT, BOOLEAN and DOUBLE columns are used as they are;
    # the rules and the personal-data guard hold for them as for text.
    base = write(tmp_path / "base.csv", row("C1", outstanding_amount="1200.5"),
                 row("C2", overdue_days="-3"), row("C3", requested_months="61"),
                 row("C4", outstanding_amount="13812345678"), row("C5", decided="2025-02-01"))
    typed = tmp_path / "typed.parquet"
    con = duckdb.connect()
    con.execute(
        f"copy (select * replace (applied_on::date as applied_on, decided_on::date as decided_on,"
        f" outstanding_amount::double as outstanding_amount, overdue_days::bigint as overdue_days,"
        f" requested_months::bigint as requested_months,"
        f" broke_prior_agreement::boolean as broke_prior_agreement)"
        f" from read_csv('{base}', all_varchar = true)) to '{typed}' (format parquet)")
    kinds = dict(con.execute(f"describe select * from '{typed}'").fetchall()[i][:2]
                 for i in range(23))
    assert (kinds["applied_on"], kinds["outstanding_amount"], kinds["overdue_days"]) == (
        "DATE", "DOUBLE", "BIGINT")
    result = ingest_one(home, typed)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 4)
    assert query(home, "select case_id, outstanding_amount, applied_on::varchar, "
                       "broke_prior_agreement from cases") == [
        ("C1", Decimal("1200.50"), "2025-03-01", False)]
    assert query(home, "select line, column_name, rule, value from quarantine order by line") == [
        (2, "overdue_days", "minimum", "-3"), (3, "requested_months", "maximum", "61"),
        (4, "outstanding_amount", "personal_data", "[NUMBER].0"),
        (5, "decided_on", "decided_before_applied", "2025-02-01")]
    for path in home.root.rglob("*"):
        if path.is_file():
            assert b"13812345678" not in path.read_bytes(), path


def test_too_few_too_many_fields_and_truncated_last_line(home, tmp_path):
    good = row("G1")
    f = tmp_path / "ragged.csv"
    f.write_text("\n".join([HEADER, good, good.replace("G1", "G2") + ",extra",
                            "G3,2025-03-01", row("G4"), row("G5")[:30]]))  # no final newline
    result = ingest_one(home, f)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 2, 3)
    assert query(home, "select line, rule from quarantine order by line") == [
        (3, "too_many_fields"), (4, "too_few_fields"), (6, "too_few_fields")]


# --- refused files ------------------------------------------------------------------


@pytest.mark.parametrize(("content", "words"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "PNG image"),
    (b"", "no header"),
    (b"\xff\xfe\x00c\x00a\x00s\x00e", "binary"),
    (HEADER.replace("route,", "").encode() + b"\n", "route"),
    (b"case_id,applied_on,product,route,outcome,\xe5\xa7\x93\xe5\x90\x8d\nA,2025-01-01,x,y,z,w\n",
     "identifier"),
    (b"case_id,applied_on,product,route,outcome,Phone Number\n", "identifier"),
    (b"case_id,case_id,applied_on,product,route,outcome\n", "twice"),
])
def test_refused_files_store_nothing(home, tmp_path, content, words):
    f = tmp_path / "bad.csv"
    f.write_bytes(content)
    result = ingest_one(home, f)
    assert result.status == "refused"
    assert words in result.message and "bad.csv" in result.file
    assert query(home, "select count(*) from cases") == [(0,)]
    assert query(home, "select status, refused from ingest_log") == [("refused", True)]


def test_undecodable_text_is_refused(home, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_bytes(HEADER.encode() + b"\n" + b"\x80\x81\xff\xfe" * 10 + b"\n")
    result = ingest_one(home, f)
    assert result.status == "refused" and "decoded" in result.message


def test_one_refused_file_does_not_stop_the_others(home, tmp_path):
    good = write(tmp_path / "good.csv", row("C1"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    results = ingest.ingest_paths(home, [bad, good])
    assert [r.status for r in results] == ["refused", "loaded"]


# --- progress on a terminal -------------------------------------------------------------


def test_progress_bar_moves_with_the_statement_duckdb_is_running(tmp_path, monkeypatch):
    """The step bar shows what query_progress reports while a file is ingested."""
    import io
    import time

    from rich.console import Console

    class Running:  # a connection in the middle of a long statement
        def execute(self, sql):
            return self

        def query_progress(self):
            return 42.0

    monkeypatch.setattr(ingest, "PROGRESS_POLL_SECONDS", 0.01)
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with ingest._progress(Running(), [tmp_path / "big.csv"], True, console=console) as show:
        show(tmp_path / "big.csv")
        time.sleep(0.3)
    assert "ingesting big.csv" in screen.getvalue()
    assert "42%" in screen.getvalue()


def test_duckdb_reports_a_statements_progress_to_another_thread():
    """What the step bar relies on: with progress tracking on (track_query_progress,
    as _progress sets it) query_progress answers while a statement runs in another
    thread."""
    import threading

    con = duckdb.connect()
    ingest.track_query_progress(con, True)
    seen, done = [], threading.Event()

    def poll():
        while not done.wait(0.02):
            seen.append(con.query_progress())

    poller = threading.Thread(target=poll)
    poller.start()
    con.execute("select count(*) from range(60000000) t(x) where hash(x) % 7 = 1").fetchall()
    done.set()
    poller.join()
    assert any(0 <= p <= 100 for p in seen), seen[:10]


def test_ingest_with_progress_loads_the_same(home, tmp_path):
    f = write(tmp_path / "a.csv", row("C1"), row("C2"))
    (result,) = ingest.ingest_paths(home, [f], progress=True)
    assert (result.status, result.rows_loaded) == ("loaded", 2)


# --- personal data --------------------------------------------------------------------

PII = {
    "resident_id": "11010519491231002X",
    "mobile": "13812345678",
    "bank_card": "6222021234567890128",  # Luhn-valid
    "email": "zhang.san@example.com",
}


@pytest.mark.parametrize("kind", sorted(PII))
def test_personal_value_anywhere_quarantines_row_masked_and_is_written_nowhere(home, tmp_path,
                                                                               kind):
    value = PII[kind]
    header = HEADER + ",note"
    f = write(tmp_path / "a.csv", row("C1") + ",fine", row("C2", region=f"GD {value}") + ",",
              row("C3") + f",call {value}", header=header)
    result = ingest_one(home, f)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    q = query(home, "select rule, reason, value, row_content from quarantine order by line")
    assert [r[0] for r in q] == ["personal_data", "personal_data"]
    assert all(validate.PERSONAL_DATA_KINDS[kind] in r[1] and "(masked)" in r[1] for r in q)
    text = json.dumps(query(home, "select * from quarantine"), default=str)
    assert value not in text
    # Nowhere under the home: no database, log or temporary file holds the plain value.
    needle = value.encode()
    for path in home.root.rglob("*"):
        if path.is_file():
            assert needle not in path.read_bytes(), path


def test_a_file_name_with_personal_data_is_masked(home, tmp_path):
    f = write(tmp_path / "export-13812345678.csv", row("C1"))
    result = ingest_one(home, f)
    assert "13812345678" not in result.file
    assert "13812345678" not in json.dumps(query(home, "select file from ingest_log"))


def test_invalid_check_digits_are_not_personal_data(home, tmp_path):
    f = write(tmp_path / "a.csv", row("C1", region="110105194912310021"),  # bad ID check digit
              row("C2", region="6222021234567890121"))  # fails Luhn
    assert ingest_one(home, f).rows_loaded == 2


# --- the analysts' copy ---------------------------------------------------------------


def test_analysts_copy_has_the_contract_tables(home, tmp_path):
    ingest_one(home, write(tmp_path / "a.csv", row("C1")))
    names = {r[0] for r in query(home, "select table_name from information_schema.tables")}
    assert {"cases", "case_history", "quarantine", "ingest_log"} <= names
    assert home.warehouse != home.analysts_db and home.warehouse.exists()


def test_cli_ingest_json_and_exit_status(home, tmp_path):
    good = write(tmp_path / "good.csv", row("C1"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "ingest", str(good), str(bad), "--json",
         "--home", str(home.root)], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert [o["status"] for o in out] == ["loaded", "refused"]
    assert {"file", "status", "rows_read", "rows_loaded", "rows_quarantined", "message"} <= set(
        out[0])
    assert "prefect" not in proc.stderr.lower()


def test_writer_lock_is_bounded_and_names_the_holder(home):
    with warehouse.writer_lock(home, "relief ingest"):
        proc = subprocess.run(
            [sys.executable, "-c",
             "from pipelines import warehouse; from pipelines.config import Home; import sys\n"
             f"h = Home.resolve({str(home.root)!r})\n"
             "try:\n"
             "    with warehouse.writer_lock(h, 'second', wait_seconds=0.5): pass\n"
             "except warehouse.WriterBusy as e:\n"
             "    print(e); sys.exit(1)"],
            capture_output=True, text=True)
    assert proc.returncode == 1 and "relief ingest" in proc.stdout
