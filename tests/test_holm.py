"""The holm macro (sql/macros/50_holm.sql) against statsmodels' Holm correction."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from pipelines import warehouse


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    warehouse.migrate(con)  # the macros follow the tables they read
    yield con
    con.close()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.floats(0.0, 1.0)), min_size=1, max_size=8),
                min_size=1, max_size=3))
def test_holm_matches_statsmodels_per_family(con, families):
    rows = [(f, i, p) for f, ps in enumerate(families) for i, p in enumerate(ps)]
    con.execute("create or replace table tests (family integer, test integer, p_value double)")
    con.executemany("insert into tests values (?, ?, ?)", rows)
    got = {(f, i): (m, q) for f, i, m, q in con.execute(
        "select family, test, tests_in_family, p_value_holm from holm('tests', family, test)"
    ).fetchall()}
    for f, ps in enumerate(families):
        present = [i for i, p in enumerate(ps) if p is not None]
        expected = multipletests([ps[i] for i in present], method="holm")[1] if present else []
        for i, q in zip(present, expected, strict=True):
            assert got[(f, i)][0] == len(present)
            assert np.isclose(got[(f, i)][1], q, atol=1e-12)
        assert all(got[(f, i)][1] is None for i, p in enumerate(ps) if p is None)
