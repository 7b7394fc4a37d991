from __future__ import annotations

from datetime import date

import pytest

from pipelines import schedules


@pytest.mark.parametrize(("kind", "today", "expected"), [
    ("month", date(2026, 3, 1), "2026-02"),
    ("month", date(2026, 1, 1), "2025-12"),
    ("quarter", date(2026, 4, 1), "2026-Q1"),
    ("quarter", date(2026, 1, 1), "2025-Q4"),
    ("quarter", date(2026, 8, 15), "2026-Q2"),
])
def test_previous_period_is_the_last_complete_month_or_quarter(kind, today, expected):
    assert schedules.previous_period(kind, today) == expected


def test_cron_and_time_zone_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RELIEF_CRON_TRAIN", "15 5 * * 0")
    monkeypatch.setenv("RELIEF_TIMEZONE", "Europe/Berlin")
    assert (schedules.cron("relief-train"), schedules.timezone()) == ("15 5 * * 0", "Europe/Berlin")
    monkeypatch.delenv("RELIEF_TIMEZONE")
    assert (schedules.cron("relief-ingest"), schedules.timezone()) == ("0 2 * * *", "Asia/Shanghai")
