"""What `relief run` prints and its --json shape, on outcomes built by hand (no Prefect);
the real run's keys are checked in tests/test_flows.py against the same documented shape."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipelines import run_command

CLI_DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def documented_shape(command: str) -> str:
    """The first code block after `--json` in docs/cli.md's section for the command."""
    section = CLI_DOC.read_text("utf-8").split(f"## `relief {command}`", 1)[1].split("\n## ", 1)[0]
    return section.split("`--json`", 1)[1].split("```", 2)[1]


def documented_keys(block: str, opening: str) -> set[str]:
    """Keys at the top level of the object that starts at `opening` in the block."""
    start = block.index(opening) + len(opening)
    depth, keys, i = 1, set(), start
    while depth:
        ch = block[i]
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
        elif ch == '"' and depth == 1:
            match = re.match(r'"(\w+)":', block[i:])
            if match:
                keys.add(match.group(1))
            i = block.index('"', i + 1)
        i += 1
    return keys


def test_the_documented_shape_is_what_run_returns():
    block = documented_shape("run")
    failed = run_command.failed("OSError: disk full")
    assert documented_keys(block, "{") == set(failed)
    assert documented_keys(block, '"outputs": {') == set(failed["outputs"])
    assert documented_keys(block, '"files": [{') == set(run_command.FILE_KEYS)
    assert documented_keys(block, '"model": {') == set(run_command.MODEL_KEYS)
    json.dumps(failed)  # plain JSON values only


OUTCOME = {
    "ok": True, "status": "succeeded", "run_id": 4, "recovered": True, "error": None,
    "files": [{"file": "/h/data/inbox/a.csv", "status": "loaded", "rows_read": 3,
               "rows_loaded": 2, "rows_quarantined": 1, "rows_skipped": 0, "source": "canonical",
               "message": "", "archived_to": "/h/data/archive/2026-06-01/a.csv"}],
    "model": {"version": "v2", "promoted": False, "reason": "worse beyond noise: …",
              "chosen": "logistic_regression", "current_before": "v1"},
    "skipped": {"report": "no new cases since the last report"},
    "seconds": {"ingest": 1.25, "total_with_prefect_start": 30.0},
    "outputs": {"synthetic_cases": "/h/data/archive/2026-06-01/synthetic.csv",
                "analysts_database": "/h/data/relief.duckdb", "model": "/h/models/v1",
                "report": None, "archive": "/h/data/archive"},
}


def test_the_printed_lines_say_each_thing_once():
    lines = run_command.lines(OUTCOME)
    assert lines == [
        "the previous run was interrupted: its work is finished now",
        "ingested /h/data/inbox/a.csv: 2 loaded, 1 quarantined, 0 skipped",
        "model v2: not promoted: worse beyond noise: …",
        "report: skipped: no new cases since the last report",
        "ingest: 1.2 s",
        "total (with Prefect start-up): 30.0 s",
        "synthetic cases: /h/data/archive/2026-06-01/synthetic.csv",
        "analysts' database: /h/data/relief.duckdb",
        "model: /h/models/v1",
        "archived inbox files: /h/data/archive",
        "statistics: relief stats (marts in the analysts' database)",
    ]
    assert run_command.error_lines(OUTCOME) == []


def test_a_failure_and_a_busy_home_go_to_stderr_only():
    failed = run_command.failed("OSError: disk full")
    assert run_command.lines(failed) == []
    assert run_command.error_lines(failed) == [
        "relief run failed: OSError: disk full",
        "the last published analysts' database, model and reports are unchanged; "
        "the next run finishes the work"]
    busy = run_command.failed("another relief command holds the writer lock (…)", busy=True)
    assert busy["status"] == "busy"
    assert run_command.error_lines(busy) == [
        "relief run: another relief command holds the writer lock (…)"]
