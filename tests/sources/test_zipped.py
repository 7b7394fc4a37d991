"""A .zip holding one case file loads like the file itself; every bad archive is refused
with its own message, stores nothing, leaves no unpacked copy behind, and does not stop
the other files of the same command."""

from __future__ import annotations

import io
import json
import signal
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from pipelines import cli
from pipelines.config import Home
from pipelines.ingest import ingest_paths
from pipelines.sources import zipped

CFPB_SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "cfpb"
CSV = ("case_id,applied_on,decided_on,product,route,outcome\n"
       "z1,2025-03-01,2025-03-05,credit_card,installment,approved\n"
       "z2,2025-03-02,,cash_loan,deferral,pending\n")


@pytest.fixture(autouse=True)
def private_temp(tmp_path, monkeypatch):
    """The zip's entry is read from here (the real one is shared by every relief)."""
    folder = tmp_path / "private-temp"
    folder.mkdir(mode=0o700)
    monkeypatch.setattr(zipped, "private_temp_dir", lambda: folder)
    return folder


def make_zip(path: Path, entries: dict[str, bytes], **options) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, **options) as zf:
        for name, data in entries.items():
            if name.endswith("/"):
                zf.writestr(zipfile.ZipInfo(name), b"")
            else:
                zf.writestr(name, data)
    return path


def counts(home: Home) -> tuple:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(
            "select (select count(*) from cases), (select count(*) from quarantine), "
            "(select list(status order by batch_id) from ingest_log)").fetchall()[0]


# --- good archives ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_a_zip_of_one_file_loads_like_the_file(tmp_path, fmt, private_temp):
    source = tmp_path / "source.csv"
    source.write_text(CSV)
    plain = tmp_path / f"cases.{fmt}"
    if fmt == "csv":
        plain.write_text(CSV)
    else:
        with duckdb.connect() as con:
            con.execute(f"copy (select * from read_csv('{source}', all_varchar = true)) "
                        f"to '{plain}' (format {'json' if fmt == 'jsonl' else 'parquet'})")
    archive = make_zip(tmp_path / "cases.zip", {f"export/cases.{fmt}": plain.read_bytes()})
    [loaded] = ingest_paths(Home.resolve(tmp_path / "h"), [archive])
    assert (loaded.status, loaded.rows_read, loaded.rows_loaded) == ("loaded", 2, 2)
    assert list(private_temp.iterdir()) == []  # the unpacked copy is gone


def test_a_zip_is_known_by_its_content_not_its_name(tmp_path):
    disguised = make_zip(tmp_path / "cases.csv", {"cases.csv": CSV.encode()})
    [loaded] = ingest_paths(Home.resolve(tmp_path / "h"), [disguised])
    assert (loaded.status, loaded.rows_loaded) == ("loaded", 2)


