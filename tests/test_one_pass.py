"""pipelines/one_pass.py: the one pass gives, on random and tricky values, text and native
Parquet types alike, exactly the typed values and verdicts of the rules' definitions
(pipelines/rules.py), whatever shortcut it takes."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import contract, one_pass, privacy, rules

# --- the one pass equals the rules it takes shortcuts through -----------------------------

# Spellings that reach every branch of the pass: canonical, Chinese, padded, mixed case,
# empty, out of range, almost-formats DuckDB's casts would accept, personal data.
SPELLINGS = st.sampled_from([
    "", " ", "  ", "0", "1", "-1", "+5", " 12 ", "007", "60", "61", "1.0", "1.5", "-0.00", ".5",
    "5.", "1e3", "0x1F", "1_000", "3000000000", "2147483647", "-2147483648", "1200.5",
    "+1200.50", "99999999999999999", "2025-03-01", " 2025-03-01", "2025-3-1", "2025/01/01",
    "2025年3月1日", "2025-02-30", "2025-03-01 00:00:00", "0001-01-01", "true", "TRUE", " Yes ",
    "y", "n", "是", "否", "maybe", "installment", " Installment", "分期还款", "减免罚息",
    "revolving_credit", "花呗", "app", "APP", "客服电话", "pending", "approved", "65+",
    "18-24", "completed", "已违约", "other", "其他", "C1", "bad id!", "x" * 70, "GD",
    "13812345678", "a@b.cn", "11010519491231002X", "6222021234567890128", "=1+1",
    "SYN1-00000000", "138-1234-5678", "1234567890", "12345678901", "a1b2c3d4e5f6g7h8i9j0k1",
])
TEXT_VALUES = st.one_of(SPELLINGS, st.text(max_size=8))


def _reference(con, width: int) -> str:
    """Each row's typed values and broken per-row rules by the definitions alone
    (typed_expr of the trimmed text, every rule's condition), over batch_source."""

    text = ", ".join(f"nullif(trim(cast(c{i} as varchar)), '') as \"{name}\""
                     for i, name in enumerate(contract.COLUMN_NAMES[:width]))
    typed = ", ".join(f"{rules.typed_expr(c)} as \"typed_{c.name}\"" for c in contract.COLUMNS)
    broken = " or ".join(f"coalesce({r.condition}, false)" for r in rules.rules()
                         if r.rule not in rules.BATCH_RULES)
    values = ", ".join(f"cast(\"typed_{c.name}\" as {c.sql_type})" for c in contract.COLUMNS)
    return (f"with t as (select rowid as r, {text} from batch_source), "
            f"typed as (select *, {typed} from t) "
            f"select r, ({broken}), {values} from typed order by r")


def _pass(con, types: tuple[str, ...]) -> list:
    from pathlib import Path

    from pipelines.sources import canonical
    from pipelines.sources.files import RawFile

    headers = list(contract.COLUMN_NAMES)
    raw = RawFile(Path("x"), "csv", False, None, headers, types, "(row_id + 1)")
    con.execute("drop table if exists batch_typed")
    con.execute(one_pass.pass_sql(canonical.plan(headers), raw))
    values = ", ".join(f"cast(\"{c.name}\" as {c.sql_type})" for c in contract.COLUMNS)
    return con.execute(
        f"select rowid, breaks_rule, {values} from batch_typed order by rowid").fetchall()


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(TEXT_VALUES, min_size=23, max_size=23), min_size=1, max_size=8))
def test_pass_on_text_equals_the_rules(rows):

    con = duckdb.connect()
    columns = list(zip(*rows, strict=True))
    con.execute("create temp table batch_source as select "
                + ", ".join(f"unnest(?::varchar[]) as c{i}" for i in range(23)),
                [list(c) for c in columns])
    assert _pass(con, ("VARCHAR",) * 23) == con.execute(_reference(con, 23)).fetchall()


