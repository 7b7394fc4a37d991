"""Memory of reading a .zip: flat, whatever the archive's size.

    .venv/bin/python benchmarks/zip_ingest.py [--rows 6500000] [--keep DIR]

Builds a synthetic canonical CSV of --rows rows (about 158 bytes a row, so the
default is about 1 GB; made from 500,000 generated cases repeated under new
case_ids), the same file in a zip stored without compression (an archive as large
as the CSV) and deflated, and a tenth of it deflated. Each in a fresh process, it
measures peak resident memory and seconds of:
- unwrap: only taking the entry out of the archive (pipelines.sources.zipped), the
  part a zip adds; it should not grow with the archive;
- relief ingest of the plain CSV and of each zip into a new home; the zips should
  peak where the plain CSV does (DuckDB's own working memory, capped by
  RELIEF_DUCKDB_MEMORY_LIMIT).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASE_CASES = 500_000

# Peak memory is the child's VmHWM: ru_maxrss would carry over the parent's peak
# through fork and exec (and the parent builds the files).
CHILD = r"""
import json, sys, time
kind, path, target = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
if kind == "unwrap":
    from pathlib import Path
    from pipelines.sources import zipped
    with zipped.readable(Path(path)) as entry:
        size = entry.stat().st_size
else:
    from pipelines.cli import main
    code = main(["ingest", path, "--home", target])
    assert code == 0, code
seconds = time.perf_counter() - start
with open("/proc/self/status") as fh:
    peak_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024}))
"""


def measure(kind: str, path: Path, workdir: Path) -> dict:
    target = workdir / f"home-{time.monotonic_ns()}"
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(path), str(target)],
                         capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed on {path}:\n{out.stderr[-2000:]}")
    shutil.rmtree(target, ignore_errors=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def build_csv(path: Path, rows: int, workdir: Path) -> None:
    import duckdb

    from pipelines.synth import write_cases

    base = workdir / "base.csv"
    write_cases(base, BASE_CASES, seed=7)
    copies = -(-rows // BASE_CASES)
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace (case_id || '-' || r as case_id) "
            f"from read_csv('{base}', all_varchar = true), range({copies}) t(r) "
            f"limit {rows}) to '{path}' (header true)")
    base.unlink()


def build_zip(path: Path, member: Path, compression: int) -> None:
    with zipfile.ZipFile(path, "w", compression=compression, allowZip64=True) as zf:
        zf.write(member, member.name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=6_500_000)
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep generated files here")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="relief-zip-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        big, small = workdir / f"cases-{args.rows}.csv", workdir / f"cases-{args.rows // 10}.csv"
        if not big.exists():
            build_csv(big, args.rows, workdir)
        if not small.exists():
            build_csv(small, args.rows // 10, workdir)
        files = {"stored zip": (workdir / "stored.zip", big, zipfile.ZIP_STORED),
                 "deflated zip": (workdir / "deflated.zip", big, zipfile.ZIP_DEFLATED),
                 "deflated zip, a tenth": (workdir / "small.zip", small, zipfile.ZIP_DEFLATED)}
        for path, member, compression in files.values():
            if not path.exists():
                build_zip(path, member, compression)
        print(f"{'input':<24}{'MB':>9}  {'step':<8}{'s':>8}{'peak MB':>10}")
        runs = [("plain CSV", big, "ingest")] + [
            (name, path, step) for name, (path, _, _) in files.items()
            for step in ("unwrap", "ingest")]
        for name, path, step in runs:
            got = measure(step, path, workdir)
            print(f"{name:<24}{path.stat().st_size / 1e6:>9,.0f}  {step:<8}"
                  f"{got['seconds']:>8.1f}{got['peak_mb']:>10,.0f}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
