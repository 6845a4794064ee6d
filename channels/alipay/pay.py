"""Alipay payments for Yiwang's one payment platform.

Two ways in: the mini-program pays a trade made by ``alipay.trade.create`` (the client
calls my.tradePay with our trade_no), and the provincial app's H5 opens a WAP cashier URL
signed by the SDK. Everything after that — query, close, refund, bills — is shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import httpx

from channels.alipay.bill import parse_bill_zip
from channels.alipay.client import AlipayClient
from channels.alipay.clock import from_wire, to_wire
from channels.alipay.money import fen_to_yuan, yuan_to_fen
from channels.alipay.notifications import decode_form, verify_form
from channels.base import (
    Acknowledgement,
    BillLine,
    Channel,
    ChannelRejected,
    ChannelUnavailable,
    NotificationRejected,
    PaymentNotification,
    PayRequest,
    PayStart,
    RefundRequest,
    RefundState,
    TradeState,
    TradeStatus,
)

TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
ACK_CONTENT_TYPE = "text/plain; charset=utf-8"


def trade_status(answer: dict[str, object]) -> TradeStatus:
    """Map Alipay's trade_status; TRADE_CLOSED after a payment means fully refunded."""
    status = answer.get("trade_status")
    if status == "WAIT_BUYER_PAY":
        return "NOTPAY"
    if status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
        return "SUCCESS"
    if status == "TRADE_CLOSED":
        return "REFUNDED" if answer.get("send_pay_date") else "CLOSED"
    raise ChannelRejected(f"alipay.trade.query: unknown trade_status {status!r}")


def amount_of(answer: dict[str, object], field: str, method: str) -> int:
    try:
        return yuan_to_fen(str(answer.get(field, "")))
    except ValueError as exc:
        raise ChannelUnavailable(f"{method}: unreadable {field} in Alipay's answer") from exc


