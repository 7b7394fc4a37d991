"""Report periods: a calendar month (YYYY-MM) or quarter (YYYY-Qn), and the default
(the latest complete month that is not provisional)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    label: str  # "2026-06" or "2026-Q2"
    start: date  # first day
    months: int  # 1 or 3

    @property
    def end(self) -> date:
        """First day after the period."""
        return add_months(self.start, self.months)

    @property
    def is_quarter(self) -> bool:
        return self.months == 3

    @property
    def month_starts(self) -> list[date]:
        return [add_months(self.start, i) for i in range(self.months)]

    def shifted(self, periods: int) -> Period:
        return period_starting(add_months(self.start, periods * self.months), self.months)

    @property
    def previous(self) -> Period:
        return self.shifted(-1)

    @property
    def year_earlier(self) -> Period:
        return period_starting(add_months(self.start, -12), self.months)


def period_starting(start: date, months: int) -> Period:
    if months == 1:
        return Period(f"{start.year:04d}-{start.month:02d}", start, 1)
    return Period(f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}", start, 3)


def parse_period(text: str) -> Period:
    """YYYY-MM or YYYY-Qn; ValueError naming the expected forms otherwise."""
    text = text.strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            return period_starting(date(year, month, 1), 1)
    if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
        return period_starting(date(int(m.group(1)), (int(m.group(2)) - 1) * 3 + 1, 1), 3)
    raise ValueError(f"period must be YYYY-MM or YYYY-Qn (for example 2026-06 or 2026-Q2), got {text!r}")


def default_period(
    newest_applied_on: date | None, today: date, provisional: Mapping[date, bool] | None = None
) -> Period | None:
    """The latest complete calendar month with data, before today's month, that is
    not provisional.

    The month of the newest applied_on counts as complete only when that date is the
    month's last day (the data clearly runs to its end); otherwise the month before.
    provisional: month -> whether more than 5% of its non-withdrawn requests are
    pending, for every month with cases (stats.month_status); the latest complete
    month marked False is chosen. When none is (every complete month still
    provisional), the latest complete month: a report on it says it is provisional.
    None when there are no cases.
    """
    if newest_applied_on is None:
        return None
    month = date(newest_applied_on.year, newest_applied_on.month, 1)
    last_day = calendar.monthrange(month.year, month.month)[1]
    if newest_applied_on.day != last_day:
        month = add_months(month, -1)
    this_month = date(today.year, today.month, 1)
    if month >= this_month:
        month = add_months(this_month, -1)
    settled = [m for m, is_provisional in (provisional or {}).items()
               if m <= month and not is_provisional]
    if provisional is not None and settled:
        month = max(settled)
    return period_starting(month, 1)
