"""docs/data-dictionary.md against the analysts' database, both ways; every query
of docs/analyst-guide.md runs on a small published database."""

from __future__ import annotations

import re

import pytest

from pipelines import warehouse
from pipelines.config import REPO_ROOT

DICTIONARY = REPO_ROOT / "docs" / "data-dictionary.md"
GUIDE = REPO_ROOT / "docs" / "analyst-guide.md"


def dictionary_columns() -> set[tuple[str, str, str]]:
    """(table, column, type) of every column row under a `## \\`name\\`` heading."""
    found, table = set(), None
    for line in DICTIONARY.read_text("utf-8").splitlines():
        heading = re.match(r"^## `(\w+)`", line)
        if heading:
            table = heading.group(1)
            continue
        if line.startswith("## "):
            table = None
        row = re.match(r"^\| `(\w+)` \| ([A-Z0-9(), ]+?) \|", line)
        if table and row:
            found.add((table, row.group(1), row.group(2).strip()))
    return found


def dictionary_macros() -> set[str]:
    text = DICTIONARY.read_text("utf-8").split("## Macros", 1)[1]
    return set(re.findall(r"`(\w+)\(", text))


def guide_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", GUIDE.read_text("utf-8"), flags=re.S)


@pytest.fixture(scope="module")
def analysts(tmp_path_factory):
    """A published database with a few current cases, one of them updated."""
    from pipelines import ingest
    from pipelines.config import Home

    home = Home.resolve(tmp_path_factory.mktemp("docs") / "home")
    folder = tmp_path_factory.mktemp("docs-files")
    header = ("case_id,applied_on,decided_on,product,route,channel,doc_income_proof,"
              "outcome,granted_route,waived_amount,plan_status\n")
    (folder / "a.csv").write_text(header + "\n".join([
        "a1,2024-01-03,2024-01-20,credit_card,installment,app,true,approved,installment,120,active",
        "a2,2024-01-09,2024-01-12,cash_loan,installment,hotline,false,rejected,,,",
        "a3,2024-02-02,2024-02-28,credit_card,deferral,,,partial,installment,30,broken",
        "a4,2024-02-10,,credit_card,settlement,app,true,pending,,,",
    ]) + "\n")
    (folder / "b.csv").write_text(header + "a4,2024-02-10,2024-03-01,credit_card,settlement,"
                                  "app,true,approved,settlement,900,completed\n")
    for name in ("a.csv", "b.csv"):
        [result] = ingest.ingest_paths(home, [folder / name])
        assert result.status == "loaded", result.message
    con = warehouse.connect_analysts(home)
    yield con
    con.close()


def database_columns(con) -> set[tuple[str, str, str]]:
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'main'"
    ).fetchall()
    # An enumerated column is documented as ENUM with its values in the meaning
    # (their order is checked against the contract by tests/test_contract.py).
    return {(t, c, "ENUM" if d.startswith("ENUM(") else d) for t, c, d in rows}


def test_every_database_column_is_in_the_dictionary(analysts):
    missing = database_columns(analysts) - dictionary_columns()
    assert not missing, (
        "document these in docs/data-dictionary.md (table, column, type):\n"
        + "\n".join(f"  {t}.{c} {d}" for t, c, d in sorted(missing))
    )


def test_every_dictionary_column_is_in_the_database(analysts):
    stale = dictionary_columns() - database_columns(analysts)
    assert not stale, (
        "docs/data-dictionary.md lists columns the database lacks (or with another type):\n"
        + "\n".join(f"  {t}.{c} {d}" for t, c, d in sorted(stale))
    )


def test_every_macro_is_in_the_dictionary(analysts):
    macros = {r[0] for r in analysts.execute(
        "select distinct function_name from duckdb_functions() "
        "where not internal and function_type like '%macro%'").fetchall()}
    assert macros - dictionary_macros() == set()
    assert dictionary_macros() - macros == set()


def test_the_guide_has_ten_questions_and_every_query_runs(analysts):
    queries = guide_queries()
    assert len(queries) >= 10
    for query in queries:
        rows = analysts.execute(query).fetchall()
        assert rows, f"the analyst guide's query returned nothing on the test data:\n{query}"
