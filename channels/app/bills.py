"""Parse the province's daily bill CSV into BillLines (amounts already in fen)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from channels.base import BillLine, ChannelUnavailable

REQUIRED_COLUMNS = frozenset(
    (
        "record_type",
        "occurred_at",
        "out_trade_no",
        "order_no",
        "out_refund_no",
        "amount_fen",
        "status",
    )
)


def parse_bill(text: str) -> list[BillLine]:
    """A malformed bill is the channel's failure, not a business refusal: retry later."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not set(reader.fieldnames) >= REQUIRED_COLUMNS:
        raise ChannelUnavailable("provincial bill has an unexpected header")
    lines: list[BillLine] = []
    for number, row in enumerate(reader, start=2):
        kind = row["record_type"]
        try:
            occurred_at = datetime.fromisoformat(row["occurred_at"])
            amount_fen = int(row["amount_fen"])
        except (TypeError, ValueError) as exc:
            raise ChannelUnavailable(f"provincial bill line {number} is malformed") from exc
        if occurred_at.tzinfo is None:
            raise ChannelUnavailable(f"provincial bill line {number} has no UTC offset")
        if kind not in ("payment", "refund") or (kind == "refund" and not row["out_refund_no"]):
            raise ChannelUnavailable(f"provincial bill line {number} has a bad record type")
        lines.append(
            BillLine(
                kind="payment" if kind == "payment" else "refund",
                out_trade_no=row["out_trade_no"],
                channel_trade_no=row["order_no"],
                amount_fen=amount_fen,
                status=row["status"],
                occurred_at=occurred_at.astimezone(UTC),
                out_refund_no=row["out_refund_no"] or None,
            )
        )
    return lines
