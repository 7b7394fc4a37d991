"""Personal-data detection and masking (the small-cell part has its own tests)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
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
