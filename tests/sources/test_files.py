"""sources/files.py: any table file as the relation batch_source (format and encoding told by
content, malformed records kept masked with their line) and files that are not tables
refused by their magic bytes, saying what to do."""

from __future__ import annotations

import codecs
import gzip
import zipfile

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.sources import files


def zipped(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(("name", "make", "kind"), [
    ("book.xlsx", lambda p: zipped(p, {"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<w/>"}),
     "an Excel workbook (.xlsx)"),
    ("book.xls", lambda p: p.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(500)),
     "an Excel workbook (.xls)"),
    ("sheet.ods", lambda p: zipped(p, {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                                       "content.xml": b"<x/>"}),
     "an OpenDocument spreadsheet (.ods)"),
    ("scan.pdf", lambda p: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "a PDF document"),
    ("photo.png", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40)), "a PNG image"),
    ("photo.jpg", lambda p: p.write_bytes(b"\xff\xd8\xff\xe0" + bytes(40)), "a JPEG image"),
    ("photo.webp", lambda p: p.write_bytes(b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(20)),
     "a WebP image"),
])
def test_spreadsheets_pdfs_and_images_are_refused_with_what_to_do(tmp_path, name, make, kind):
    path = tmp_path / name
    make(path)
    with pytest.raises(files.Refused) as refused:
        files.sniff(path)
    assert str(refused.value) == (f"is {kind}: relief reads CSV, Parquet and JSON Lines "
                                  "(optionally gzip or zip): export the sheet as CSV")


def test_tables_are_not_taken_for_foreign_files(tmp_path):
    table = b"case_id,applied_on\nA,2025-01-01\n"
    (tmp_path / "a.csv").write_bytes(table)
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(table))
    zipped(tmp_path / "a.zip", {"a.csv": table})  # a zipped table is not a workbook
    assert files.foreign_kind(tmp_path / "a.zip", (tmp_path / "a.zip").read_bytes()[:16]) is None
    assert files.sniff(tmp_path / "a.csv")[:2] == ("csv", False)
    assert files.sniff(tmp_path / "a.csv.gz")[:2] == ("csv", True)


# --- reading any table file as batch_source -------------------------------------------


def read(path):
    """(RawFile after its scan, batch_source's rows with their line numbers, structural rows)."""
    con = duckdb.connect()
    try:
        raw = files.open_source(con, path)
        width = len(raw.headers)
        columns = ", ".join(f"c{i}" for i in range(width))
        raw = files.scan(con, raw, f"create temp table t as select {columns} "
                         f"from {files.SOURCE_VIEW}", "t")
        rows = con.execute(f"select {raw.line_sql} as line, * exclude (row_id) from "
                           "(select rowid as row_id, * from t) order by row_id").fetchall()
        structural = con.execute("select line, rule, raw from batch_structural "
                                 "order by line").fetchall()
        return raw, rows, structural
    finally:
        con.close()


def test_the_format_is_told_by_content_not_by_name(tmp_path):
    table = pa.table({"case_id": ["C1", "C2"], "overdue_days": [3, None]})
    pq.write_table(table, tmp_path / "looks.csv")
    (tmp_path / "lines.txt").write_bytes(b'{"case_id": "C1", "overdue_days": 3}\n'
                                         b'{"case_id": "C2", "overdue_days": "n/a"}\n')
    (tmp_path / "packed.parquet").write_bytes(gzip.compress(b"case_id,overdue_days\nC1,3\n"))
    assert files.sniff(tmp_path / "looks.csv")[:2] == ("parquet", False)
    assert files.sniff(tmp_path / "lines.txt")[:2] == ("jsonl", False)
    assert files.sniff(tmp_path / "packed.parquet")[:2] == ("csv", True)

    raw, rows, _ = read(tmp_path / "looks.csv")
    assert raw.headers == ["case_id", "overdue_days"] and raw.types == ("VARCHAR", "BIGINT")
    assert rows == [(1, "C1", 3), (2, "C2", None)]  # Parquet keeps its own types
    raw, rows, _ = read(tmp_path / "lines.txt")
    # JSON Lines: text, a field of mixed types unquoted.
    assert raw.types == ("VARCHAR", "VARCHAR") and rows == [(1, "C1", "3"), (2, "C2", "n/a")]
    raw, rows, _ = read(tmp_path / "packed.parquet")
    assert (raw.fmt, raw.compressed, rows) == ("csv", True, [(2, "C1", "3")])