NATIVE = {  # Parquet types a file may carry, with values at the edges of the rules
    "applied_on": ("DATE", st.one_of(st.none(), st.dates())),
    "decided_on": ("DATE", st.one_of(st.none(), st.dates())),
    "outstanding_amount": ("DOUBLE", st.one_of(
        st.none(), st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-10**11, 10**11).map(lambda n: n / 100),
        st.sampled_from([0.285, 0.29, 1e9, 999999999.99, 13812345678.0, 0.30000000000000004,
                         6222021234567890128.0, 1e-5, -0.0]))),
    "overdue_days": ("BIGINT", st.one_of(st.none(), st.integers(-2**40, 2**40),
                                         st.integers(-3, 70))),
    "requested_months": ("INTEGER", st.one_of(st.none(), st.integers(-3, 70))),
    "broke_prior_agreement": ("BOOLEAN", st.one_of(st.none(), st.booleans())),
}


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_pass_on_native_parquet_types_equals_the_rules_on_their_text(data):
    """A column the file holds in its own type skips the text: same values, same
    verdicts, and personal data in a DOUBLE is still found, as on its text."""


    n = data.draw(st.integers(1, 6))
    con = duckdb.connect()
    selects, params, types = [], [], []
    for i, name in enumerate(contract.COLUMN_NAMES):
        kind, strategy = NATIVE.get(name, ("VARCHAR", TEXT_VALUES))
        params.append(data.draw(st.lists(strategy, min_size=n, max_size=n)))
        selects.append(f"unnest(?::{kind}[]) as c{i}")
        types.append(kind)
    con.execute("create temp table batch_source as select " + ", ".join(selects), params)
    assert _pass(con, tuple(types)) == con.execute(_reference(con, 23)).fetchall()
    amount = contract.COLUMN_NAMES.index("outstanding_amount")
    for text, suspect in con.execute(
            f"select cast(s.c{amount} as varchar), t.pii_suspect from batch_source s "
            "positional join batch_typed t").fetchall():
        assert suspect or not privacy.find_personal_data(text), text


def test_plain_money_doubles_skip_their_text_safely():
    """plain_money's three claims, over edge values and 400,000 random doubles: the
    text passes the decimal format, casts to the same DECIMAL(18,2) as the double,
    and holds no run of ten digits (personal data needs eleven)."""


    con = duckdb.connect()
    con.execute(
        "create table v as select x from (values (0.0), (-0.0), (0.29), (0.285), (0.01), "
        "(1e8), (999999999.99), (-999999999.99), (1e9), (13812345678.0), (1e-5), "
        "(0.30000000000000004), ('nan'::double), ('inf'::double), ('-inf'::double)) t(x) "
        "union all select round(random() * 2e9 - 1e9, 2) from range(200000) "
        "union all select round(random() * 200 - 100, (random() * 4)::int) from range(100000) "
        "union all select random() * 2e12 - 1e12 from range(100000)")
    plain = one_pass.plain_money("x")
    text = "cast(x as varchar)"
    checks = con.execute(
        f"select count(*) filter (where {plain}), "
        f"count(*) filter (where {plain} and not regexp_full_match({text}, "
        f"'{rules.DECIMAL_TEXT}')), "
        f"count(*) filter (where {plain} and try_cast({text} as decimal(18,2)) "
        f"is distinct from try_cast(x as decimal(18,2))), "
        f"count(*) filter (where {plain} and regexp_matches({text}, '[0-9]{{10}}')), "
        f"count(*) filter (where x = 13812345678.0 and {plain}) from v").fetchall()[0]
    assert checks[0] > 250_000 and checks[1:] == (0, 0, 0, 0)


def test_plain_case_ids_skip_trimming_pattern_and_personal_data_check_safely():
    """plain_id's three claims, over edge values and 300,000 random strings of the
    characters that matter: a plain text is its own trimmed value, matches the
    case_id pattern, and neither the prefilter nor the exact check finds personal
    data in it. And the shortcut is taken by ids as sources write them."""
    import random



    rng = random.Random(7)
    alphabet = "aZx_-09123456789 @.\t"
    values = ["SYN1-00000000", "CFPB-1234567", "138-1234-5678", "13812345678", "1234567890",
              "1234-5678-9012-3456", "11010519491231002X", "a" * 64, "a" * 65, " a1", "a1 ",
              "", "a@b", "x1y2z3w4v5u6t7s8r9q0p1"]
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
               for _ in range(300_000)]
    con = duckdb.connect()
    con.execute("create table v as select unnest(?::varchar[]) as x", [values])
    rows = con.execute(
        f"select x, {one_pass.plain_id('x')}, {privacy.prefilter_sql('x')}, "
        f"regexp_full_match(x, '{contract.CASE_ID_PATTERN[1:-1]}') from v").fetchall()
    plain = [(x, suspect, fits) for x, is_plain, suspect, fits in rows if is_plain]
    assert len(plain) > 20_000
    for x, suspect, fits in plain:
        assert x == x.strip() and fits and not suspect, x
        assert privacy.find_personal_data(x) is None, x
    assert {x for x, *_ in plain} >= {"SYN1-00000000", "CFPB-1234567", "1234567890", "a" * 64}
    assert not {x for x, *_ in plain} & {"138-1234-5678", "13812345678", "a" * 65, " a1", ""}