class AlipayPayGateway:
    channel: Channel = "alipay"

    def __init__(self, client: AlipayClient) -> None:
        self._client = client
        self._settings = client.settings

    # ------------------------------------------------------------------ start

    async def start(self, request: PayRequest) -> PayStart:
        if request.amount_fen < 1:
            raise ChannelRejected("Alipay trades need a positive amount")
        biz = {
            "out_trade_no": request.out_trade_no,
            "total_amount": fen_to_yuan(request.amount_fen),
            "subject": request.description,
            "time_expire": to_wire(request.expires_at),
        }
        if request.mode == "wap":
            return await self._start_wap(request, biz)
        answer = await self._client.call(
            "alipay.trade.create",
            {**biz, "buyer_id": request.payer_subject, "product_code": "JSAPI_PAY"},
            notify_url=request.notify_url,
        )
        trade_no = answer.get("trade_no")
        if not isinstance(trade_no, str) or answer.get("out_trade_no") != request.out_trade_no:
            raise ChannelUnavailable("alipay.trade.create: answer does not match the request")
        return PayStart(channel_params={"trade_no": trade_no}, channel_trade_no=trade_no)

    async def _start_wap(self, request: PayRequest, biz: dict[str, str]) -> PayStart:
        """The SDK signs a query string locally; Alipay creates the trade when it is opened."""
        sdk = self._client.sdk
        named = ("out_trade_no", "total_amount", "subject")
        extra = {k: v for k, v in biz.items() if k not in named}
        signed = await self._client.run(
            lambda: sdk.api_alipay_trade_wap_pay(
                subject=biz["subject"],
                out_trade_no=biz["out_trade_no"],
                total_amount=biz["total_amount"],
                return_url=request.return_url,
                notify_url=request.notify_url,
                **extra,
            ),
            what="alipay.trade.wap.pay",
        )
        return PayStart(channel_params={"cashier_url": f"{self._settings.gateway_url}?{signed}"})

    # ------------------------------------------------------------------ trades

    async def query(self, out_trade_no: str) -> TradeState:
        method = "alipay.trade.query"
        try:
            answer = await self._client.call(method, {"out_trade_no": out_trade_no})
        except ChannelRejected as exc:
            if exc.channel_code == TRADE_NOT_EXIST:
                return TradeState(out_trade_no=out_trade_no, status="NOT_FOUND")
            raise
        send_pay_date = answer.get("send_pay_date")
        return TradeState(
            out_trade_no=out_trade_no,
            status=trade_status(answer),
            amount_fen=amount_of(answer, "total_amount", method),
            channel_trade_no=str(answer.get("trade_no") or "") or None,
            paid_at=from_wire(send_pay_date if isinstance(send_pay_date, str) else None),
        )

    async def close(self, out_trade_no: str) -> None:
        """Closing a trade Alipay never created (an unopened WAP cashier) is already done."""
        try:
            await self._client.call("alipay.trade.close", {"out_trade_no": out_trade_no})
        except ChannelRejected as exc:
            if exc.channel_code != TRADE_NOT_EXIST:
                raise

    # ------------------------------------------------------------------ refunds

    async def refund(self, request: RefundRequest) -> RefundState:
        """One ``out_request_no`` refunds at most once; a repeat answers fund_change "N"."""
        if not 1 <= request.refund_fen <= request.total_fen:
            raise ChannelRejected("refund amount must be between 1 fen and the trade total")
        biz = {
            "out_trade_no": request.out_trade_no,
            "out_request_no": request.out_refund_no,
            "refund_amount": fen_to_yuan(request.refund_fen),
            "refund_reason": request.reason,
        }
        answer = await self._client.call("alipay.trade.refund", biz)
        if answer.get("fund_change") != "Y":
            # A repeat, or money not moved by this call: ask what this request did.
            return await self.query_refund(request.out_trade_no, request.out_refund_no)
        return RefundState(
            out_trade_no=request.out_trade_no,
            out_refund_no=request.out_refund_no,
            status="SUCCESS",
            refund_fen=request.refund_fen,
        )

    async def query_refund(self, out_trade_no: str, out_refund_no: str) -> RefundState:
        method = "alipay.trade.fastpay.refund.query"
        biz = {
            "out_trade_no": out_trade_no,
            "out_request_no": out_refund_no,
            "query_options": ["gmt_refund_pay"],
        }
        try:
            answer = await self._client.call(method, biz)
        except ChannelRejected as exc:
            if exc.channel_code == TRADE_NOT_EXIST:
                return RefundState(out_trade_no, out_refund_no, "NOT_FOUND")
            raise
        # Alipay answers 10000 without refund fields when it never received that request.
        if not answer.get("refund_amount"):
            return RefundState(out_trade_no, out_refund_no, "NOT_FOUND")
        status = answer.get("refund_status")
        return RefundState(
            out_trade_no=out_trade_no,
            out_refund_no=out_refund_no,
            status="SUCCESS" if status == "REFUND_SUCCESS" else "PROCESSING",
            refund_fen=amount_of(answer, "refund_amount", method),
        )

    # ------------------------------------------------------------------ notifications

    def parse_payment_notification(
        self, body: bytes, content_type: str, *, headers: Mapping[str, str] | None = None
    ) -> PaymentNotification:
        form = decode_form(body, content_type)
        return self.verify_notification_form(form, raw=body.decode("utf-8"))

    def verify_notification_form(self, form: dict[str, str], *, raw: str) -> PaymentNotification:
        """Verify an already-decoded form; ``form`` itself is never modified."""
        return verify_form(form, sdk=self._client.sdk, settings=self._settings, raw=raw)

    def parse_refund_notification(
        self, body: bytes, content_type: str, *, headers: Mapping[str, str] | None = None
    ) -> RefundState:
        raise NotificationRejected(
            "Alipay refunds are confirmed synchronously and by alipay.trade.fastpay.refund.query;"
            " this integration takes no refund notifications"
        )

    def ack_success(self) -> Acknowledgement:
        return Acknowledgement(body="success", content_type=ACK_CONTENT_TYPE)

    def ack_failure(self, message: str) -> Acknowledgement:
        # Alipay only looks for "success"; anything else means "retry later".
        return Acknowledgement(body="fail", content_type=ACK_CONTENT_TYPE)

    # ------------------------------------------------------------------ bills

    async def download_bill(self, day: date) -> list[BillLine]:
        answer = await self._client.call(
            "alipay.data.dataservice.bill.downloadurl.query",
            {"bill_type": "trade", "bill_date": day.isoformat()},
        )
        url = answer.get("bill_download_url")
        if not isinstance(url, str) or not url:
            raise ChannelUnavailable("bill.downloadurl.query: no bill_download_url")
        try:
            async with httpx.AsyncClient(timeout=self._settings.timeout_seconds) as http:
                response = await http.get(url)
        except httpx.HTTPError as exc:
            raise ChannelUnavailable(f"bill download failed ({exc!r})") from exc
        if response.status_code != 200:
            raise ChannelUnavailable(f"bill download answered HTTP {response.status_code}")
        return parse_bill_zip(response.content)
