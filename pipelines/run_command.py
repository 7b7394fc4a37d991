"""`relief run` around the main flow: take the writer lock, run the flow, and shape
its outcome as lines to print and as the `--json` object (docs/cli.md).

Never raises for a failed run: the outcome says it failed and why.
"""

from __future__ import annotations

import time

from pipelines import warehouse
from pipelines.config import Home

# Printed names of the outputs, in printing order.
OUTPUT_LABELS = {"synthetic_cases": "synthetic cases", "analysts_database": "analysts' database",
                 "model": "model", "report": "report", "archive": "archived inbox files"}
FILE_KEYS = ("file", "status", "rows_read", "rows_loaded", "rows_quarantined", "rows_skipped",
             "source", "message", "archived_to")
MODEL_KEYS = ("version", "promoted", "reason", "chosen", "current_before")


def run(home: Home, cases: int, seed: int, task_runner: str = "serial",
        dask_address: str | None = None) -> dict:
    """The main job's outcome as `relief run --json` prints it."""
    started = time.perf_counter()
    try:
        # Taken here, before Prefect starts, so a busy home is said at once; the flow
        # run inside re-enters it.
        with warehouse.writer_lock(home, "relief run"):
            from pipelines import flows, prefect_settings

            with prefect_settings.applied(), prefect_settings.console_without_tracebacks():
                state = flows.main_job(str(home.root), cases, seed, task_runner, dask_address)
    except warehouse.WriterBusy as exc:
        return failed(str(exc), busy=True)
    except Exception as exc:
        from pipelines.privacy import error_line

        return failed(error_line(exc, with_type=True))
    total = round(time.perf_counter() - started, 3)
    files = [{key: r.get(key) for key in FILE_KEYS} for r in state["results"]]
    outputs = {key: state["outputs"].get(key) for key in OUTPUT_LABELS}
    if files:
        outputs["archive"] = str(home.archive)
    return {
        "ok": not any(f["status"] == "refused" for f in files),
        "status": state["status"], "run_id": state["run_id"], "recovered": state["recovered"],
        "error": None, "files": files,
        "model": {key: state["model"].get(key) for key in MODEL_KEYS} if state["model"] else None,
        "skipped": state["skipped"],
        "seconds": {**{k: round(v, 3) for k, v in state["seconds"].items()},
                    "total_with_prefect_start": total},
        "outputs": outputs,
    }


def failed(message: str, busy: bool = False) -> dict:
    return {"ok": False, "status": "busy" if busy else "failed", "run_id": None,
            "recovered": False, "error": message, "files": [], "model": None, "skipped": {},
            "seconds": {}, "outputs": dict.fromkeys(OUTPUT_LABELS)}


def error_lines(outcome: dict) -> list[str]:
    """What goes to stderr: why the run failed, and what that leaves."""
    if outcome["status"] == "busy":
        return [f"relief run: {outcome['error']}"]
    if outcome["status"] == "failed":
        return [f"relief run failed: {outcome['error']}",
                "the last published analysts' database, model and reports are unchanged; "
                "the next run finishes the work"]
    return []


def lines(outcome: dict) -> list[str]:
    """What goes to stdout: what the run did and where each output is."""
    if outcome["error"] is not None:
        return []
    out = []
    if outcome["recovered"]:
        out.append("the previous run was interrupted: its work is finished now")
    if outcome["status"] == "nothing_new":
        out.append("nothing new in data/inbox/: no work done beyond checking")
    for f in outcome["files"]:
        if f["status"] == "loaded":
            out.append(f"ingested {f['file']}: {f['rows_loaded']} loaded, "
                       f"{f['rows_quarantined']} quarantined, {f['rows_skipped']} skipped")
        elif f["status"] == "refused":
            out.append(f"refused {f['file']}: {f['message']}")
        else:
            out.append(f"unchanged {f['file']}: already ingested")
    if outcome["model"]:
        m = outcome["model"]
        out.append(f"model {m['version']}: {'promoted' if m['promoted'] else 'not promoted'}: "
                   f"{m['reason']}")
    for stage, why in outcome["skipped"].items():
        out.append(f"{stage}: skipped: {why}")
    for stage, seconds in outcome["seconds"].items():
        label = "total (with Prefect start-up)" if stage == "total_with_prefect_start" else stage
        out.append(f"{label}: {seconds:.1f} s")
    for key, label in OUTPUT_LABELS.items():
        if outcome["outputs"].get(key):
            out.append(f"{label}: {outcome['outputs'][key]}")
    if outcome["outputs"].get("analysts_database"):
        out.append("statistics: relief stats (marts in the analysts' database)")
    return out
