"""WeChat Pay v3 payment and refund notifications, and the acknowledgements v3 expects.

Order of checks: the signature by serial and its freshness (channels.wechat.v3.verify),
the envelope, the AEAD_AES_256_GCM resource, then appid and mchid. Anything wrong raises
NotificationRejected with the reason; nothing else escapes, however malformed the input.
Refusing a nonce seen before within the window is the caller's (ReplayGuard), after this.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from channels.base import Acknowledgement, NotificationRejected, PaymentNotification, RefundState
from channels.wechat.v3.settings import WeChatPayV3Settings
from channels.wechat.v3.verify import V3WireError, check_signed, decrypt_resource

REFUND_STATUSES = {"SUCCESS": "SUCCESS", "CLOSED": "FAILED", "ABNORMAL": "FAILED"}


def _envelope(
    body: bytes, headers: Mapping[str, str] | None, keys: Mapping[str, RSAPublicKey]
) -> tuple[dict[str, Any], str]:
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise V3WireError("body is not UTF-8") from exc
    nonce = check_signed(headers or {}, text, keys)
    try:
        envelope = json.loads(text)
    except ValueError as exc:
        raise V3WireError("body is not JSON") from exc
    if not isinstance(envelope, dict) or envelope.get("resource_type") != "encrypt-resource":
        raise V3WireError("resource_type is not encrypt-resource")
    return envelope, nonce


def _fen(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise V3WireError(f"{name} is not a whole number of fen")
    return value


def _text(facts: Mapping[str, Any], name: str) -> str:
    value = facts.get(name)
    if not isinstance(value, str) or not value:
        raise V3WireError(f"{name} is missing")
    return value


def rfc3339_utc(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise V3WireError(f"bad time {value[:40]!r}") from exc
    if moment.tzinfo is None:
        raise V3WireError("time without an offset")
    return moment.astimezone(UTC)


def parse_payment(
    body: bytes,
    headers: Mapping[str, str] | None,
    settings: WeChatPayV3Settings,
    keys: Mapping[str, RSAPublicKey],
) -> PaymentNotification:
    try:
        envelope, nonce = _envelope(body, headers, keys)
        facts = decrypt_resource(envelope.get("resource"), settings.apiv3_key)
        if facts.get("appid") != settings.appid:
            raise V3WireError("appid does not match")
        if facts.get("mchid") != settings.mch_id:
            raise V3WireError("mchid does not match")
        out_trade_no = _text(facts, "out_trade_no")
        state = _text(facts, "trade_state")
        amount = facts.get("amount")
        if not isinstance(amount, Mapping):
            raise V3WireError("amount is missing")
        total = _fen(amount.get("total"), "amount.total")
        paid = state == "SUCCESS"
        transaction_id = (
            _text(facts, "transaction_id") if paid else str(facts.get("transaction_id", ""))
        )
        paid_at = rfc3339_utc(facts.get("success_time"))
    except V3WireError as exc:
        raise NotificationRejected(f"WeChat Pay v3 payment notification rejected: {exc}") from exc
    payer = facts.get("payer") if isinstance(facts.get("payer"), Mapping) else {}
    return PaymentNotification(
        out_trade_no=out_trade_no,
        channel_trade_no=transaction_id,
        amount_fen=total,
        paid=paid,
        paid_at=paid_at,
        raw=bytes(body).decode("utf-8"),
        extra={
            "nonce": nonce,
            "trade_state": state,
            "openid": str(payer.get("openid", "")),
            "trade_type": str(facts.get("trade_type", "")),
        },
    )


def parse_refund(
    body: bytes,
    headers: Mapping[str, str] | None,
    settings: WeChatPayV3Settings,
    keys: Mapping[str, RSAPublicKey],
) -> RefundState:
    try:
        envelope, _ = _envelope(body, headers, keys)
        facts = decrypt_resource(envelope.get("resource"), settings.apiv3_key)
        if facts.get("mchid") != settings.mch_id:
            raise V3WireError("mchid does not match")
        amount = facts.get("amount")
        if not isinstance(amount, Mapping):
            raise V3WireError("amount is missing")
        refund_fen = _fen(amount.get("refund"), "amount.refund")
        if refund_fen > _fen(amount.get("total"), "amount.total"):
            raise V3WireError("amount.refund exceeds amount.total")
        status = REFUND_STATUSES.get(_text(facts, "refund_status"))
        if status is None:
            raise V3WireError(f"unknown refund_status {facts.get('refund_status')!r}")
        state = RefundState(
            out_trade_no=_text(facts, "out_trade_no"),
            out_refund_no=_text(facts, "out_refund_no"),
            status=status,  # type: ignore[arg-type]
            refund_fen=refund_fen,
            channel_refund_no=_text(facts, "refund_id"),
        )
    except V3WireError as exc:
        raise NotificationRejected(f"WeChat Pay v3 refund notification rejected: {exc}") from exc
    return state


def ack_success() -> Acknowledgement:
    """v3 wants 200 or 204 with no body; 204 says exactly that."""
    return Acknowledgement(body="", content_type="", status=204)


def ack_failure(message: str) -> Acknowledgement:
    return Acknowledgement(
        body=json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False),
        content_type="application/json",
        status=400,
    )
