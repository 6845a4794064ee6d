"""The daily bill: one CSV row per payment and per refund on a Shanghai calendar day."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from channels.sandbox.provincial.state import ProvincialState

SHANGHAI = ZoneInfo("Asia/Shanghai")
COLUMNS = (
    "record_type",
    "occurred_at",
    "out_trade_no",
    "order_no",
    "out_refund_no",
    "refund_no",
    "amount_fen",
    "status",
    "subject",
)


def on_day(moment: datetime, day: date) -> bool:
    return moment.astimezone(SHANGHAI).date() == day


def render(state: ProvincialState, day: date) -> str:
    rows: list[tuple[datetime, list[str]]] = []
    for order in state.orders.values():
        if order.paid_at is not None and on_day(order.paid_at, day):
            rows.append(
                (
                    order.paid_at,
                    [
                        "payment",
                        order.paid_at.astimezone(SHANGHAI).isoformat(),
                        order.out_trade_no,
                        order.order_no,
                        "",
                        "",
                        str(order.amount_fen),
                        "SUCCESS",
                        order.subject,
                    ],
                )
            )
    for refund in state.refunds.values():
        if on_day(refund.refunded_at, day):
            rows.append(
                (
                    refund.refunded_at,
                    [
                        "refund",
                        refund.refunded_at.astimezone(SHANGHAI).isoformat(),
                        refund.order.out_trade_no,
                        refund.order.order_no,
                        refund.out_refund_no,
                        refund.refund_no,
                        str(refund.refund_fen),
                        refund.status,
                        refund.order.subject,
                    ],
                )
            )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for _, row in sorted(rows, key=lambda item: item[0]):
        writer.writerow(row)
    return out.getvalue()
