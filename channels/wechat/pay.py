"""WeChat Pay (API v2, JSAPI) behind the Pay seam, on wechatpy's WeChatPay.

Every answer is checked with :mod:`channels.wechat.wire` before it is believed (wechatpy
does not check signatures), and amounts are compared with what we asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from wechatpy.pay import WeChatPay

from channels.base import (
    Acknowledgement,
    BillLine,
    ChannelRejected,
    PaymentNotification,
    PayRequest,
    PayStart,
    RefundRequest,
    RefundState,
    TradeState,
)
from channels.wechat.bill import parse_bill
from channels.wechat.errors import call_wechat
from channels.wechat.notifications import ack, parse_payment, parse_refund
from channels.wechat.settings import WeChatSettings
from channels.wechat.wire import SHANGHAI, WireError, check_merchant_fields, fen, shanghai_time

TRADE_STATES = {
    "NOTPAY": "NOTPAY",
    "USERPAYING": "PAYING",
    "SUCCESS": "SUCCESS",
    "CLOSED": "CLOSED",
    "REVOKED": "CLOSED",
    "PAYERROR": "CLOSED",
    "REFUND": "REFUNDED",
}
REFUND_STATES = {
    "PROCESSING": "PROCESSING",
    "SUCCESS": "SUCCESS",
    "REFUNDCLOSE": "FAILED",
    "CHANGE": "FAILED",
}
DESCRIPTION_MAX_CHARS = 40


class WeChatPayGateway:
    channel = "wechat"

    def __init__(self, pay: WeChatPay, settings: WeChatSettings) -> None:
        self._pay = pay
        self._settings = settings

    async def _call(self, func: Callable[[], Any]) -> Any:
        return await call_wechat(func, timeout=self._settings.timeout_seconds)

    def _verified(self, answer: Any) -> dict[str, str]:
        if not isinstance(answer, dict):
            raise ChannelRejected("WeChat Pay answered with something other than XML")
        try:
            check_merchant_fields(answer, self._settings)
        except WireError as exc:
            raise ChannelRejected(f"untrustworthy WeChat Pay answer: {exc}") from exc
        return answer

    async def start(self, request: PayRequest) -> PayStart:
        answer = self._verified(
            await self._call(
                lambda: self._pay.order.create(
                    trade_type="JSAPI",
                    body=request.description[:DESCRIPTION_MAX_CHARS],
                    total_fee=request.amount_fen,
                    notify_url=request.notify_url,
                    client_ip=request.client_ip,
                    user_id=request.payer_subject,
                    out_trade_no=request.out_trade_no,
                    time_expire=request.expires_at.astimezone(SHANGHAI),
                )
            )
        )
        prepay_id = answer.get("prepay_id")
        if not prepay_id:
            raise ChannelRejected("unified order answered without prepay_id")
        params = self._pay.jsapi.get_jsapi_params(prepay_id)
        return PayStart(channel_params={k: str(v) for k, v in params.items()})

    async def query(self, out_trade_no: str) -> TradeState:
        try:
            answer = await self._call(lambda: self._pay.order.query(out_trade_no=out_trade_no))
        except ChannelRejected as exc:
            if exc.channel_code == "ORDERNOTEXIST":
                return TradeState(out_trade_no=out_trade_no, status="NOT_FOUND")
            raise
        answer = self._verified(answer)
        if answer.get("out_trade_no") != out_trade_no:
            raise ChannelRejected("order query answered for another order")
        status = TRADE_STATES.get(answer.get("trade_state", ""))
        if status is None:
            raise ChannelRejected(f"unknown trade_state {answer.get('trade_state')!r}")
        try:
            amount = fen(answer["total_fee"], "total_fee") if answer.get("total_fee") else None
            paid_at = shanghai_time(answer.get("time_end"))
        except WireError as exc:
            raise ChannelRejected(f"untrustworthy order query answer: {exc}") from exc
        return TradeState(
            out_trade_no=out_trade_no,
            status=status,  # type: ignore[arg-type]
            amount_fen=amount,
            channel_trade_no=answer.get("transaction_id") or None,
            paid_at=paid_at,
        )

    async def close(self, out_trade_no: str) -> None:
        """Closing a closed order is fine; closing a paid one is ChannelRejected(ORDERPAID)."""
        try:
            answer = await self._call(lambda: self._pay.order.close(out_trade_no))
        except ChannelRejected as exc:
            if exc.channel_code == "ORDERCLOSED":
                return
            raise
        self._verified(answer)

    async def refund(self, request: RefundRequest) -> RefundState:
        answer = self._verified(
            await self._call(
                lambda: self._pay.refund.apply(
                    total_fee=request.total_fen,
                    refund_fee=request.refund_fen,
                    out_refund_no=request.out_refund_no,
                    out_trade_no=request.out_trade_no,
                    refund_desc=request.reason or None,
                    notify_url=request.notify_url,
                )
            )
        )
        if (
            answer.get("out_refund_no") != request.out_refund_no
            or answer.get("out_trade_no") != request.out_trade_no
            or answer.get("refund_fee") != str(request.refund_fen)
        ):
            raise ChannelRejected("refund answer does not match the refund requested")
        return RefundState(
            out_trade_no=request.out_trade_no,
            out_refund_no=request.out_refund_no,
            status="PROCESSING",
            refund_fen=request.refund_fen,
            channel_refund_no=answer.get("refund_id"),
        )

    async def query_refund(self, out_trade_no: str, out_refund_no: str) -> RefundState:
        try:
            answer = await self._call(
                lambda: self._pay.refund.query(
                    out_refund_no=out_refund_no, out_trade_no=out_trade_no
                )
            )
        except ChannelRejected as exc:
            if exc.channel_code == "REFUNDNOTEXIST":
                return RefundState(out_trade_no, out_refund_no, "NOT_FOUND")
            raise
        answer = self._verified(answer)
        if answer.get("out_trade_no") != out_trade_no:
            return RefundState(out_trade_no, out_refund_no, "NOT_FOUND")
        count = int(answer.get("refund_count", "0") or 0)
        for n in range(count):
            if answer.get(f"out_refund_no_{n}") != out_refund_no:
                continue
            status = REFUND_STATES.get(answer.get(f"refund_status_{n}", ""))
            if status is None:
                raise ChannelRejected(f"unknown refund_status {answer.get(f'refund_status_{n}')!r}")
            try:
                amount = fen(answer.get(f"refund_fee_{n}"), "refund_fee")
            except WireError as exc:
                raise ChannelRejected(f"untrustworthy refund query answer: {exc}") from exc
            return RefundState(
                out_trade_no=out_trade_no,
                out_refund_no=out_refund_no,
                status=status,  # type: ignore[arg-type]
                refund_fen=amount,
                channel_refund_no=answer.get(f"refund_id_{n}"),
            )
        return RefundState(out_trade_no, out_refund_no, "NOT_FOUND")

    def parse_payment_notification(
        self, body: bytes, content_type: str, *, headers: Mapping[str, str] | None = None
    ) -> PaymentNotification:
        return parse_payment(body, self._settings)

    def parse_refund_notification(
        self, body: bytes, content_type: str, *, headers: Mapping[str, str] | None = None
    ) -> RefundState:
        return parse_refund(body, self._settings)

    def ack_success(self) -> Acknowledgement:
        return ack("SUCCESS", "OK")

    def ack_failure(self, message: str) -> Acknowledgement:
        return ack("FAIL", message)

    async def download_bill(self, day: date) -> list[BillLine]:
        """The day's bill (a Shanghai date); an empty day is an empty list, not an error."""
        try:
            answer = await self._call(
                lambda: self._pay.tools.download_bill(day.strftime("%Y%m%d"), bill_type="ALL")
            )
        except ChannelRejected as exc:
            if exc.channel_code == "No Bill Exist" or exc.channel_code == "20002":
                return []
            raise
        if not isinstance(answer, str):
            raise ChannelRejected("bill download answered with XML instead of the bill")
        try:
            return parse_bill(answer, mch_id=self._settings.mch_id)
        except WireError as exc:
            raise ChannelRejected(f"unreadable WeChat bill: {exc}") from exc
