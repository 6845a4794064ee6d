"""The draw order of a lottery: anyone holding the revealed seed can recompute it.

Each entry's ticket is HMAC-SHA256(key = the seed's 32 bytes, message = the entry number in
ASCII decimal); entries are ranked by ticket (hex, ascending), ties by entry number. The
seed's SHA-256 is published before anyone enters, so the seed cannot be chosen afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def fresh_seed() -> tuple[str, str]:
    """A new secret seed (hex) and the SHA-256 (hex) published in its place."""
    seed = secrets.token_bytes(32)
    return seed.hex(), hashlib.sha256(seed).hexdigest()


def ticket(seed_hex: str, entry_no: int) -> str:
    return hmac.new(bytes.fromhex(seed_hex), str(entry_no).encode("ascii"), "sha256").hexdigest()


def ranked(seed_hex: str, entry_nos: list[int]) -> list[int]:
    """The entry numbers in draw order (first place first)."""
    return sorted(entry_nos, key=lambda n: (ticket(seed_hex, n), n))
