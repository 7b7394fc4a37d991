"""Every command's output into a pipe its reader already closed (`relief ... | head`):
it ends quietly, exit status 1, no traceback. Real processes; no Prefect."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipelines import synth


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    from pipelines import ingest
    from pipelines.config import Home

    home = Home.resolve(tmp_path_factory.mktemp("piped") / "home")
    cases = home.root / "cases.csv"
    home.root.mkdir(parents=True)
    synth.write_cases(cases, cases=300, seed=8)
    ingest.ingest_paths(home, [cases])
    return home


def into_closed_pipe(*argv: str) -> subprocess.CompletedProcess:
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # before the process writes anything: every write fails
    stderr = proc.stderr.read().decode()
    return subprocess.CompletedProcess(argv, proc.wait(timeout=300), "", stderr)


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["stats", "--json"],
    ["stats"],
    ["sql", "select * from cases", "--json"],
    ["sql", "select * from cases", "--format", "csv"],
    ["sql", "select * from cases"],
    ["ingest", "{home}/cases.csv", "--json"],
    ["ingest", "{home}/cases.csv"],
    ["synth", "--cases", "5", "--out", "{home}/more.csv"],
])
def test_a_closed_pipe_ends_quietly(ingested, argv):
    argv = [a.replace("{home}", str(ingested.root)) for a in argv]
    done = into_closed_pipe(*argv, *(["--home", str(ingested.root)] if argv != ["--help"] else []))
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    # --help has done its work before the pipe matters; the others report a failed write.
    assert done.returncode == (0 if argv == ["--help"] else 1), done.stderr


def test_ingest_and_synth_json_have_their_documented_keys(ingested, capsys, tmp_path):
    import json

    from pipelines import cli

    book = tmp_path / "book.xls"
    book.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(100))
    assert cli.main(["ingest", str(ingested.root / "cases.csv"), str(book), "--json",
                     "--home", str(ingested.root)]) == 1
    unchanged, refused = json.loads(capsys.readouterr().out)
    keys = {"file", "status", "rows_read", "rows_loaded", "rows_quarantined", "rows_skipped",
            "source", "message"}
    assert set(unchanged) == set(refused) == keys
    assert (unchanged["status"], refused["status"]) == ("unchanged", "refused")
    assert refused["message"].endswith("export the sheet as CSV")
    assert cli.main(["synth", "--cases", "5", "--out", str(tmp_path / "s.csv"), "--truth",
                     str(tmp_path / "t.csv"), "--json", "--home", str(ingested.root)]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"cases", "truth"}
