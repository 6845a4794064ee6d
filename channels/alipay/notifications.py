"""Verify Alipay's asynchronous payment notification (``trade_status_sync``).

``AliPay.verify`` mutates the dict it is given (it pops ``sign_type`` and re-encodes
values), so it only ever sees a private flat copy; the caller's form stays as received.
Beyond the signature we check that the notification is for our app and our merchant:
a genuine notification for someone else's trade must not pay our order.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from alipay import AliPay

from channels.alipay.clock import from_wire
from channels.alipay.money import yuan_to_fen
from channels.alipay.settings import AlipaySettings
from channels.base import NotificationRejected, PaymentNotification

PAID_STATUSES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
UNPAID_STATUSES = frozenset({"WAIT_BUYER_PAY", "TRADE_CLOSED"})
REQUIRED = ("app_id", "out_trade_no", "trade_no", "trade_status", "total_amount")


def decode_form(body: bytes, content_type: str) -> dict[str, str]:
    """The notification body as a flat dict; a repeated field is a forgery, not a list."""
    if content_type and "application/x-www-form-urlencoded" not in content_type.lower():
        raise NotificationRejected(f"unexpected content type {content_type!r}")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotificationRejected("notification body is not a UTF-8 form") from exc
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise NotificationRejected(f"field {key!r} appears twice")
        form[key] = value
    return form


def verify_form(
    form: Mapping[str, str], *, sdk: AliPay, settings: AlipaySettings, raw: str
) -> PaymentNotification:
    """Check signature, app id, seller id and format of an already-decoded form."""
    flat = {str(key): str(value) for key, value in form.items()}
    signature = flat.pop("sign", "")
    if not signature:
        raise NotificationRejected("notification is not signed")
    if flat.get("sign_type", "RSA2") != "RSA2":
        raise NotificationRejected(f"unsupported sign_type {flat.get('sign_type')!r}")
    try:
        genuine = sdk.verify(flat, signature)
    except Exception as exc:  # a garbled signature raises from base64/RSA internals
        raise NotificationRejected("notification signature is unreadable") from exc
    if not genuine:
        raise NotificationRejected("notification signature does not verify")
    fields = dict(form)
    missing = [name for name in REQUIRED if not fields.get(name)]
    if missing:
        raise NotificationRejected(f"notification lacks {', '.join(missing)}")
    if fields["app_id"] != settings.app_id:
        raise NotificationRejected("notification is for another app_id")
    if fields.get("seller_id") != settings.seller_id:
        raise NotificationRejected("notification is for another seller_id")
    status = fields["trade_status"]
    if status not in PAID_STATUSES and status not in UNPAID_STATUSES:
        raise NotificationRejected(f"unknown trade_status {status!r}")
    try:
        amount_fen = yuan_to_fen(fields["total_amount"])
    except ValueError as exc:
        raise NotificationRejected("total_amount is not an amount") from exc
    paid = status in PAID_STATUSES
    return PaymentNotification(
        out_trade_no=fields["out_trade_no"],
        channel_trade_no=fields["trade_no"],
        amount_fen=amount_fen,
        paid=paid,
        paid_at=from_wire(fields.get("gmt_payment")) if paid else None,
        raw=raw,
        extra={
            key: fields[key]
            for key in ("trade_status", "buyer_id", "notify_id", "notify_time")
            if fields.get(key)
        },
    )
