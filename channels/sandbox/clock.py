"""The sandbox's idea of now: the channels' clock, kept in step with the server's business
clock when the server was started at a set instant (tests), so bills fall on the same days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def keep_in_step(offset: timedelta) -> None:
    global _offset
    _offset = offset


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC) + _offset
