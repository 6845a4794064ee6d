"""Signed payment and refund notifications, delivered with the province's retry schedule.

Every attempt is signed afresh (current timestamp, new nonce), so a retry an hour later
still passes the merchant's ±300 s window. Only HTTP 200 with the JSON body
``{"code":"SUCCESS"}`` stops the retries.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sanic import Sanic

from channels.sandbox.provincial.signing import notification_headers
from channels.sandbox.provincial.state import CashierOrder, Refund

# The province's published schedule after the first attempt: 15s, 15s, 30s, 3m, 10m, 20m,
# 30m, 1h, 3h, 6h (about 11 hours in all), scaled by the sandbox's time_scale.
PROVINCIAL_RETRY_SECONDS: tuple[float, ...] = (15, 15, 30, 180, 600, 1200, 1800, 3600, 10800, 21600)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_ack(status: int, text: str) -> bool:
    if status != 200:
        return False
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("code") == "SUCCESS"


def payment_event(order: CashierOrder) -> dict[str, Any]:
    assert order.paid_at is not None
    return {
        "event": "payment.succeeded",
        "out_trade_no": order.out_trade_no,
        "order_no": order.order_no,
        "amount_fen": order.amount_fen,
        "paid_at": iso_utc(order.paid_at),
    }


def refund_event(refund: Refund) -> dict[str, Any]:
    return {
        "event": "refund.succeeded",
        "out_trade_no": refund.order.out_trade_no,
        "order_no": refund.order.order_no,
        "out_refund_no": refund.out_refund_no,
        "refund_no": refund.refund_no,
        "refund_fen": refund.refund_fen,
        "refunded_at": iso_utc(refund.refunded_at),
    }


def deliver(
    app: Sanic, *, url: str, out_trade_no: str, event: dict[str, Any], copies: int = 1
) -> None:
    creds = app.ctx.config.credentials
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    app.ctx.notifier.send(
        key=out_trade_no,
        url=url,
        body=body,
        content_type="application/json; charset=utf-8",
        schedule=PROVINCIAL_RETRY_SECONDS,
        is_ack=is_ack,
        copies=copies,
        headers=lambda: notification_headers(creds.app_client_id, creds.app_client_secret, body),
    )
