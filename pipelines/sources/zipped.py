"""A `.zip` archive holding one case file (the way the CFPB publishes its database).

Detected by its content (the zip signature), like gzip, whatever the file is called.
The one data entry is decompressed as a stream, 1 MB at a time, into a file in the
private temp folder outside the home (config.private_temp_dir, mode 0700), read
from there as any case file through /proc/self/fd. The file's name is removed as
soon as it is created: only the open descriptor holds it, so the kernel frees it
when the batch has been read, or when the process dies, however it dies (a kill
included). Nothing is ever unpacked under the home, and the archive is never held
in memory. (Without /proc, the named file is removed when the batch has been read.)

Refused, with a message naming what the archive holds: no entry, folders only,
several data files, a nested archive (zip, gzip, tar, 7z, rar), an encrypted entry,
an absurd declared size (a zip bomb) or one larger than the free space, a truncated
or damaged archive, and a compression method Python cannot read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from pipelines.config import private_temp_dir
from pipelines.sources.files import Refused

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a local entry; an empty archive's end
CHUNK_BYTES = 1 << 20
# An entry expanding more than this many times its compressed size is a zip bomb:
# CSV text deflates 5 to 20 times, the deflate format's own limit is about 1,032.
MAX_RATIO = 200
RATIO_CHECKED_ABOVE = 64 << 20  # small entries may be all one character
MAX_ENTRY_BYTES = 1 << 40  # 1 TiB: no case file is larger
# Entries that are not data: macOS Finder's resource forks.
IGNORED_PREFIXES = ("__MACOSX/",)
NESTED_SIGNATURES = {
    b"PK\x03\x04": "a zip archive", b"PK\x05\x06": "a zip archive",
    b"\x1f\x8b": "a gzip file", b"7z\xbc\xaf": "a 7z archive", b"Rar!": "a rar archive",
    b"BZh": "a bzip2 file", b"\xfd7zXZ": "an xz file",
}
SHOWN_NAMES = 5
PROC_FDS = Path("/proc/self/fd")
# An .xlsx/.docx (Office Open XML) or .ods is a zip too; say what it is.
OFFICE_MARKERS = ("[Content_Types].xml", "mimetype")


def is_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in ZIP_SIGNATURES
    except OSError:
        return False  # the reader says why it cannot be read


@contextlib.contextmanager
def readable(path: Path) -> Iterator[Path]:
    """The file to read for path: path itself, or a zip's one data entry (removed on exit)."""
    if not is_zip(path):
        yield path
        return
    fd, named = _extract_single_entry(path)
    try:
        yield named or Path(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)
        if named:
            named.unlink(missing_ok=True)


def _extract_single_entry(path: Path) -> tuple[int, Path | None]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise Refused("is a truncated or damaged zip archive (its table of contents "
                      "cannot be read)") from None
    except (OSError, EOFError) as exc:
        raise Refused(f"cannot read the zip archive: {type(exc).__name__}") from None
    with archive:
        entry = _the_data_entry(archive)
        _check_size(entry)
        return _copy_entry(archive, entry)


def _the_data_entry(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    entries = [e for e in archive.infolist() if not e.filename.startswith(IGNORED_PREFIXES)]
    files = [e for e in entries if not e.is_dir()]
    if not entries:
        raise Refused("is an empty zip archive: it holds no file")
    if not files:
        raise Refused(f"is a zip archive holding only folders ({_names(entries)}): "
                      "no data file")
    if any(e.filename in OFFICE_MARKERS for e in files):
        raise Refused("is an office document (an Excel .xlsx workbook or similar), not a "
                      "case file: save the sheet as CSV (UTF-8) and ingest that")
    if len(files) > 1:
        raise Refused(f"is a zip archive holding {len(files)} files ({_names(files)}): "
                      "relief reads one data file per archive; put each in its own")
    entry = files[0]
    if entry.flag_bits & 0x1:
        raise Refused(f"is a zip archive whose entry {entry.filename!r} is encrypted "
                      "(password-protected): unpack it yourself and ingest the file")
    return entry


def _check_size(entry: zipfile.ZipInfo) -> None:
    declared, packed = entry.file_size, max(entry.compress_size, 1)
    if declared > MAX_ENTRY_BYTES or (
            declared > RATIO_CHECKED_ABOVE and declared / packed > MAX_RATIO):
        raise Refused(f"is a zip archive whose entry {entry.filename!r} declares "
                      f"{_size(declared)} from {_size(entry.compress_size)} compressed "
                      f"(ratio {declared / packed:,.0f}): refused as a likely zip bomb")
    free = shutil.disk_usage(private_temp_dir()).free
    if declared > free:
        raise Refused(f"is a zip archive whose entry {entry.filename!r} declares "
                      f"{_size(declared)}, more than the {_size(free)} free in "
                      f"{private_temp_dir()}, where it is read")


def _copy_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> tuple[int, Path | None]:
    """Stream the entry into a private file (0600): (its open descriptor, its name or None
    when the name is already gone). Refuses a nested archive or a damaged stream. Never
    more than the declared size is written (zipfile stops there and checks the CRC)."""
    fd, name = tempfile.mkstemp(prefix="zip-entry-", dir=private_temp_dir())
    named: Path | None = Path(name)
    if PROC_FDS.is_dir():
        named.unlink()  # from now on only fd holds it (read as /proc/self/fd/<fd>)
        named = None
    try:
        with os.fdopen(os.dup(fd), "wb") as out, archive.open(entry) as stream:
            head = stream.read(CHUNK_BYTES)
            _refuse_nested(entry, head)
            out.write(head)
            shutil.copyfileobj(stream, out, CHUNK_BYTES)
    except BaseException as exc:
        os.close(fd)
        if named:
            named.unlink(missing_ok=True)
        if isinstance(exc, NotImplementedError):  # e.g. Deflate64, which Windows may write
            raise Refused(f"is a zip archive whose entry {entry.filename!r} uses a compression "
                          f"method relief cannot read ({exc})") from None
        if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
            raise Refused(f"is a truncated or damaged zip archive: its entry "
                          f"{entry.filename!r} cannot be decompressed "
                          f"({type(exc).__name__}: {exc})") from None
        raise
    return fd, named


def _refuse_nested(entry: zipfile.ZipInfo, head: bytes) -> None:
    kind = next((what for sig, what in NESTED_SIGNATURES.items() if head.startswith(sig)), None)
    if kind is None and head[257:262] == b"ustar":
        kind = "a tar archive"
    if kind:
        raise Refused(f"is a zip archive holding {kind} ({entry.filename!r}), not a data "
                      "file: archives inside archives are not read; put the CSV, JSON Lines "
                      "or Parquet file in the zip itself")


def _names(entries: list[zipfile.ZipInfo]) -> str:
    names = [e.filename for e in entries[:SHOWN_NAMES]]
    more = len(entries) - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n} bytes"
