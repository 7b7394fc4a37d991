"""Personal-data detection and masking; small-cell suppression (the report attacks its
own tables in tests/report/test_build.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import privacy


def resident_id(body17: str) -> str:
    total = sum(int(d) * w for d, w in zip(body17, privacy._ID_WEIGHTS, strict=True))
    return body17 + privacy._ID_CHECK[total % 11]


def luhn_complete(prefix: str) -> str:
    for last in "0123456789":
        if privacy.luhn_valid(prefix + last):
            return prefix + last
    raise AssertionError


@pytest.mark.parametrize(("text", "kind"), [
    ("11010519491231002X", "resident_id"),
    ("id 11010519491231002x.", "resident_id"),
    ("13812345678", "mobile"),
    ("+86 138-1234-5678", "mobile"),
    ("tel13812345678", "mobile"),
    ("4111111111111111", "bank_card"),
    ("6222 0212 3456 7890 128", "bank_card"),
    ("someone@example.com.cn", "email"),
    ("110105194912310021", None),  # wrong check digit
    ("4111111111111112", None),  # fails Luhn
    ("12812345678", None),  # not a mainland mobile prefix
    ("SYN20250101-00000001", None),
    ("2025-01-05", None),
    ("123456.78", None),
])
def test_find_personal_data(text, kind):
    assert privacy.find_personal_data(text) == kind


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_every_valid_resident_id_is_found_prefiltered_and_masked(body):
    value = resident_id(body)
    assert privacy.find_personal_data(f"x {value} y") == "resident_id"
    assert re.search(privacy.PREFILTER_SQL, value)
    assert body not in privacy.mask(value)


@given(st.text(alphabet="0123456789", min_size=12, max_size=18))
def test_every_luhn_card_is_found_prefiltered_and_masked(prefix):
    value = luhn_complete(prefix)
    assert privacy.find_personal_data(value) in ("bank_card", "resident_id", "mobile")
    assert re.search(privacy.PREFILTER_SQL, value)
    assert value not in privacy.mask(value)


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9),
       st.sampled_from(["", " ", "-"]))
def test_every_mobile_is_found_prefiltered_and_masked(second, rest, sep):
    value = f"1{second}{rest[0]}{sep}{rest[1:5]}{sep}{rest[5:]}"
    assert privacy.find_personal_data(value) == "mobile"
    assert re.search(privacy.PREFILTER_SQL, value)
    assert rest[1:5] + sep + rest[5:] not in privacy.mask(value)


def test_sql_masking_matches_python_masking():
    import duckdb

    samples = ["call 13812345678 now", "a@b.cn", "11010519491231002X", "plain", None,
               "6222 0212 3456 7890 128"]
    con = duckdb.connect()
    got = con.execute(
        f"select {privacy.mask_sql('v')} from unnest(?::varchar[]) t(v)", [samples]
    ).fetchall()
    assert [g[0] for g in got] == [privacy.mask(s) for s in samples]


# --- small-cell suppression --------------------------------------------------------------


def _plans_row(status_unknown: int) -> tuple[dict, list, frozenset]:
    """One plans row (plans = completed + active + broken + status unknown) of two routes
    and their column totals; the rates' cells are completed, active and broken."""
    counts, relations = {}, []
    rows = {"a": (1076, 1759, 423, status_unknown), "b": (647, 150, 176, 31)}
    classes = ("completed", "active", "broken", "status_unknown")
    for route, values in rows.items():
        counts.update({(route, c): v for c, v in zip(classes, values, strict=True)})
        counts[(route, "plans")] = sum(values)
        relations.append(((route, "plans"), [(route, c) for c in classes]))
    for c in (*classes, "plans"):
        counts[("*", c)] = sum(counts[(r, c)] for r in rows)
        relations.append((("*", c), [(r, c) for r in rows]))
    relations.append((("*", "plans"), [("*", c) for c in classes]))
    keys = frozenset(k for k in counts if k[1] in ("completed", "active", "broken"))
    return counts, relations, keys


def test_a_small_status_unknown_costs_a_margin_not_the_broken_share():
    counts, relations, keys = _plans_row(status_unknown=3)
    hidden = privacy.suppress_cells(counts, relations, 10, key_cells=keys)
    assert ("a", "status_unknown") in hidden
    assert not hidden & keys  # every broken share can still be computed
    assert privacy.recoverable_cells(counts, relations, hidden) == set()
    # without the key cells named, the smallest part is taken: the broken share goes
    plain = privacy.suppress_cells(counts, relations, 10)
    assert plain & keys


def test_zeros_are_published_and_never_a_complement():
    counts, relations, keys = _plans_row(status_unknown=0)
    assert privacy.suppress_cells(counts, relations, 10, key_cells=keys) == set()
    counts = {"t": 12, "a": 5, "b": 7, "z": 0}
    hidden = privacy.suppress_cells(counts, [("t", ["a", "b", "z"])], 10)
    assert hidden == {"a", "b"}


def test_the_check_knows_a_suppressed_cell_is_at_least_one():
    # t = a + b with t = 2 published: both suppressed cells must be 1 once zeros are public
    counts = {"t": 2, "a": 1, "b": 1}
    relations = [("t", ["a", "b"])]
    assert privacy.recoverable_cells(counts, relations, {"a", "b"}, lowest=0) == set()
    assert privacy.recoverable_cells(counts, relations, {"a", "b"}) == {"a", "b"}
    hidden = privacy.suppress_cells(counts, relations, 10)
    assert hidden == {"t", "a", "b"}
    assert privacy.recoverable_cells(counts, relations, hidden) == set()


@settings(deadline=None, max_examples=60)  # linear programs: the first one imports scipy
@given(st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=2, max_size=4))
def test_no_suppressed_cell_is_recoverable_on_random_tables(rows):
    counts, relations = {}, []
    for i, values in enumerate(rows):
        counts.update({(i, j): v for j, v in enumerate(values)})
        counts[(i, "*")] = sum(values)
        relations.append(((i, "*"), [(i, j) for j in range(3)]))
    for j in (0, 1, 2, "*"):
        counts[("*", j)] = sum(counts[(i, j)] for i in range(len(rows)))
        relations.append((("*", j), [(i, j) for i in range(len(rows))]))
    try:
        hidden = privacy.suppress_cells(counts, relations, 10)
    except ValueError:
        return  # nothing left that could protect (the caller then refuses to publish)
    assert all(counts[k] > 0 for k in hidden)
    assert all(k in hidden for k, n in counts.items() if 0 < n < 10)
    assert privacy.recoverable_cells(counts, relations, hidden) == set()
