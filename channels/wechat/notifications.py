"""Verifying WeChat Pay's payment and refund notifications, and the exact acks.

Payment notifications are signed XML; refund notifications carry ``req_info``, the
result encrypted with the MD5 of the API key. Anything wrong (not XML, a missing field,
a foreign appid or mch_id, a bad signature, a key that decrypts to garbage) raises
NotificationRejected and nothing else: callers log the raw body and answer FAIL. The
input bytes are only read, never changed.
"""

from __future__ import annotations

from typing import Any

import xmltodict
from wechatpy.crypto import WeChatRefundCrypto

from channels.base import Acknowledgement, NotificationRejected, PaymentNotification, RefundState
from channels.wechat.settings import WeChatSettings
from channels.wechat.wire import WireError, check_merchant_fields, fen, flat_strings, shanghai_time

PAYMENT_FIELDS = (
    "return_code",
    "appid",
    "mch_id",
    "nonce_str",
    "sign",
    "result_code",
    "openid",
    "trade_type",
    "total_fee",
    "transaction_id",
    "out_trade_no",
    "time_end",
)
REFUND_OUTER_FIELDS = ("return_code", "appid", "mch_id", "req_info")
REFUND_INNER_FIELDS = (
    "out_trade_no",
    "out_refund_no",
    "refund_id",
    "refund_fee",
    "total_fee",
    "refund_status",
)
REFUND_STATUSES = {"SUCCESS": "SUCCESS", "CHANGE": "FAILED", "REFUNDCLOSE": "FAILED"}
EXTRA_PAYMENT_FIELDS = ("openid", "trade_type", "bank_type", "cash_fee", "fee_type")


def _parse(body: bytes) -> dict[str, str]:
    if not isinstance(body, bytes | bytearray) or not body:
        raise WireError("empty body")
    try:
        text = bytes(body).decode("utf-8")
        return flat_strings(xmltodict.parse(text, disable_entities=True))
    except WireError:
        raise
    except Exception as exc:
        raise WireError(f"not XML: {exc!r}") from exc


def _require(fields: dict[str, str], names: tuple[str, ...]) -> None:
    missing = [name for name in names if not fields.get(name)]
    if missing:
        raise WireError(f"missing {', '.join(missing)}")


def parse_payment(body: bytes, settings: WeChatSettings) -> PaymentNotification:
    try:
        fields = _parse(body)
        _require(fields, PAYMENT_FIELDS)
        if fields["return_code"] != "SUCCESS":
            raise WireError("return_code is not SUCCESS")
        check_merchant_fields(fields, settings)
        amount = fen(fields["total_fee"], "total_fee")
        paid_at = shanghai_time(fields["time_end"])
    except WireError as exc:
        raise NotificationRejected(f"WeChat payment notification rejected: {exc}") from exc
    return PaymentNotification(
        out_trade_no=fields["out_trade_no"],
        channel_trade_no=fields["transaction_id"],
        amount_fen=amount,
        paid=fields["result_code"] == "SUCCESS",
        paid_at=paid_at,
        raw=bytes(body).decode("utf-8"),
        extra={k: fields[k] for k in EXTRA_PAYMENT_FIELDS if k in fields},
    )


def _decrypt_req_info(outer: dict[str, str], settings: WeChatSettings) -> dict[str, str]:
    """wechatpy's AES-ECB decryption; with a wrong key it fails in many ways, or not at all."""
    try:
        crypto = WeChatRefundCrypto(settings.api_key)
        inner: Any = crypto.decrypt_message(dict(outer), settings.appid, settings.mch_id)
    except Exception as exc:
        raise WireError(f"req_info does not decrypt: {type(exc).__name__}") from exc
    return flat_strings({"xml": inner})


def parse_refund(body: bytes, settings: WeChatSettings) -> RefundState:
    try:
        outer = _parse(body)
        _require(outer, REFUND_OUTER_FIELDS)
        if outer["return_code"] != "SUCCESS":
            raise WireError("return_code is not SUCCESS")
        if outer["appid"] != settings.appid or outer["mch_id"] != settings.mch_id:
            raise WireError("appid or mch_id does not match")
        inner = _decrypt_req_info(outer, settings)
        _require(inner, REFUND_INNER_FIELDS)
        refund_fen = fen(inner["refund_fee"], "refund_fee")
        if refund_fen > fen(inner["total_fee"], "total_fee"):
            raise WireError("refund_fee exceeds total_fee")
        status = REFUND_STATUSES.get(inner["refund_status"])
        if status is None:
            raise WireError(f"unknown refund_status {inner['refund_status']!r}")
    except WireError as exc:
        raise NotificationRejected(f"WeChat refund notification rejected: {exc}") from exc
    return RefundState(
        out_trade_no=inner["out_trade_no"],
        out_refund_no=inner["out_refund_no"],
        status=status,  # type: ignore[arg-type]
        refund_fen=refund_fen,
        channel_refund_no=inner["refund_id"],
    )


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def ack(return_code: str, message: str) -> Acknowledgement:
    body = (
        f"<xml><return_code>{_cdata(return_code)}</return_code>"
        f"<return_msg>{_cdata(message)}</return_msg></xml>"
    )
    return Acknowledgement(body=body, content_type="text/xml")
