"""统一社会信用代码 (unified social credit code, USCC) per GB 32100-2015.

18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z):
registration authority (1), organisation category (1), administrative division (6 digits),
organisation code (9), and a check character over the first 17 (weights 3^i mod 31).
A mistyped code is caught here before any lookup.
"""

from __future__ import annotations

import re

from app.errors import UsccInvalid

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_SHAPE = re.compile(rf"^[{ALPHABET}]{{2}}\d{{6}}[{ALPHABET}]{{10}}$")


def check_character(first17: str) -> str:
    """The 18th character for ``first17`` (which must use the USCC alphabet)."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise_uscc(raw: object) -> str:
    """The canonical (upper-case) code, or UsccInvalid saying what is wrong."""
    value = raw.strip().upper() if isinstance(raw, str) else ""
    if len(value) != 18:
        raise UsccInvalid("A unified social credit code has 18 characters.", uscc=raw)
    if not _SHAPE.match(value):
        raise UsccInvalid(
            "Only digits and capitals other than I, O, S, V and Z, with a 6-digit region "
            "code in characters 3 to 8.",
            uscc=raw,
        )
    if check_character(value[:17]) != value[17]:
        raise UsccInvalid(
            "The check character does not match (GB 32100); the code is mistyped.", uscc=raw
        )
    return value


def with_check_character(first17: str) -> str:
    """Complete 17 characters into a valid code (demo data and tests)."""
    return first17 + check_character(first17)
