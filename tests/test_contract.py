"""The contract in code agrees with the warehouse schema and with itself."""

from __future__ import annotations

import duckdb

from pipelines import contract, warehouse


def _columns(con, table):
    return {r[0]: r[1] for r in con.execute(f"describe {table}").fetchall()}


def test_warehouse_tables_carry_every_contract_column_with_its_type():
    con = duckdb.connect()
    warehouse.migrate(con)
    for table in ("cases", "case_versions", "case_history"):
        cols = _columns(con, table)
        for c in contract.COLUMNS:
            assert c.name in cols, (table, c.name)
            assert cols[c.name].replace(" ", "") == c.sql_type.replace(" ", ""), (table, c.name)
    # Enumerations are ENUMs of the contract's values in its order (sql/schema/007).
    assert contract.BY_NAME["route"].sql_type.startswith("ENUM('installment', 'deferral'")
    for table in ("cases", "case_versions"):
        cols = _columns(con, table)
        assert cols["source"] == "VARCHAR"
        for name, labels in (("overdue_bucket", contract.OVERDUE_BUCKETS),
                             ("prior_overdues_bucket", contract.PRIOR_OVERDUES_BUCKETS),
                             ("documents_submitted", contract.DOCUMENTS_SUBMITTED)):
            assert cols[name] == contract.enum_type(labels), (table, name)


def test_aliases_are_unique_and_cover_every_column():
    keys = [contract.normalize_header(c.name) for c in contract.COLUMNS] + [
        contract.normalize_header(c.zh) for c in contract.COLUMNS]
    assert len(keys) == len(set(keys))
    assert set(contract.header_aliases().values()) == set(contract.COLUMN_NAMES)


def test_enum_spellings_are_unambiguous():
    for c in contract.COLUMNS:
        if c.enum:
            spellings = contract.enum_spellings(c.enum)
            assert set(spellings.values()) == set(c.enum)


def test_identifier_headers_refused_but_contract_headers_not():
    for c in contract.COLUMNS:
        assert not contract.is_identifier_header(c.name)
        assert not contract.is_identifier_header(c.zh)
    for bad in ("姓名", "手机号", "身份证号", "银行卡号", "邮箱", "地址", "Phone Number", "E-mail",
                "customer_name", "ID card"):
        assert contract.is_identifier_header(bad), bad


def test_bucket_macros_follow_the_contract():
    con = duckdb.connect()
    warehouse.migrate(con)
    got = con.execute(
        "select overdue_bucket(d) from unnest([null, 0, 30, 31, 90, 91, 180, 181]) t(d)"
    ).fetchall()
    assert [g[0] for g in got] == ["unknown", "0-30", "0-30", "31-90", "31-90", "91-180",
                                   "91-180", "181+"]
    got = con.execute(
        "select prior_overdues_bucket(n) from unnest([null, 0, 1, 2, 3, 4]) t(n)").fetchall()
    assert [g[0] for g in got] == ["unknown", "0", "1", "2-3", "2-3", "4+"]
    got = con.execute(
        "select documents_submitted(a, b, c) from (values (null::bool, null::bool, null::bool), "
        "(true, null, false), (true, true, true), (false, false, null)) t(a, b, c)").fetchall()
    assert [g[0] for g in got] == ["unknown", "1", "3", "0"]
    assert set(contract.OVERDUE_BUCKETS) >= {"0-30", "unknown"}