def test_csv_headers_keep_their_text_without_bom_and_gb18030_is_recognised(tmp_path):
    (tmp_path / "bom.csv").write_bytes(codecs.BOM_UTF8 + "案件编号,逾期天数\nC1,5\n".encode())
    raw, rows, _ = read(tmp_path / "bom.csv")
    assert (raw.encoding, raw.headers, rows) == ("utf-8", ["案件编号", "逾期天数"], [(2, "C1", "5")])
    (tmp_path / "zh.csv").write_bytes("案件编号,地区\nC1,广东\n".encode("gb18030"))
    raw, rows, _ = read(tmp_path / "zh.csv")
    assert (raw.encoding, raw.headers, rows) == ("gb18030", ["案件编号", "地区"], [(2, "C1", "广东")])


def test_gb18030_after_an_ascii_first_megabyte_is_read_again_as_gb18030(tmp_path):
    ascii_rows = "".join(f"C{i},GD\n" for i in range(files.SAMPLE_BYTES // 8 + 10))
    path = tmp_path / "late.csv"
    path.write_bytes(("case_id,region\n" + ascii_rows + "C-last,广东\n").encode("gb18030"))
    con = duckdb.connect()
    raw = files.open_source(con, path)
    assert raw.ascii_head and raw.encoding == "utf-8"
    con.close()
    raw, rows, structural = read(path)
    assert raw.encoding == "gb18030" and not raw.ascii_head and structural == []
    assert rows[-1][1:] == ("C-last", "广东") and len(rows) == ascii_rows.count("\n") + 1


def test_malformed_records_are_kept_masked_with_their_line_and_lines_stay_true(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("case_id,region,note\n"
                    "C1,GD,ok\n"
                    "C2,GD\n"                              # line 3: a field short
                    "C3,GD,call 13812345678,extra\n"       # line 4: a field too many
                    "C4,BJ,fine\n", encoding="utf-8")
    raw, rows, structural = read(path)
    assert rows == [(2, "C1", "GD", "ok"), (5, "C4", "BJ", "fine")]
    assert [(line, rule) for line, rule, _ in structural] == [(3, "too_few_fields"),
                                                              (4, "too_many_fields")]
    assert "13812345678" not in structural[1][2] and "C3,GD,call" in structural[1][2]


def test_a_quoted_line_break_is_read_by_one_thread_and_once(tmp_path):
    path = tmp_path / "narrative.csv"
    path.write_text('case_id,note\nC1,"two\nlines"\nC2,plain\n', encoding="utf-8")
    raw, rows, _ = read(path)
    assert raw.serial and [r[1:] for r in rows] == [("C1", "two\nlines"), ("C2", "plain")]
    assert not files.quoted_line_break('case_id,note\nC1,"quoted, no break"\n')
    # A value still open where the head is cut: read safely by one thread.
    assert files.quoted_line_break('case_id,note\nC1,"opened\nstill open\n')
    assert not files.quoted_line_break('case_id,note\nC1,"cut where the head ends')


@pytest.mark.parametrize(("content", "words"), [
    (b"", "no header row"),
    (b"\n\n", "no header row"),
    (b"case_id,note\nC1,\x00\x00\n", "binary data"),
    (b"case_id,note\nC1,\xff\xfe\xff\n", "cannot be decoded"),
])
def test_files_that_are_no_table_are_refused_in_plain_words(tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(files.Refused, match=words):
        files.open_source(duckdb.connect(), path)


def test_a_refusal_quoting_the_file_masks_personal_data(tmp_path):
    path = tmp_path / "13812345678.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 64)  # Parquet's magic, not Parquet
    with pytest.raises(files.Refused) as refused:
        files.open_source(duckdb.connect(), path)
    message = str(refused.value)
    assert message.startswith("is not a Parquet table DuckDB can read")
    assert "13812345678" not in message and "\n" not in message and len(message) < 260
