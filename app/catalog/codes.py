"""Item codes: type prefix + 6-digit region + 5-digit main + 3-digit sub (CF-330100-00012-001).

The basic code (CF-00012-001) is the item everywhere in the province; the region part makes
each region's implementation unique. Codes are checked here before anything is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.errors import InvalidItemCode

# 权力事项 and public-service prefixes used in the provincial catalog.
PREFIXES: dict[str, str] = {
    "XK": "行政许可",
    "CF": "行政处罚",
    "QZ": "行政强制",
    "ZS": "行政征收",
    "JF": "行政给付",
    "JC": "行政检查",
    "QR": "行政确认",
    "JL": "行政奖励",
    "CJ": "行政裁决",
    "GG": "公共服务",
    "QT": "其他行政权力",
}

_CODE = re.compile(r"^([A-Z]{2})-(\d{6})-(\d{5})-(\d{3})$")


@dataclass(frozen=True)
class ItemCode:
    prefix: str
    region: str
    main: str
    sub: str

    @property
    def basic(self) -> str:
        return f"{self.prefix}-{self.main}-{self.sub}"

    def __str__(self) -> str:
        return f"{self.prefix}-{self.region}-{self.main}-{self.sub}"


def parse_code(raw: str) -> ItemCode:
    """The parsed code, or InvalidItemCode naming what is wrong with it."""
    match = _CODE.match(raw.strip().upper()) if isinstance(raw, str) else None
    if match is None:
        raise InvalidItemCode(code=raw)
    prefix, region, main, sub = match.groups()
    if prefix not in PREFIXES:
        raise InvalidItemCode(
            f"Unknown item type prefix {prefix}; known: {', '.join(PREFIXES)}.", code=raw
        )
    if region[:2] != "33" or main == "00000":
        raise InvalidItemCode(
            "The region must be a Zhejiang code (33xxxx) and the main number nonzero.", code=raw
        )
    return ItemCode(prefix, region, main, sub)
