#!/usr/bin/env python3
"""Recompute a lottery (摇号) from what the platform publishes, with nothing but the stdlib.

    scripts/lottery-verify.py https://host/api/v1/slots/123/lottery
    scripts/lottery-verify.py published.json

Checks that the revealed seed hashes to the SHA-256 published when entry opened, ranks the
entry numbers 1..entries by HMAC-SHA256(seed, entry number), and compares with the
published draw order: the first ``capacity`` entries not refused must be the winners and
every later one waitlisted, in that order. Prints a JSON summary; exit 1 on any mismatch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import urllib.request
from typing import Any


def draw_order(seed_hex: str, entries: int) -> list[int]:
    seed = bytes.fromhex(seed_hex)

    def ticket(n: int) -> str:
        return hmac.new(seed, str(n).encode("ascii"), hashlib.sha256).hexdigest()

    return sorted(range(1, entries + 1), key=lambda n: (ticket(n), n))


def verify(published: dict[str, Any]) -> tuple[list[int], list[str]]:
    """The recomputed winners (entry numbers) and every disagreement found."""
    problems: list[str] = []
    seed = published.get("seed")
    if not seed or published.get("result") is None:
        return [], ["the lottery has not been drawn yet"]
    if hashlib.sha256(bytes.fromhex(seed)).hexdigest() != published["seed_sha256"]:
        problems.append("the revealed seed does not match the SHA-256 published at entry open")
    order = draw_order(seed, published["entries"])
    result = published["result"]
    if [r["entry_no"] for r in result] != order:
        problems.append("the published draw order differs from the recomputed one")
    winners: list[int] = []
    for row in result:
        if row["outcome"] == "refused":
            continue
        expected = "won" if len(winners) < published["capacity"] else "waitlisted"
        if expected == "won":
            winners.append(row["entry_no"])
        if row["outcome"] != expected:
            problems.append(f"entry {row['entry_no']} is {row['outcome']}, expected {expected}")
    return winners, problems


def main(source: str) -> int:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as answer:
            published = json.load(answer)
    else:
        with open(source, encoding="utf-8") as file:
            published = json.load(file)
    winners, problems = verify(published)
    print(json.dumps({"winners": len(winners), "problems": problems}, ensure_ascii=False))
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
