"""Alipay speaks Beijing time (``yyyy-MM-dd HH:mm:ss`` without an offset) on the wire."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from channels.sandbox import clock as sandbox_clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
WIRE_FORMAT = "%Y-%m-%d %H:%M:%S"


def now() -> datetime:
    return sandbox_clock.now().astimezone(SHANGHAI)


def wire(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime(WIRE_FORMAT)


def parse_wire(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, WIRE_FORMAT).replace(tzinfo=SHANGHAI)
    except (TypeError, ValueError):
        return None
