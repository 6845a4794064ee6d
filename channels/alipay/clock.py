"""Alipay's wire times are Beijing time without an offset; Yiwang keeps aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
WIRE_FORMAT = "%Y-%m-%d %H:%M:%S"


def to_wire(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware one")
    return moment.astimezone(SHANGHAI).strftime(WIRE_FORMAT)


def from_wire(text: str | None) -> datetime | None:
    """A wire time as an aware UTC datetime; None when absent or malformed."""
    if not text:
        return None
    try:
        return datetime.strptime(text, WIRE_FORMAT).replace(tzinfo=SHANGHAI).astimezone(UTC)
    except ValueError:
        return None
