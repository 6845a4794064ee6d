"""Alipay speaks yuan strings ("12.30"); the rest of Yiwang speaks integer fen.

The conversion is exact string/integer arithmetic, never float, and it happens only here.
"""

from __future__ import annotations

import re

_YUAN = re.compile(r"^(-?)(\d{1,12})(?:\.(\d{1,2}))?$")


def fen_to_yuan(fen: int) -> str:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("amounts are integer fen")
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(text: str) -> int:
    """Parse an Alipay amount; raises ValueError for anything but a plain decimal with ≤2 places."""
    match = _YUAN.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not an Alipay amount: {text!r}")
    sign, whole, cents = match.group(1), match.group(2), (match.group(3) or "").ljust(2, "0")
    fen = int(whole) * 100 + int(cents)
    return -fen if sign else fen
