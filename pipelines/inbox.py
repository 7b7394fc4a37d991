"""The inbox beside ingestion: which files wait, archiving them once taken, and whether
each output (analysts' copy, model, report) is newer than the data it is made from.

Plain functions of the home's files; the flows (pipelines/flows.py) call them.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from pipelines.config import Home


def waiting(home: Home) -> list[Path]:
    """Every file in the inbox, in ingestion order (sorted; hidden files, such as one
    being written, left out). Not only case-file names: a spreadsheet or a PDF dropped
    there is refused with what to do and archived, not left waiting unseen."""
    if not home.inbox.exists():
        return []
    return [p for p in sorted(home.inbox.rglob("*"))
            if p.is_file() and not any(part.startswith(".")
                                       for part in p.relative_to(home.inbox).parts)]


def archive(home: Home, path: Path, status: str) -> str | None:
    """Move an inbox file out once its batch is committed (or it was refused).

    The move is a rename after the commit: killed in between, the next run finds
    the file again, sees its content hash already loaded, and only moves it.
    Files named outside the inbox are left where they are.
    """
    if not path.is_file() or home.inbox not in path.resolve().parents:
        return None
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    folder = home.archive / ("refused" if status == "refused" else "") / day
    folder.mkdir(parents=True, exist_ok=True)
    relative = path.resolve().relative_to(home.inbox)
    target = folder / "__".join(relative.parts)
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{relative.stem}.{n}{''.join(relative.suffixes)}"
    os.replace(path, target)
    return str(target)


def freshness(home: Home, last_change_epoch: float | None,
              last_load_epoch: float | None) -> dict[str, bool]:
    """Is each output newer than the data it is made from? The analysts' copy against
    the last batch of any kind; the newest model version and report against the last
    batch that loaded rows. A killed stage leaves its output older, so it is redone."""
    return {"analysts_current": _newer_than(_mtime(home.analysts_db), last_change_epoch),
            "model_current": _newer_than(_newest_entry(home.models), last_load_epoch),
            "report_current": _newer_than(_newest_entry(home.reports), last_load_epoch)}


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _newest_entry(folder: Path) -> float | None:
    """Modification time of the newest finished output folder (hidden = being written)."""
    if not folder.is_dir():
        return None
    times = [p.stat().st_mtime for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return max(times, default=None)


def _newer_than(output_time: float | None, data_time: float | None) -> bool:
    if output_time is None:
        return False
    return data_time is None or output_time >= data_time
