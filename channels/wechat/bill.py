"""Reading WeChat Pay's daily bill text into BillLines (fen, UTC).

Columns are found by their Chinese header names, so the ALL, SUCCESS and REFUND layouts
all parse. The summary row is checked against the rows: a bill whose totals do not add
up is refused rather than reconciled.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from channels.base import BillLine
from channels.wechat.wire import WireError, shanghai_time

SUMMARY_HEADER_START = "总交易单数"
BILL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def yuan_to_fen(text: str) -> int:
    try:
        value = Decimal(text) * 100
    except InvalidOperation as exc:
        raise WireError(f"bad amount {text!r}") from exc
    if value != value.to_integral_value():
        raise WireError(f"amount {text!r} has fractions of a fen")
    return int(value)


def _cells(line: str) -> list[str]:
    return [cell[1:] if cell.startswith("`") else cell for cell in line.split(",")]


def _line(row: dict[str, str]) -> BillLine | None:
    occurred_at = shanghai_time(row["交易时间"], BILL_TIME_FORMAT)
    assert occurred_at is not None
    status = row["交易状态"]
    if status == "REFUND":
        return BillLine(
            kind="refund",
            out_trade_no=row["商户订单号"],
            channel_trade_no=row["微信订单号"],
            amount_fen=yuan_to_fen(row["退款金额"]),
            status=row.get("退款状态", "SUCCESS"),
            occurred_at=occurred_at,
            out_refund_no=row["商户退款单号"],
        )
    return BillLine(
        kind="payment",
        out_trade_no=row["商户订单号"],
        channel_trade_no=row["微信订单号"],
        amount_fen=yuan_to_fen(row["订单金额"]),
        status=status,
        occurred_at=occurred_at,
    )


def parse_bill(text: str, *, mch_id: str) -> list[BillLine]:
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        return []
    header = _cells(lines[0])
    try:
        summary_at = next(
            i for i, line in enumerate(lines) if line.startswith(SUMMARY_HEADER_START)
        )
    except StopIteration as exc:
        raise WireError("bill has no summary") from exc
    result: list[BillLine] = []
    for raw in lines[1:summary_at]:
        cells = _cells(raw)
        if len(cells) != len(header):
            raise WireError(f"bill row has {len(cells)} fields, header has {len(header)}")
        row = dict(zip(header, cells, strict=True))
        if row.get("商户号") != mch_id:
            raise WireError("bill row belongs to another merchant")
        try:
            line = _line(row)
        except KeyError as exc:
            raise WireError(f"bill lacks column {exc}") from exc
        if line is not None:
            result.append(line)
    _check_summary(lines, summary_at, result)
    return result


def _check_summary(lines: list[str], summary_at: int, result: list[BillLine]) -> None:
    if summary_at + 1 >= len(lines):
        raise WireError("bill summary row is missing")
    summary = dict(zip(_cells(lines[summary_at]), _cells(lines[summary_at + 1]), strict=False))
    count = summary.get("总交易单数", "")
    if not count.isdigit() or int(count) != len(result):
        raise WireError("bill row count does not match its summary")
    refunded = sum(line.amount_fen for line in result if line.kind == "refund")
    if "退款总金额" in summary and yuan_to_fen(summary["退款总金额"]) != refunded:
        raise WireError("bill refund total does not match its summary")
