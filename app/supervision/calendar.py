"""The work calendar: weekends from config, holidays and make-up working days from data.

A year with no arrangement loaded (``app/supervision/arrangements.py``) would count weekends
only and quietly move every deadline across its holidays, so a day looked up in such a
year is warned about in the log (once per process and year) and counted in ``/metrics``
(``yiwang_work_calendar_unarranged_days_total``).

Deadlines are counted in Shanghai working days. A step started on day D with a limit of n
working days is on time through the n-th working day after D (D itself never counts, so a
request filed on Friday evening gets the same limit as one filed on Friday morning).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.supervision.models import Holiday
from infra import metrics

log = logging.getLogger("yiwang.supervision")
_warned_years: set[int] = set()


@dataclass(frozen=True)
class WorkCalendar:
    weekend_days: tuple[int, ...] = (5, 6)
    days_off: frozenset[date] = field(default_factory=frozenset)
    make_up_days: frozenset[date] = field(default_factory=frozenset)
    # The years whose arrangement is loaded; None: not known (a calendar built by hand).
    arranged_years: frozenset[int] | None = None

    def is_working_day(self, day: date) -> bool:
        if self.arranged_years is not None and day.year not in self.arranged_years:
            metrics.WORK_CALENDAR_UNARRANGED.labels(year=str(day.year)).inc()
            _warn_unarranged(day.year)
        if day in self.make_up_days:
            return True
        if day in self.days_off:
            return False
        return day.weekday() not in self.weekend_days

    def add_working_days(self, start: date, n: int) -> date:
        day = start
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for k in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=k))
        )


def _warn_unarranged(year: int) -> None:
    if year in _warned_years:
        return
    _warned_years.add(year)
    log.warning(
        "work calendar: no holiday arrangement is loaded for %s, so its deadlines count "
        "weekends only; load the published one with `yiwang calendar load --year %s`",
        year,
        year,
    )


async def load_calendar(weekend_days: tuple[int, ...]) -> WorkCalendar:
    rows = await Holiday.all().values_list("day", "workday")
    return WorkCalendar(
        weekend_days,
        frozenset(d for d, workday in rows if not workday),
        frozenset(d for d, workday in rows if workday),
        frozenset(d.year for d, _ in rows),
    )


async def set_holiday(day: date, name: str, *, workday: bool = False) -> None:
    await Holiday.update_or_create(day=day, defaults={"name": name, "workday": workday})
