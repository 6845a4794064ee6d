"""One source of time, so tests can move it and business rules use Shanghai days.

Times are stored in UTC; rules (release times, late-fee days, deadlines) are computed in
Asia/Shanghai.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_offset = timedelta(0)


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC) + _offset


def shanghai_now() -> datetime:
    return now().astimezone(SHANGHAI)


def shanghai_date(instant: datetime | None = None) -> date:
    return (instant or now()).astimezone(SHANGHAI).date()


def travel(delta: timedelta) -> None:
    """Move this process's clock (tests only): every caller of now() sees the shift."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)
