"""Yuan strings on Alipay's wire, integer fen inside the sandbox: exact, never float."""

from __future__ import annotations

import re

_YUAN = re.compile(r"^(0|[1-9]\d{0,10})(?:\.(\d{1,2}))?$")
MAX_TRADE_FEN = 100_000_000_00


def yuan_to_fen(text: str) -> int | None:
    """Parse Alipay's ``total_amount``/``refund_amount``: None when it is not a valid amount."""
    match = _YUAN.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def fen_to_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"
