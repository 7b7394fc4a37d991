"""Crash safety and the one-writer rule, with real processes killed by SIGKILL.

The processes talk to the session's test Prefect server (PREFECT_API_URL), so none
starts a server of its own. They stop at a named point through the fault-injection
hook (pipelines/faults.py: RELIEF_TEST_PAUSE_AT) and are killed there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines import flows, run_command, synth
from pipelines.config import Home

PAUSE_TIMEOUT_SECONDS = 240


@pytest.fixture
def api_env(prefect_harness) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIEF_TEST_")}
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    return env


def start(command: list[str], env: dict[str, str], **extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *command], env={**env, **extra},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_at(point: str, command: list[str], env: dict[str, str], tmp: Path) -> int:
    """Start the command, wait until it reaches `point`, SIGKILL it; return its pid."""
    signal_file = tmp / f"reached-{point}"
    signal_file.unlink(missing_ok=True)
    proc = start(command, env, RELIEF_TEST_PAUSE_AT=point,
                 RELIEF_TEST_PAUSE_SIGNAL=str(signal_file))
    hold(proc, signal_file)
    proc.kill()
    proc.wait()
    return proc.pid


def hold(proc: subprocess.Popen, signal_file: Path) -> None:
    deadline = time.monotonic() + PAUSE_TIMEOUT_SECONDS
    while not signal_file.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the process ended before its pause point:\n{out}\n{err[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the process never reached its pause point")
        time.sleep(0.1)


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def ingest_command(home: Home) -> list[str]:
    return ["pipelines.deployments", "ingest", "--home", str(home.root)]


def test_killed_reading_loading_or_publishing_keeps_the_last_good_state_and_the_next_run_finishes(
        api_env, home, tmp_path):
    synth.write_cases(home.inbox / "first.csv", cases=300, seed=1)
    assert flows.ingest_job(str(home.root))["status"] == "succeeded"
    synth.write_cases(home.inbox / "second.csv", cases=200, seed=2)

    for point in ("read", "load"):
        kill_at(point, ingest_command(home), api_env, tmp_path)
        assert query(home.warehouse, "select count(*) from cases") == [(300,)], point
        assert query(home.warehouse, "select count(*) from ingest_log") == [(1,)], point
        assert query(home.analysts_db, "select count(*) from cases") == [(300,)], point
        assert (home.inbox / "second.csv").exists(), point

    kill_at("publish", ingest_command(home), api_env, tmp_path)
    # The batch was committed (and its file archived); the analysts' copy is the last good one.
    assert query(home.warehouse, "select count(*) from cases") == [(500,)]
    assert not (home.inbox / "second.csv").exists()
    assert query(home.analysts_db, "select count(*) from cases") == [(300,)]

    recovered = flows.ingest_job(str(home.root))
    assert recovered["status"] == "succeeded" and recovered["recovered"]
    assert query(home.analysts_db, "select count(*), count(distinct case_id) from cases"
                 ) == [(500, 500)]
    assert query(home.analysts_db, "select count(*), count(distinct case_id) from case_history"
                 ) == [(500, 500)]
    assert query(home.analysts_db, "select status, count(*) from ingest_log group by all"
                 ) == [("loaded", 2)]
    assert query(home.analysts_db, "select status, recovered_run_id from runs order by run_id") == [
        ("succeeded", None), ("interrupted", None), ("interrupted", 2),
        ("interrupted", 3), ("succeeded", 4)]  # each run notes the killed run before it
    assert not list(home.data.glob("*.publishing*"))


def test_a_second_writer_says_whom_it_waits_for_then_exits_1_in_one_line(api_env, home, tmp_path):
    synth.write_cases(home.inbox / "first.csv", cases=200, seed=3)
    flows.ingest_job(str(home.root))
    synth.write_cases(home.inbox / "second.csv", cases=100, seed=4)
    other = tmp_path / "other.csv"
    synth.write_cases(other, cases=50, seed=5)
    signal_file = tmp_path / "reached-read"
    holder = start(ingest_command(home), api_env, RELIEF_TEST_PAUSE_AT="read",
                   RELIEF_TEST_PAUSE_SIGNAL=str(signal_file))
    second = {}
    try:
        hold(holder, signal_file)
        # An analyst's read-only connection is not a writer: it reads while the lock is held.
        assert query(home.analysts_db, "select count(*) from cases") == [(200,)]
        for command in (["run"], ["ingest", str(other)]):
            started = time.monotonic()
            second[command[0]] = subprocess.run(
                [sys.executable, "-m", "pipelines.cli", *command, "--home", str(home.root)],
                env={**api_env, "RELIEF_WRITER_WAIT": "2"}, capture_output=True, text=True,
                timeout=PAUSE_TIMEOUT_SECONDS)
            assert time.monotonic() - started >= 2
    finally:
        holder.kill()
        holder.wait()
    holder_named = f"pid {holder.pid}, `relief-ingest`, since "
    for name, proc in second.items():
        assert proc.returncode == 1, name
        waiting, failed = proc.stderr.splitlines()  # two lines: waiting, then why it stopped
        assert waiting.startswith("relief: waiting up to 2 s (RELIEF_WRITER_WAIT) for the writer "
                                  "lock, held by " + holder_named), name
        assert failed.startswith(f"relief {name}: another relief command holds the writer lock "
                                 f"({holder_named}"), name
        assert failed.endswith("waited 2 s (RELIEF_WRITER_WAIT): try again when it is done"), name
        assert proc.stdout == "", name
    assert query(home.analysts_db, "select count(*) from cases") == [(200,)]
    assert query(home.warehouse, "select flow, status from runs order by run_id") == [
        ("relief-ingest", "succeeded"), ("relief-ingest", "running")]  # the refused runs wrote nothing


def test_a_failed_relief_run_says_why_in_two_lines_without_a_traceback(api_env, home):
    synth.write_cases(home.inbox / "first.csv", cases=200, seed=6)
    failed = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--home", str(home.root)],
        env={**api_env, "RELIEF_TEST_FAIL_AT": "publish:99", "RELIEF_RETRY_BASE_SECONDS": "0.01"},
        capture_output=True, text=True, timeout=PAUSE_TIMEOUT_SECONDS)
    assert failed.returncode == 1 and failed.stdout == ""
    assert "Traceback" not in failed.stderr, failed.stderr[-3000:]
    assert failed.stderr.splitlines()[-2:] == [
        "relief run failed: OSError: injected transient I/O error at publish (RELIEF_TEST_FAIL_AT)",
        "the last published analysts' database, model and reports are unchanged; "
        "the next run finishes the work"]


@pytest.mark.slow
def test_relief_run_killed_in_the_model_and_report_stages_then_finishes(api_env, home, tmp_path):
    from pipelines.approval import registry

    run = ["pipelines.cli", "run", "--home", str(home.root), "--cases", "2000", "--seed", "11"]
    kill_at("model", run, api_env, tmp_path)
    assert registry.current_version(home) is None
    assert query(home.analysts_db, "select count(*) from cases") == [(2000,)]

    kill_at("report", run, api_env, tmp_path)
    version = registry.current_version(home)
    assert version is not None and (home.models / version / "model.skops").is_file()
    assert not home.reports.exists() or not [
        p for p in home.reports.iterdir() if not p.name.startswith(".")]

    finished = run_command.run(home, cases=2000, seed=11)
    assert finished["ok"], finished
    assert finished["recovered"] and "model" in finished["skipped"]  # trained before the kill
    assert Path(finished["outputs"]["report"]).is_dir()
    assert registry.current_version(home) == version

    again = run_command.run(home, cases=2000, seed=11)
    assert again["status"] == "nothing_new"
    assert "nothing new in data/inbox/: no work done beyond checking" in run_command.lines(again)
    assert query(home.warehouse, "select status from runs order by run_id") == [
        ("interrupted",), ("interrupted",), ("succeeded",), ("nothing_new",)]
    assert query(home.warehouse, "select count(*), count(distinct case_id) from case_history"
                 ) == [(2000, 2000)]
