"""Release, cut-off and cancellation instants, and the periods the limits count over.

Every rule is a Shanghai wall-clock time relative to the slot's (Shanghai) date; the
institution may override the platform default from settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.config import AppointmentRules
from infra.clock import SHANGHAI


def wall_clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def at(day: date, text: str) -> datetime:
    """The instant of Shanghai wall-clock ``text`` on ``day`` (timezone-aware)."""
    return datetime.combine(day, wall_clock(text), tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Window:
    """When a slot of ``day`` may be booked and cancelled."""

    opens_at: datetime
    closes_at: datetime
    cancel_until: datetime

    def state(self, now: datetime) -> str:
        if now < self.opens_at:
            return "not_yet_released"
        if now >= self.closes_at:
            return "closed"
        return "open"


@dataclass(frozen=True)
class InstitutionRules:
    release_time: str
    horizon_days: int
    cutoff_time: str
    cancel_time: str

    @classmethod
    def of(
        cls,
        defaults: AppointmentRules,
        *,
        release_time: str | None = None,
        horizon_days: int | None = None,
        cutoff_time: str | None = None,
        cancel_time: str | None = None,
    ) -> InstitutionRules:
        return cls(
            release_time or defaults.release_time,
            horizon_days if horizon_days is not None else defaults.horizon_days,
            cutoff_time or defaults.cutoff_time,
            cancel_time or defaults.cancel_time,
        )

    def window(self, day: date) -> Window:
        day_before = day - timedelta(days=1)
        return Window(
            opens_at=at(day - timedelta(days=self.horizon_days), self.release_time),
            closes_at=at(day_before, self.cutoff_time),
            cancel_until=at(day_before, self.cancel_time),
        )


def week_of(day: date) -> tuple[date, date]:
    """Monday to Sunday around ``day``: the period of the weekly limit."""
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)


def month_of(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


def valid_wall_clock(text: str) -> bool:
    try:
        hours, minutes = text.split(":")
        return (
            len(hours) == 2
            and len(minutes) == 2
            and 0 <= int(hours) < 24
            and 0 <= int(minutes) < 60
        )
    except ValueError:
        return False
