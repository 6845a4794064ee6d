"""A tamper-evident chain over an append-only log: each record's MAC covers its content and
the previous record's MAC (HMAC-SM3, GB/T 39786 integrity of logs).

Why a chain and not just a MAC per record: a per-record MAC shows a changed record, but not
a removed or reordered one. Each record carries a gapless sequence number and the MAC of
the one before it, so removing, inserting or swapping records breaks a link. What a chain
cannot show by itself is its tail cut off: for that, the head (last sequence number and
MAC) is written to the log stream from time to time (a checkpoint), and a verification
against a checkpoint fails if the table no longer reaches it.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from infra.national import hmac_sm3

GENESIS = "0" * 64


def canonical(content: Mapping[str, Any]) -> bytes:
    """The bytes a MAC covers: key order and datetime offsets never change them."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        raise TypeError(f"not canonical JSON: {type(value).__name__}")

    return json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=plain
    ).encode()


def link(key: bytes, seq: int, prev_mac: str, content: Mapping[str, Any]) -> str:
    return hmac_sm3(key, f"{seq}\n{prev_mac}\n".encode() + canonical(content)).hex()


@dataclass(frozen=True)
class Row:
    id: int
    seq: int
    prev_mac: str
    mac: str
    content: Mapping[str, Any]


@dataclass(frozen=True)
class Break:
    """The first place the chain does not hold, named for a person to look at."""

    seq: int
    record_id: int | None
    problem: str

    def describe(self) -> str:
        where = f"record #{self.seq}" + (f" (id {self.record_id})" if self.record_id else "")
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class Checked:
    records: int
    head_seq: int
    head_mac: str
    broken: Break | None


def verify(
    key: bytes, rows: Iterable[Row], *, checkpoint: tuple[int, str] | None = None
) -> Checked:
    """Walk the rows in sequence order; stop at the first break."""
    expected, prev, count = 1, GENESIS, 0
    seen_checkpoint = checkpoint is None
    for row in rows:
        if row.seq != expected:
            problem = (
                f"records #{expected}-#{row.seq - 1} removed"
                if row.seq > expected
                else "out of order"
            )
            return Checked(count, expected - 1, prev, Break(expected, row.id, problem))
        if not hmac.compare_digest(row.prev_mac, prev):
            problem = "its link to the record before was changed (records reordered or replaced)"
            return Checked(count, expected - 1, prev, Break(row.seq, row.id, problem))
        if not hmac.compare_digest(link(key, row.seq, prev, row.content), row.mac):
            return Checked(count, expected - 1, prev, Break(row.seq, row.id, "content changed"))
        if checkpoint is not None and row.seq == checkpoint[0]:
            if not hmac.compare_digest(row.mac, checkpoint[1]):
                return Checked(
                    count, row.seq, row.mac, Break(row.seq, row.id, "differs from the checkpoint")
                )
            seen_checkpoint = True
        prev, expected, count = row.mac, expected + 1, count + 1
    if not seen_checkpoint:
        assert checkpoint is not None
        return Checked(
            count,
            expected - 1,
            prev,
            Break(checkpoint[0], None, f"missing: the chain ends at #{expected - 1} (tail cut)"),
        )
    return Checked(count, expected - 1, prev, None)
