"""Verify and decode the province's payment and refund notifications.

The province signs notifications in headers (not in the body), with PATH ``/notify``, so
the parse methods need the request headers. Anything unsigned, stale, signed with another
secret, or malformed raises NotificationRejected: the caller answers ``ack_failure`` and
the province retries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from channels.app.settings import AppChannelSettings
from channels.app.signing import NOTIFY_PATH, SignatureMismatch, verify
from channels.base import NotificationRejected, PaymentNotification, RefundState


def verified_event(
    settings: AppChannelSettings,
    body: bytes,
    content_type: str,
    headers: Mapping[str, str] | None,
    expected_event: str,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    if headers is None:
        raise NotificationRejected("provincial notifications must come with their headers")
    if not content_type.lower().startswith("application/json"):
        raise NotificationRejected(f"unexpected content type {content_type!r}")
    try:
        verify(
            settings.client_id, settings.client_secret, "POST", NOTIFY_PATH, body, headers, now=now
        )
    except SignatureMismatch as exc:
        raise NotificationRejected(f"bad notification signature: {exc}") from exc
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise NotificationRejected("notification body is not JSON") from exc
    if not isinstance(event, dict) or event.get("event") != expected_event:
        raise NotificationRejected(f"expected a {expected_event} event")
    return event


def text_field(event: dict[str, Any], name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise NotificationRejected(f"notification field {name} is missing")
    return value


def fen_field(event: dict[str, Any], name: str) -> int:
    value = event.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise NotificationRejected(f"notification field {name} must be positive integer fen")
    return value


def time_field(event: dict[str, Any], name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text_field(event, name))
    except ValueError as exc:
        raise NotificationRejected(f"notification field {name} is not ISO 8601") from exc
    if moment.tzinfo is None:
        raise NotificationRejected(f"notification field {name} has no UTC offset")
    return moment.astimezone(UTC)


def payment(
    settings: AppChannelSettings,
    body: bytes,
    content_type: str,
    headers: Mapping[str, str] | None,
    *,
    now: float | None = None,
) -> PaymentNotification:
    event = verified_event(settings, body, content_type, headers, "payment.succeeded", now=now)
    return PaymentNotification(
        out_trade_no=text_field(event, "out_trade_no"),
        channel_trade_no=text_field(event, "order_no"),
        amount_fen=fen_field(event, "amount_fen"),
        paid=True,
        paid_at=time_field(event, "paid_at"),
        raw=body.decode("utf-8", errors="replace"),
        extra={"event": "payment.succeeded"},
    )


def refund(
    settings: AppChannelSettings,
    body: bytes,
    content_type: str,
    headers: Mapping[str, str] | None,
    *,
    now: float | None = None,
) -> RefundState:
    event = verified_event(settings, body, content_type, headers, "refund.succeeded", now=now)
    time_field(event, "refunded_at")
    return RefundState(
        out_trade_no=text_field(event, "out_trade_no"),
        out_refund_no=text_field(event, "out_refund_no"),
        status="SUCCESS",
        refund_fen=fen_field(event, "refund_fen"),
        channel_refund_no=text_field(event, "refund_no"),
    )
