"""统一收银台 payments: orders, queries, closes, refunds, bills and notifications.

The province's statuses map onto the Pay protocol's: CREATED → NOTPAY, PAID → SUCCESS,
CLOSED → CLOSED, and both REFUNDED and PARTIALLY_REFUNDED → REFUNDED (money came in and
some went back, as WeChat reports it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import quote

from channels.app import notifications
from channels.app.bills import parse_bill
from channels.app.client import ProvincialClient
from channels.base import (
    Acknowledgement,
    BillLine,
    ChannelRejected,
    ChannelUnavailable,
    PaymentNotification,
    PayRequest,
    PayStart,
    RefundRequest,
    RefundState,
    TradeState,
    TradeStatus,
)

TRADE_STATUS: dict[str, TradeStatus] = {
    "CREATED": "NOTPAY",
    "PAID": "SUCCESS",
    "CLOSED": "CLOSED",
    "REFUNDED": "REFUNDED",
    "PARTIALLY_REFUNDED": "REFUNDED",
}


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("times sent to the province must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def optional_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError as exc:
        raise ChannelUnavailable(f"provincial app sent a bad time {value!r}") from exc


def segment(value: str) -> str:
    """One URL path segment, so an id can never change which endpoint we call."""
    return quote(value, safe="")


class AppPayGateway:
    channel: Literal["app"] = "app"

    def __init__(self, client: ProvincialClient) -> None:
        self._client = client
        self._settings = client.settings

    async def start(self, request: PayRequest) -> PayStart:
        body: dict[str, Any] = {
            "out_trade_no": request.out_trade_no,
            "amount_fen": request.amount_fen,
            "subject": request.description,
            "user_id": request.payer_subject,
            "notify_url": request.notify_url,
            "expire_at": iso_utc(request.expires_at),
        }
        if request.return_url:
            body["return_url"] = request.return_url
        data = await self._client.call("POST", "/cashier/api/orders", json=body)
        order_no, cashier_url = data.get("order_no"), data.get("cashier_url")
        if not isinstance(order_no, str) or not isinstance(cashier_url, str):
            raise ChannelUnavailable("cashier answer lacks order_no or cashier_url")
        return PayStart(
            channel_params={"cashier_url": cashier_url, "order_no": order_no},
            channel_trade_no=order_no,
        )

    async def query(self, out_trade_no: str) -> TradeState:
        try:
            data = await self._client.call("GET", f"/cashier/api/orders/{segment(out_trade_no)}")
        except ChannelRejected as exc:
            if exc.channel_code == "ORDER_NOT_FOUND":
                return TradeState(out_trade_no=out_trade_no, status="NOT_FOUND")
            raise
        status = TRADE_STATUS.get(str(data.get("status")))
        amount = data.get("amount_fen")
        if status is None or not isinstance(amount, int):
            raise ChannelUnavailable(f"cashier sent an unknown order state {data!r}")
        return TradeState(
            out_trade_no=out_trade_no,
            status=status,
            amount_fen=amount,
            channel_trade_no=data.get("order_no"),
            paid_at=optional_time(data.get("paid_at")),
        )

    async def close(self, out_trade_no: str) -> None:
        """Closing an order the province never saw is a success: it can never be paid."""
        try:
            await self._client.call("POST", f"/cashier/api/orders/{segment(out_trade_no)}/close")
        except ChannelRejected as exc:
            if exc.channel_code != "ORDER_NOT_FOUND":
                raise

    async def refund(self, request: RefundRequest) -> RefundState:
        body: dict[str, Any] = {
            "out_trade_no": request.out_trade_no,
            "out_refund_no": request.out_refund_no,
            "refund_fen": request.refund_fen,
            "reason": request.reason,
        }
        if request.notify_url:
            body["notify_url"] = request.notify_url
        data = await self._client.call("POST", "/cashier/api/refunds", json=body)
        return self._refund_state(request.out_trade_no, request.out_refund_no, data)

    async def query_refund(self, out_trade_no: str, out_refund_no: str) -> RefundState:
        try:
            data = await self._client.call("GET", f"/cashier/api/refunds/{segment(out_refund_no)}")
        except ChannelRejected as exc:
            if exc.channel_code == "REFUND_NOT_FOUND":
                return RefundState(out_trade_no, out_refund_no, "NOT_FOUND")
            raise
        if data.get("out_trade_no") != out_trade_no:
            raise ChannelRejected(
                f"refund {out_refund_no} belongs to another order",
                channel_code="REFUND_ORDER_MISMATCH",
            )
        return self._refund_state(out_trade_no, out_refund_no, data)

    @staticmethod
    def _refund_state(out_trade_no: str, out_refund_no: str, data: dict[str, Any]) -> RefundState:
        status, refund_fen = data.get("status"), data.get("refund_fen")
        if status not in ("PROCESSING", "SUCCESS", "FAILED") or not isinstance(refund_fen, int):
            raise ChannelUnavailable(f"cashier sent an unknown refund state {data!r}")
        return RefundState(
            out_trade_no=out_trade_no,
            out_refund_no=out_refund_no,
            status=status,
            refund_fen=refund_fen,
            channel_refund_no=data.get("refund_no"),
        )

    def parse_payment_notification(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: Mapping[str, str] | None = None,
        now: float | None = None,
    ) -> PaymentNotification:
        """Verify the signature headers (required) and decode. Raises NotificationRejected."""
        return notifications.payment(self._settings, body, content_type, headers, now=now)

    def parse_refund_notification(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: Mapping[str, str] | None = None,
        now: float | None = None,
    ) -> RefundState:
        """Verify the signature headers (required) and decode. Raises NotificationRejected."""
        return notifications.refund(self._settings, body, content_type, headers, now=now)

    def ack_success(self) -> Acknowledgement:
        return Acknowledgement(body='{"code":"SUCCESS"}', content_type="application/json")

    def ack_failure(self, message: str) -> Acknowledgement:
        body = json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False)
        return Acknowledgement(body=body, content_type="application/json")

    async def download_bill(self, day: date) -> list[BillLine]:
        response = await self._client.request(
            "GET", "/cashier/api/bills", params={"date": day.isoformat()}
        )
        return parse_bill(response.content.decode("utf-8-sig"))
