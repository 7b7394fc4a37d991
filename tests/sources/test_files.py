"""Files that are not tables are refused by their magic bytes, saying what to do."""

from __future__ import annotations

import gzip
import zipfile

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
