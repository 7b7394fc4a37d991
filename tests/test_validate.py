"""Property-based: random and mutated rows never crash ingestion, and every
accepted file's rows are all accounted for."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipelines import ingest, warehouse

from .test_ingest import HEADER, row

VALID = [row(f"C{i}") for i in range(3)]
_counter = itertools.count()

field = st.one_of(
    st.sampled_from(["", "0", "-1", "61", "1e9", "2025-02-30", "2025/01/01", "是", "否", "NaN",
                     "13812345678", "a@b.cn", "=1+1", '"', '""', "\t", " installment ",
                     "分期还款", "pending", "approved", "x" * 70]),
    st.text(max_size=12),
)


@st.composite
def mutated_rows(draw):
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        cells = draw(st.sampled_from(VALID)).split(",")
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(st.sampled_from(["replace", "drop", "add"]))
            if kind == "replace":
                cells[draw(st.integers(0, len(cells) - 1))] = draw(field)
            elif kind == "drop" and len(cells) > 1:
                cells.pop(draw(st.integers(0, len(cells) - 1)))
            else:
                cells.append(draw(field))
        rows.append(",".join(c.replace("\n", " ").replace("\r", " ") for c in cells))
    return rows


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=mutated_rows())
def test_rows_read_equals_loaded_plus_quarantined(tmp_path, rows):
    from pipelines.config import Home

    home = Home.resolve(tmp_path / "prop")
    path = tmp_path / f"f{next(_counter)}.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    con = warehouse.connect_working(home)
    try:
        result = ingest.ingest_file(con, path)
        if result.status == "loaded":
            assert result.rows_read == result.rows_loaded + result.rows_quarantined
            assert result.rows_read == len([r for r in rows if r.strip() or r == ""]) or \
                result.rows_read <= len(rows)
            stored = con.execute(
                "select count(*) from quarantine q join ingest_log l using (batch_id) "
                "where l.file = ?", [result.file]).fetchall()[0][0]
            assert stored == result.rows_quarantined
    finally:
        con.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
@example(data=b"\r\x01")  # a lone carriage return once failed the header read
def test_arbitrary_bytes_never_crash(tmp_path, data):
    from pipelines.config import Home

    home = Home.resolve(tmp_path / "bytes")
    path = tmp_path / f"b{next(_counter)}.csv"
    path.write_bytes(data)
    con = warehouse.connect_working(home)
    try:
        result = ingest.ingest_file(con, path)
        assert result.status in ("loaded", "refused", "unchanged")
        if result.status == "loaded":
            assert result.rows_read == result.rows_loaded + result.rows_quarantined
    finally:
        con.close()