def test_a_folder_s_zips_are_found_and_macos_metadata_is_ignored(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    make_zip(folder / "cases.zip", {"cases.csv": CSV.encode(),
                                    "__MACOSX/._cases.csv": b"\x00\x05\x16\x07"})
    [loaded] = ingest_paths(Home.resolve(tmp_path / "h"), [folder])
    assert (loaded.status, loaded.rows_loaded) == ("loaded", 2)


def test_the_zipped_cfpb_sample_gives_the_same_counts_as_the_csv(tmp_path):
    sample = CFPB_SAMPLES / "complaints-personal-loans-2023-sample.csv"
    archive = make_zip(tmp_path / "complaints.csv.zip", {sample.name: sample.read_bytes()})
    plain, packed = (ingest_paths(Home.resolve(tmp_path / name), [path])[0]
                     for name, path in (("a", sample), ("b", archive)))
    assert (packed.source, packed.rows_read, packed.rows_loaded, packed.rows_skipped) == (
        plain.source, plain.rows_read, plain.rows_loaded, plain.rows_skipped) == (
        "cfpb", 2827, 1017, 1810)


# --- bad archives -------------------------------------------------------------------


def _flag_encrypted(data: bytes) -> bytes:
    """Set the 'encrypted' bit of every entry (local and central headers)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            flags = struct.unpack_from("<H", out, at + offset)[0]
            struct.pack_into("<H", out, at + offset, flags | 0x1)
            at = out.find(signature, at + 4)
    return bytes(out)


def _declare_size(data: bytes, size: int) -> bytes:
    """Rewrite the central directory's uncompressed size (what a zip bomb lies about)."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    struct.pack_into("<I", out, at + 24, size)
    return bytes(out)


def _good_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cases.csv", CSV * 50)
    return buffer.getvalue()


def _nested() -> dict[str, bytes]:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("cases.csv", CSV)
    return {"inner.zip": inner.getvalue()}


def _damaged() -> bytes:
    data = bytearray(_good_zip_bytes())
    start = 30 + len("cases.csv")  # the compressed stream follows the local header
    for i in range(start + 5, start + 25):
        data[i] ^= 0xFF
    return bytes(data)


BAD_ARCHIVES = {
    "empty": (lambda p: make_zip(p, {}), "is an empty zip archive: it holds no file"),
    "two data files": (lambda p: make_zip(p, {"a.csv": CSV.encode(), "b.jsonl": b"{}"}),
                       "is a zip archive holding 2 files (a.csv, b.jsonl)"),
    "a directory only": (lambda p: make_zip(p, {"export/": b"", "export/old/": b""}),
                         "is a zip archive holding only folders (export/, export/old/)"),
    "an encrypted entry": (lambda p: p.write_bytes(_flag_encrypted(_good_zip_bytes())),
                           "entry 'cases.csv' is encrypted (password-protected)"),
    "a truncated archive": (lambda p: p.write_bytes(_good_zip_bytes()[:60]),
                            "is a truncated or damaged zip archive (its table of contents"),
    "a damaged stream": (lambda p: p.write_bytes(_damaged()),
                         "is a truncated or damaged zip archive: its entry 'cases.csv' "
                         "cannot be decompressed"),
    "a zip inside a zip": (lambda p: make_zip(p, _nested()),
                           "is a zip archive holding a zip archive ('inner.zip'), not a data "
                           "file"),
    "a gzip inside a zip": (lambda p: make_zip(p, {"c.csv.gz": b"\x1f\x8b\x08" + b"\0" * 20}),
                            "is a zip archive holding a gzip file ('c.csv.gz')"),
    "a huge declared size": (lambda p: p.write_bytes(_declare_size(_good_zip_bytes(),
                                                                   0xFFFF_FFF0)),
                             "declares 4.3 GB from"),
    "an Excel workbook": (lambda p: make_zip(p, {"[Content_Types].xml": b"<x/>",
                                                 "xl/workbook.xml": b"<x/>"}),
                          "is an office document (an Excel .xlsx workbook or similar)"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARCHIVES))
def test_a_bad_archive_is_refused_with_its_own_message_and_stores_nothing(
        tmp_path, case, private_temp, capsys):
    build, message = BAD_ARCHIVES[case]
    bad = tmp_path / "bad.zip"
    build(bad)
    good = tmp_path / "good.csv"
    good.write_text(CSV)
    home = tmp_path / "home"
    code = cli.main(["ingest", str(bad), str(good), "--json", "--home", str(home)])
    refused, loaded = json.loads(capsys.readouterr().out)
    assert code == 1
    assert refused["status"] == "refused"
    assert message in refused["message"], refused["message"]
    assert (loaded["status"], loaded["rows_loaded"]) == ("loaded", 2)  # the other file loads
    assert counts(Home.resolve(home)) == (2, 0, ["refused", "loaded"])  # nothing of the zip
    assert list(private_temp.iterdir()) == []


def test_a_refused_entry_leaves_no_unpacked_copy(tmp_path, private_temp):
    """Refused after unpacking (the entry is not a case table): the copy is removed too."""
    archive = make_zip(tmp_path / "notes.zip", {"notes.csv": b"name,phone\nx,y\n"})
    [refused] = ingest_paths(Home.resolve(tmp_path / "h"), [archive])
    assert refused.status == "refused"
    assert list(private_temp.iterdir()) == []


def test_while_it_is_read_the_entry_has_no_name_anywhere(tmp_path, private_temp):
    archive = make_zip(tmp_path / "cases.zip", {"cases.csv": CSV.encode()})
    with zipped.readable(archive) as entry:
        assert entry.read_bytes() == CSV.encode()
        assert list(private_temp.iterdir()) == []  # held only by an open descriptor
    with pytest.raises(OSError):
        entry.read_bytes()  # closed: the kernel has freed it


def test_a_killed_reader_leaves_nothing_behind(tmp_path):
    """SIGKILL while the entry is being read: no cleanup code runs, and none is needed."""
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    archive = make_zip(tmp_path / "cases.zip", {"cases.csv": CSV.encode() * 1000})
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from pipelines.sources import zipped\n"
        f"zipped.private_temp_dir = lambda: Path({str(folder)!r})\n"
        f"with zipped.readable(Path({str(archive)!r})) as entry:\n"
        "    print(entry.stat().st_size, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL
    assert int(done.stdout) == len(CSV.encode()) * 1000
    assert list(folder.iterdir()) == []


def test_each_bad_archive_has_its_own_message():
    messages = [message for _, message in BAD_ARCHIVES.values()]
    assert len(set(messages)) == len(messages)


def test_a_zip_bomb_ratio_is_refused_before_anything_is_unpacked(tmp_path, private_temp):
    bomb = make_zip(tmp_path / "bomb.zip", {"cases.csv": b"0" * (80 << 20)})
    assert zipfile.ZipFile(bomb).infolist()[0].compress_size < (80 << 20) / zipped.MAX_RATIO
    [refused] = ingest_paths(Home.resolve(tmp_path / "h"), [bomb])
    assert refused.status == "refused"
    assert "refused as a likely zip bomb" in refused.message
    assert list(private_temp.iterdir()) == []
