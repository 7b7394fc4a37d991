"""When the scheduled flows run: the one place the schedules are declared.

Cron expressions and the time zone are read from the environment when the
deployments are built (pipelines/deployments.py), so they change without code.
"""

from __future__ import annotations

import os
from datetime import date

DEFAULT_TIMEZONE = "Asia/Shanghai"
# deployment name -> (environment variable overriding the cron, default cron)
SCHEDULES = {
    "relief-ingest": ("RELIEF_CRON_INGEST", "0 2 * * *"),  # daily 02:00
    "relief-train": ("RELIEF_CRON_TRAIN", "0 4 * * 1"),  # Mondays 04:00
    "relief-report-monthly": ("RELIEF_CRON_REPORT_MONTHLY", "0 6 1 * *"),  # the 1st, 06:00
    "relief-report-quarterly": ("RELIEF_CRON_REPORT_QUARTERLY", "30 6 1 1,4,7,10 *"),
}


def timezone() -> str:
    return os.environ.get("RELIEF_TIMEZONE", DEFAULT_TIMEZONE)


def cron(deployment: str) -> str:
    variable, default = SCHEDULES[deployment]
    return os.environ.get(variable, default)


def previous_period(kind: str, today: date) -> str:
    """The last complete month (YYYY-MM) or quarter (YYYY-Qn) before today."""
    if kind == "month":
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return f"{year:04d}-{month:02d}"
    if kind == "quarter":
        quarter = (today.month - 1) // 3  # the current quarter's index, 0-3
        year, previous = (today.year, quarter) if quarter else (today.year - 1, 4)
        return f"{year:04d}-Q{previous}"
    raise ValueError(f"kind must be month or quarter, got {kind!r}")
