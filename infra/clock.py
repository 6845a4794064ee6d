"""One source of time, so tests can move it and business rules use Shanghai days.

Times are stored in UTC; rules (release times, late-fee days, deadlines) are computed in
Asia/Shanghai.

A process can be started at a chosen business instant (``YIWANG_CLOCK_START``, a test-only
setting): every process of a deployment is given the same start and the same real instant it
refers to, so the API workers, the background worker and the test process agree to the
second, and time then runs forward at its normal pace.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# How far business time is from real time: the start (if any) plus what tests travelled.
_started = timedelta(0)
_offset = timedelta(0)


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC) + _offset


def shanghai_now() -> datetime:
    return now().astimezone(SHANGHAI)


def shanghai_date(instant: datetime | None = None) -> date:
    return (instant or now()).astimezone(SHANGHAI).date()


def start_at(instant: datetime, *, real: datetime) -> None:
    """Business time read ``instant`` when the real clock read ``real``; it runs on from there.

    Calling it again with the same pair changes nothing (each process that builds services
    calls it), so a test's travel is not undone.
    """
    global _started, _offset
    started = instant - real
    if started != _started:
        _started = started
        _offset = started


def offset() -> timedelta:
    """Business time minus real time, for a helper process (the sandbox) to keep in step."""
    return _offset


def travel(delta: timedelta) -> None:
    """Move this process's clock (tests only): every caller of now() sees the shift."""
    global _offset
    _offset += delta


def reset() -> None:
    """Back to the start this process was given (real time when none was)."""
    global _offset
    _offset = _started
