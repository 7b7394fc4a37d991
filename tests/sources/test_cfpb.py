"""The cfpb source: header detection, the mapping on small explicit records, and
the exact counts on the real CFPB samples the repository carries (data/samples/cfpb)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import pytest

from pipelines import contract, synth, warehouse
from pipelines.config import Home
from pipelines.ingest import ingest_file, ingest_paths
from pipelines.sources import Refused, cfpb, plan_for
from pipelines.sources import cfpb_mapping as mapping
from pipelines.sources.files import open_source, quoted_line_break

CFPB_DATA = Path(__file__).resolve().parents[2] / "data" / "samples" / "cfpb"
SAMPLE_FILES = sorted(CFPB_DATA.glob("*.csv"))

# The CSV export's 18 columns and the API's names for them (CFPB README).
API_NAMES = {
    "Date received": "date_received", "Product": "product", "Sub-product": "sub_product",
    "Issue": "issue", "Sub-issue": "sub_issue",
    "Consumer complaint narrative": "complaint_what_happened",
    "Company public response": "company_public_response", "Company": "company",
    "State": "state", "ZIP code": "zip_code", "Tags": "tags",
    "Consumer consent provided?": "consumer_consent_provided", "Submitted via": "submitted_via",
    "Date sent to company": "date_sent_to_company",
    "Company response to consumer": "company_response", "Timely response?": "timely",
    "Consumer disputed?": "consumer_disputed", "Complaint ID": "complaint_id",
}
EXPORT_HEADERS = list(API_NAMES)


# --- header detection ---------------------------------------------------------------


def test_both_namings_are_recognised_and_canonical_files_are_not():
    assert cfpb.matches(EXPORT_HEADERS)
    assert cfpb.matches(list(API_NAMES.values()))
    assert cfpb.matches([h.upper() + " " for h in reversed(EXPORT_HEADERS)])
    assert not cfpb.matches(list(contract.COLUMN_NAMES))
    assert plan_for(EXPORT_HEADERS).source == "cfpb"
    assert plan_for(list(API_NAMES.values())).source == "cfpb"
    assert plan_for(list(contract.COLUMN_NAMES)).source == "canonical"


def test_forcing_cfpb_on_another_file_refuses_it_naming_the_missing_fields():
    with pytest.raises(Refused, match="lacks CFPB field"):
        plan_for(list(contract.COLUMN_NAMES), "cfpb")
    assert plan_for(EXPORT_HEADERS, "cfpb").source == "cfpb"


def test_free_text_zip_and_company_are_never_mapped():
    plan = cfpb.plan(EXPORT_HEADERS)
    used = set(re.findall(r"\bc[0-9]+\b", " ".join(
        [*plan.columns.values(), *plan.derived.values(), plan.skip or ""])))
    mapped = {"Complaint ID", "Date received", "Product", "Sub-product", "Issue", "Sub-issue",
              "State", "Company response to consumer"}
    assert used == {f"c{EXPORT_HEADERS.index(h)}" for h in mapped}
    assert plan.reads == used  # the CSV reader hands over these columns only


# --- the mapping on small explicit records ---------------------------------------------

# (complaint id, date received, product, sub-product, issue, sub-issue, state, response)
RECORDS = [
    ("1001", "2019-03-04", "Credit card or prepaid card", "Store credit card", "Fees or interest",
     "Charged too much interest", "CA", "Closed with monetary relief"),
    ("1002", "03/22/23", "Payday loan, title loan, or personal loan", "Installment loan",
     "Struggling to pay your loan", "None", "TX", "Closed with non-monetary relief"),
    ("1003", "12/01/20", "Student loan", "Private student loan", "Struggling to repay your loan",
     "Can't temporarily delay making payments", "None", "In progress"),
    ("1004", "2018-10-24", "Vehicle loan or lease", "Lease", "Struggling to pay your loan",
     "Denied request to lower payments", "", "Untimely response"),
    ("1005", "2018-01-02", "Mortgage", "FHA mortgage", "Loan modification,collection,foreclosure",
     "", "GA", "Closed with explanation"),
    ("1006", "2017-05-06", "Payday loan", "", "Charged fees or interest I didn\u2019t expect",
     "", "NY", "Closed"),
    # skipped: not credit, or not a request for relief
    ("2001", "2019-03-04", "Credit card or prepaid card", "General-purpose prepaid card",
     "Fees or interest", "Problem with fees", "CA", "Closed with monetary relief"),
    ("2002", "2019-03-04", "Credit reporting, credit repair services, or other personal "
     "consumer reports", "Credit reporting", "Incorrect information on your report",
     "Information belongs to someone else", "FL", "Closed with explanation"),
    ("2003", "2019-03-04", "Checking or savings account", "Checking account",
     "Problem caused by your funds being low", "", "FL", "Closed with explanation"),
    ("2004", "2019-03-04", "Mortgage", "FHA mortgage", "Trouble during payment process", "",
     "FL", "Closed with explanation"),
    # quarantined: a relief request with an impossible date, an unknown response
    ("3001", "2019-13-45", "Mortgage", "VA mortgage", "Struggling to pay mortgage", "", "OH",
     "Closed with explanation"),
    ("3002", "2019-02-03", "Mortgage", "VA mortgage", "Struggling to pay mortgage", "", "OH",
     "Closed somehow"),
]
NARRATIVE = "Please lower my payments, write to XXXX"
COMPANY = "ACME LENDING CORP"
EMAIL = "borrower.example@example.com"


def _export_row(rec: tuple[str, ...], narrative: str = NARRATIVE) -> dict[str, str]:
    cid, received, product, sub_product, issue, sub_issue, state, response = rec
    return {
        "Date received": received, "Product": product, "Sub-product": sub_product,
        "Issue": issue, "Sub-issue": sub_issue, "Consumer complaint narrative": narrative,
        "Company public response": "", "Company": COMPANY, "State": state, "ZIP code": "945XX",
        "Tags": "None", "Consumer consent provided?": "Consent provided", "Submitted via": "Web",
        "Date sent to company": received, "Company response to consumer": response,
        "Timely response?": "Yes", "Consumer disputed?": "N/A", "Complaint ID": cid,
    }


def _write_export(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=EXPORT_HEADERS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _ingest(home: Home, path: Path, source: str = "auto"):
    with warehouse.open_writer(home, "test") as con:
        result = ingest_file(con, path, source)
        cases = con.execute(
            "select case_id, source, applied_on::varchar, decided_on, product, route, channel, "
            "region, outcome from cases order by case_id").fetchall()
        quarantine = con.execute(
            "select case_id, column_name, rule, value, row_content from quarantine order by line"
        ).fetchall()
        stored = con.execute(
            "select * from case_history union all by name select * from quarantine "
            "union all by name select * from ingest_log").fetchall()
    return result, cases, quarantine, str(stored)


EXPECTED_SMALL = [
    ("cfpb-1001", "cfpb", "2019-03-04", None, "credit_card", "interest_waiver", "regulator",
     "CA", "approved"),
    ("cfpb-1002", "cfpb", "2023-03-22", None, "consumer_loan", "other", "regulator", "TX",
     "partial"),
    ("cfpb-1003", "cfpb", "2020-12-01", None, "student_loan", "deferral", "regulator", None,
     "pending"),
    ("cfpb-1004", "cfpb", "2018-10-24", None, "vehicle_loan", "installment", "regulator", None,
     "rejected"),
    ("cfpb-1005", "cfpb", "2018-01-02", None, "mortgage", "other", "regulator", "GA",
     "rejected"),
    ("cfpb-1006", "cfpb", "2017-05-06", None, "consumer_loan", "interest_waiver", "regulator",
     "NY", "rejected"),
]


def _small_export(path: Path) -> Path:
    """RECORDS, plus a relief request whose narrative holds an e-mail address."""
    rows = [_export_row(r) for r in RECORDS]
    rows.append(_export_row(("3003", "2019-02-03", "Student loan", "Private student loan",
                             "Struggling to repay your loan", "Problem lowering your monthly "
                             "payments", "OH", "Closed with explanation"),
                            narrative=f"reach me at {EMAIL}"))
    return _write_export(path, rows)


def test_small_export_maps_skips_and_quarantines_record_by_record(tmp_path):
    path = _small_export(tmp_path / "export.csv")
    result, cases, quarantine, stored = _ingest(Home.resolve(tmp_path / "home"), path)

    assert (result.status, result.source) == ("loaded", "cfpb")
    assert (result.rows_read, result.rows_loaded, result.rows_skipped,
            result.rows_quarantined) == (13, 7, 4, 2)
    # The e-mail is in the narrative, which is never read: its row is a case like any other.
    assert cases == [*EXPECTED_SMALL, ("cfpb-3003", "cfpb", "2019-02-03", None, "student_loan",
                                       "installment", "regulator", "OH", "rejected")]
    assert [(q[0], q[1], q[2]) for q in quarantine] == [
        ("cfpb-3001", "applied_on", "date_format"),
        ("cfpb-3002", "outcome", "enumeration"),
    ]
    # Free text, ZIP codes and company names are stored nowhere, nor is the e-mail.
    for secret in (NARRATIVE, COMPANY, "945XX", EMAIL, "reach me"):
        assert secret not in stored


def test_a_record_the_reader_cannot_split_keeps_no_text(tmp_path):
    """A malformed record may hold a narrative: only its line and rule are kept."""
    path = _small_export(tmp_path / "export.csv")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"2019-02-03,Student loan,x,\"my whole story, in short\",{COMPANY},extra\r\n")
    result, _, quarantine, stored = _ingest(Home.resolve(tmp_path / "home"), path)
    assert result.rows_quarantined == 3
    assert [(q[2], q[4]) for q in quarantine if q[0] is None] == [("too_few_fields", None)]
    for secret in ("my whole story", COMPANY):
        assert secret not in stored


def test_api_names_as_json_lines_with_timestamps_and_null_sub_issues(tmp_path):
    lines = []
    for rec in RECORDS[:6]:
        row = {API_NAMES[k]: v for k, v in _export_row(rec).items()}
        row["complaint_id"] = int(row["complaint_id"])  # the API's ids are numbers
        if row["date_received"] == "2019-03-04":
            row["date_received"] = "2019-03-04T12:00:00-05:00"  # the API's timestamps
        if row["sub_issue"] in ("", "None"):
            row["sub_issue"] = None
        lines.append(json.dumps(row))
    path = tmp_path / "api.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, cases, _, _ = _ingest(Home.resolve(tmp_path / "home"), path)
    assert (result.source, result.rows_loaded, result.rows_quarantined) == ("cfpb", 6, 0)
    assert cases == EXPECTED_SMALL


def test_mapping_targets_are_contract_values():
    assert set(mapping.PRODUCTS.values()) <= set(contract.PRODUCTS)
    assert {v for v in mapping.SUB_PRODUCTS.values() if v} <= set(contract.PRODUCTS)
    assert set(mapping.RELIEF_ISSUES.values()) <= set(contract.ROUTES)
    assert set(mapping.RELIEF_SUB_ISSUES.values()) <= set(contract.ROUTES)
    assert set(mapping.OUTCOMES.values()) <= set(contract.OUTCOMES)
    assert mapping.CHANNEL in contract.CHANNELS


# --- the CFPB samples ----------------------------------------------------------------------

# Measured on data/samples/cfpb (its README: 6,623 + 2,827 + 131 records).
EXPECTED_FILES = {  # file -> (read, loaded, quarantined, skipped)
    "complaints-2015-2020-sample.csv": (6623, 345, 0, 6278),
    "complaints-personal-loans-2023-sample.csv": (2827, 1017, 0, 1810),
    "complaints-personal-loans-2025-sample.csv": (131, 52, 0, 79),
}
EXPECTED_ROUTE_OUTCOMES = {
    ("deferral", "rejected"): 3,
    ("installment", "approved"): 1,
    ("installment", "partial"): 1,
    ("installment", "rejected"): 20,
    ("interest_waiver", "approved"): 87,
    ("interest_waiver", "partial"): 30,
    ("interest_waiver", "pending"): 1,
    ("interest_waiver", "rejected"): 718,
    ("other", "approved"): 10,
    ("other", "partial"): 15,
    ("other", "rejected"): 528,
}
EXPECTED_PRODUCTS = {"consumer_loan": 1118, "credit_card": 70, "mortgage": 146,
                     "student_loan": 54, "vehicle_loan": 26}
SYNTHETIC_CASES = 1000



def test_the_samples_are_in_the_repository():
    assert [p.name for p in SAMPLE_FILES] == sorted(EXPECTED_FILES)


@pytest.fixture(scope="module")
def mixed_home(tmp_path_factory):
    """A canonical synthetic file and the three CFPB files in one home."""
    root = tmp_path_factory.mktemp("mixed")
    synthetic = root / "synthetic.csv"
    synth.write_cases(synthetic, SYNTHETIC_CASES, seed=5)
    home = Home.resolve(root / "home")
    results = ingest_paths(home, [synthetic, *SAMPLE_FILES])
    return home, results


def _cfpb_cases(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select case_id, applied_on, product, route, channel, region, outcome from cases "
        "where source = 'cfpb' order by case_id").fetchall()


def test_shared_files_counts_per_file(mixed_home):
    _, results = mixed_home
    got = {Path(r.file).name: (r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_skipped)
           for r in results if r.source == "cfpb"}
    assert got == EXPECTED_FILES
    assert all(r.status == "loaded" for r in results)


def test_shared_files_cases_per_route_outcome_and_product(mixed_home):
    home, _ = mixed_home
    with warehouse.connect_analysts(home) as con:
        per_route = con.execute(
            "select route, outcome, count(*) from cases where source = 'cfpb' group by all"
        ).fetchall()
        per_product = con.execute(
            "select product, count(*) from cases where source = 'cfpb' group by all").fetchall()
        fields = con.execute(
            "select count(*), count(distinct case_id), count(decided_on), count(region), "
            "min(applied_on)::varchar, max(applied_on)::varchar, "
            "count_if(channel = 'regulator'), count_if(case_id like 'cfpb-%') "
            "from cases where source = 'cfpb'").fetchall()[0]
        logged = con.execute(
            "select sum(rows_skipped), sum(rows_quarantined) from ingest_log "
            "where source = 'cfpb'").fetchall()[0]
    assert {(r, o): n for r, o, n in per_route} == EXPECTED_ROUTE_OUTCOMES
    assert dict(per_product) == EXPECTED_PRODUCTS
    assert fields == (1414, 1414, 0, 1398, "2016-08-05", "2025-04-04", 1414, 1414)
    assert logged == (6278 + 1810 + 79, 0)


def test_mixed_sources_coexist_and_statistics_split_by_source(mixed_home):
    home, results = mixed_home
    synthetic_loaded = next(r.rows_loaded for r in results if r.source == "canonical")
    assert synthetic_loaded > 0
    with warehouse.connect_analysts(home) as con:
        per_source = dict(con.execute("select source, count(*) from cases group by all").fetchall())
        by_source = con.execute(
            "select segment_value, sum(requests)::bigint, sum(approved + partial)::bigint, "
            "sum(decided)::bigint from route_outcomes_by_segment where segment = 'source' "
            "and segment_value <> 'unknown' group by all order by all").fetchall()
    assert per_source == {"canonical": synthetic_loaded, "cfpb": 1414}
    cfpb_granted = sum(n for (_, o), n in EXPECTED_ROUTE_OUTCOMES.items()
                       if o in contract.GRANTED_OUTCOMES)
    assert by_source[1] == ("cfpb", 1414, cfpb_granted, 1413)
    assert by_source[0][:2] == ("canonical", synthetic_loaded)


def test_parquet_and_json_lines_with_api_names_give_the_same_cases(mixed_home, tmp_path):
    home, _ = mixed_home
    with warehouse.connect_analysts(home) as con:
        expected = _cfpb_cases(con)
    converter = duckdb.connect()
    renamed = ", ".join(f'"{k}" as {v}' for k, v in API_NAMES.items())
    paths = []
    for src in SAMPLE_FILES:
        # Parquet as text (MM/DD/YY dates kept); JSON Lines typed as DuckDB detects them.
        for fmt, all_varchar in (("parquet", "true"), ("json", "false")):
            out = tmp_path / f"{src.stem}.{'jsonl' if fmt == 'json' else fmt}"
            converter.execute(
                f"copy (select {renamed} from read_csv('{src}', all_varchar = {all_varchar})) "
                f"to '{out}' (format {fmt})")
            paths.append(out)
    converter.close()
    for suffix in (".parquet", ".jsonl"):
        other = Home.resolve(tmp_path / suffix.strip("."))
        with warehouse.open_writer(other, "test") as con:
            results = [ingest_file(con, p) for p in paths if p.suffix == suffix]
            assert [(r.source, r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_skipped)
                    for r in results] == [("cfpb", *EXPECTED_FILES[p.name]) for p in SAMPLE_FILES]
            assert _cfpb_cases(con) == expected


def test_an_export_whose_narratives_break_lines_is_read_by_one_thread(tmp_path):
    """DuckDB's parallel CSV reader can return a record twice when quoted values hold
    line breaks (measured on a 2M-record export), so such a file is read serially."""
    rows = [_export_row(r, narrative="first line\r\nsecond line") for r in RECORDS]
    path = _write_export(tmp_path / "export.csv", rows)
    with duckdb.connect() as con:
        assert open_source(con, path).serial
    plain = _write_export(tmp_path / "plain.csv", [_export_row(r) for r in RECORDS])
    with duckdb.connect() as con:
        assert not open_source(con, plain).serial
    result, cases, _, _ = _ingest(Home.resolve(tmp_path / "home"), path)
    assert (result.rows_read, result.rows_loaded) == (len(RECORDS), len(EXPECTED_SMALL))
    assert quoted_line_break('id,text\n1,"open\nstill open')  # cut inside a quoted value
