"""WeChat Pay API v3 (JSAPI, public-key mode) behind the Pay seam, on wechatpayv3.

Answers are verified by KeyRingCore before they are read; identities (appid, mchid,
out_trade_no, out_refund_no) and amounts are compared with what we asked for, as with v2.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from wechatpayv3 import WeChatPay

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
from channels.wechat.pay import TRADE_STATES
from channels.wechat.v3.bill import unpacked_bill
from channels.wechat.v3.calls import call_v3, json_object
from channels.wechat.v3.client import KeyRingCore
from channels.wechat.v3.notifications import (
    ack_failure,
    ack_success,
    parse_payment,
    parse_refund,
    rfc3339_utc,
)
from channels.wechat.v3.settings import WeChatPayV3Settings
from channels.wechat.v3.verify import V3WireError
from channels.wechat.wire import SHANGHAI, WireError

# v3 names trade states as v2 does (channels.wechat.pay.TRADE_STATES); refunds differ.
REFUND_STATES = {
    "PROCESSING": "PROCESSING",
    "SUCCESS": "SUCCESS",
    "CLOSED": "FAILED",
    "ABNORMAL": "FAILED",
}
DESCRIPTION_MAX_CHARS = 127


class WeChatPayV3Gateway:
    channel = "wechat"

    def __init__(self, pay: WeChatPay, settings: WeChatPayV3Settings) -> None:
        self._pay = pay
        self._core: KeyRingCore = pay._core
        self._settings = settings

    async def _call(self, func: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
        return await call_v3(self._core, func, timeout=self._settings.timeout_seconds)

    def _ours(self, answer: dict[str, Any]) -> dict[str, Any]:
        if answer.get("appid", self._settings.appid) != self._settings.appid:
            raise ChannelRejected("WeChat Pay v3 answered for another appid")
        if answer.get("mchid", self._settings.mch_id) != self._settings.mch_id:
            raise ChannelRejected("WeChat Pay v3 answered for another mchid")
        return answer

    def request_payment(self, prepay_id: str) -> dict[str, str]:
        """wx.requestPayment's v3 object; paySign is SHA256-RSA with the merchant key over
        ``appId\\ntimeStamp\\nnonceStr\\npackage\\n``."""
        params = {
            "timeStamp": str(int(time.time())),
            "nonceStr": secrets.token_hex(16),
            "package": f"prepay_id={prepay_id}",
            "signType": "RSA",
        }
        params["paySign"] = self._pay.sign(
            [self._settings.appid, params["timeStamp"], params["nonceStr"], params["package"]]
        )
        return params

    async def start(self, request: PayRequest) -> PayStart:
        _, body = await self._call(
            lambda: self._pay.pay(
                description=request.description[:DESCRIPTION_MAX_CHARS],
                out_trade_no=request.out_trade_no,
                amount={"total": request.amount_fen, "currency": "CNY"},
                payer={"openid": request.payer_subject},
                time_expire=request.expires_at.astimezone(SHANGHAI)
                .replace(microsecond=0)
                .isoformat(),
                notify_url=request.notify_url,
            )
        )
        prepay_id = json_object(body).get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise ChannelRejected("JSAPI ordering answered without prepay_id")
        return PayStart(channel_params=self.request_payment(prepay_id))

    async def query(self, out_trade_no: str) -> TradeState:
        try:
            _, body = await self._call(lambda: self._pay.query(out_trade_no=out_trade_no))
        except ChannelRejected as exc:
            if exc.channel_code == "ORDER_NOT_EXIST":
                return TradeState(out_trade_no=out_trade_no, status="NOT_FOUND")
            raise
        answer = self._ours(json_object(body))
        if answer.get("out_trade_no") != out_trade_no:
            raise ChannelRejected("order query answered for another order")
        status = TRADE_STATES.get(str(answer.get("trade_state", "")))
        if status is None:
            raise ChannelRejected(f"unknown trade_state {answer.get('trade_state')!r}")
        amount = answer.get("amount") if isinstance(answer.get("amount"), dict) else {}
        total = amount.get("total")
        if total is not None and (not isinstance(total, int) or isinstance(total, bool)):
            raise ChannelRejected("order query answered a non-integer amount")
        try:
            paid_at = rfc3339_utc(answer.get("success_time"))
        except V3WireError as exc:
            raise ChannelRejected(f"untrustworthy order query answer: {exc}") from exc
        return TradeState(
            out_trade_no=out_trade_no,
            status=status,  # type: ignore[arg-type]
            amount_fen=total,
            channel_trade_no=answer.get("transaction_id") or None,
            paid_at=paid_at,
        )

    async def close(self, out_trade_no: str) -> None:
        """Closing a closed order is fine; closing a paid one is ChannelRejected(ORDERPAID)."""
        try:
            await self._call(lambda: self._pay.close(out_trade_no))
        except ChannelRejected as exc:
            if exc.channel_code == "ORDER_CLOSED":
                return
            raise

    def _refund_state(
        self, answer: dict[str, Any], out_trade_no: str, out_refund_no: str
    ) -> RefundState:
        if (
            answer.get("out_refund_no") != out_refund_no
            or answer.get("out_trade_no") != out_trade_no
        ):
            raise ChannelRejected("refund answer is for another refund")
        status = REFUND_STATES.get(str(answer.get("status", "")))
        if status is None:
            raise ChannelRejected(f"unknown refund status {answer.get('status')!r}")
        amount = answer.get("amount") if isinstance(answer.get("amount"), dict) else {}
        refund = amount.get("refund")
        if not isinstance(refund, int) or isinstance(refund, bool):
            raise ChannelRejected("refund answer has no integer amount.refund")
        return RefundState(
            out_trade_no=out_trade_no,
            out_refund_no=out_refund_no,
            status=status,  # type: ignore[arg-type]
            refund_fen=refund,
            channel_refund_no=answer.get("refund_id"),
        )

    async def refund(self, request: RefundRequest) -> RefundState:
        _, body = await self._call(
            lambda: self._pay.refund(
                out_refund_no=request.out_refund_no,
                out_trade_no=request.out_trade_no,
                amount={
                    "refund": request.refund_fen,
                    "total": request.total_fen,
                    "currency": "CNY",
                },
                reason=request.reason or None,
                notify_url=request.notify_url,
            )
        )
        state = self._refund_state(json_object(body), request.out_trade_no, request.out_refund_no)
        if state.refund_fen != request.refund_fen:
            raise ChannelRejected("refund answer does not match the amount requested")
        return state

    async def query_refund(self, out_trade_no: str, out_refund_no: str) -> RefundState:
        try:
            _, body = await self._call(lambda: self._pay.query_refund(out_refund_no))
        except ChannelRejected as exc:
            if exc.channel_code == "RESOURCE_NOT_EXISTS":
                return RefundState(out_trade_no, out_refund_no, "NOT_FOUND")
            raise
        answer = json_object(body)
        if answer.get("out_trade_no") != out_trade_no:
            return RefundState(out_trade_no, out_refund_no, "NOT_FOUND")
        return self._refund_state(answer, out_trade_no, out_refund_no)

    def parse_payment_notification(
        self, body: bytes, content_type: str, *, headers: Mapping[str, str] | None = None
    ) -> PaymentNotification:
        return parse_payment(body, headers, self._settings, self._core.keys)

    def parse_refund_notification(
        self, body: bytes, content_type: str, *, headers: Mapping[str, str] | None = None
    ) -> RefundState:
        return parse_refund(body, headers, self._settings, self._core.keys)

    def ack_success(self) -> Acknowledgement:
        return ack_success()

    def ack_failure(self, message: str) -> Acknowledgement:
        return ack_failure(message)

    async def download_bill(self, day: date) -> list[BillLine]:
        """The day's trade bill (a Shanghai date); a day without one is an empty list."""
        try:
            _, body = await self._call(
                lambda: self._pay.trade_bill(day.isoformat(), bill_type="ALL", tar_type="GZIP")
            )
        except ChannelRejected as exc:
            if exc.channel_code == "NO_STATEMENT_EXIST":
                return []
            raise
        answer = json_object(body)
        url = answer.get("download_url")
        if not isinstance(url, str) or not url:
            raise ChannelRejected("the trade bill answer has no download_url")
        _, data = await self._call(lambda: self._pay.download_bill(url))
        if isinstance(data, str):
            data = data.encode("utf-8")
        text = unpacked_bill(data, answer, gzipped=True)
        try:
            return parse_bill(text, mch_id=self._settings.mch_id)
        except WireError as exc:
            raise ChannelRejected(f"unreadable WeChat trade bill: {exc}") from exc
