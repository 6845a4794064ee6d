"""Asynchronous payment notifications (``notify_type=trade_status_sync``), as Alipay sends them.

The form carries Alipay's real field set and is signed with Alipay's private key over every
field except ``sign`` and ``sign_type``. Delivery goes through the shared notifier on
Alipay's retry schedule and counts as acknowledged only on the exact body ``success``.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlencode

from sanic import Sanic

from channels.sandbox.alipay import clock
from channels.sandbox.alipay.money import fen_to_yuan
from channels.sandbox.alipay.signing import NOTIFY_UNSIGNED_FIELDS, canonical_string, rsa2_sign
from channels.sandbox.alipay.state import Trade
from channels.sandbox.credentials import SandboxCredentials
from channels.sandbox.notifier import ALIPAY_RETRY_SECONDS

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
ACK_BODY = "success"


def delivery_key(out_trade_no: str) -> str:
    """The notifier is shared by all channels; keys are namespaced per channel."""
    return f"alipay:{out_trade_no}"


def is_ack(status: int, body: str) -> bool:
    return status == 200 and body == ACK_BODY


def payment_form(trade: Trade, credentials: SandboxCredentials, buyer_id: str) -> dict[str, str]:
    paid = fen_to_yuan(trade.total_fen)
    paid_at = trade.paid_at or clock.now()
    form = {
        "notify_time": clock.wire(clock.now()),
        "notify_type": "trade_status_sync",
        "notify_id": paid_at.strftime("%Y%m%d") + secrets.token_hex(13),
        "app_id": credentials.alipay_app_id,
        "auth_app_id": credentials.alipay_app_id,
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "buyer_id": buyer_id,
        "seller_id": credentials.alipay_seller_id,
        "trade_status": trade.status,
        "total_amount": paid,
        "receipt_amount": paid,
        "invoice_amount": paid,
        "buyer_pay_amount": paid,
        "point_amount": "0.00",
        "subject": trade.subject,
        "gmt_create": clock.wire(trade.created_at),
        "gmt_payment": clock.wire(paid_at),
        "fund_bill_list": json.dumps(
            [{"amount": paid, "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")
        ),
    }
    return sign_notification(form, credentials.alipay_private_key)


def sign_notification(form: dict[str, str], alipay_private_pem: str) -> dict[str, str]:
    signed = {key: value for key, value in form.items() if key not in NOTIFY_UNSIGNED_FIELDS}
    signed["sign_type"] = "RSA2"
    signed["sign"] = rsa2_sign(
        canonical_string(signed, unsigned=NOTIFY_UNSIGNED_FIELDS), alipay_private_pem
    )
    return signed


def send_payment_notification(app: Sanic, trade: Trade, buyer_id: str, copies: int) -> bool:
    """Queue the notification; False when the trade was created without a notify_url."""
    if not trade.notify_url:
        return False
    form = payment_form(trade, app.ctx.config.credentials, buyer_id)
    app.ctx.notifier.send(
        key=delivery_key(trade.out_trade_no),
        url=trade.notify_url,
        body=urlencode(form).encode("utf-8"),
        content_type=FORM_CONTENT_TYPE,
        schedule=ALIPAY_RETRY_SECONDS,
        is_ack=is_ack,
        copies=copies,
    )
    return True
