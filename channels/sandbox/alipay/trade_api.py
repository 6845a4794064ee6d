"""The ``alipay.trade.*`` methods: create, query, close, refund and refund query.

Business refusals carry Alipay's real ``ACQ.*`` sub codes, so adapters learn to read them
here and not in production.
"""

from __future__ import annotations

from typing import Any

from channels.sandbox.alipay import clock
from channels.sandbox.alipay.call import GatewayCall
from channels.sandbox.alipay.money import MAX_TRADE_FEN, fen_to_yuan, yuan_to_fen
from channels.sandbox.alipay.replies import Reply, business_failure, invalid_parameter, success
from channels.sandbox.alipay.state import (
    TRADE_CLOSED,
    TRADE_FINISHED,
    TRADE_SUCCESS,
    WAIT_BUYER_PAY,
    Refund,
    Trade,
)

PAID_STATES = frozenset({TRADE_SUCCESS, TRADE_FINISHED})


def trade_not_exist() -> Reply:
    return business_failure("ACQ.TRADE_NOT_EXIST", "交易不存在")


def open_trade(call: GatewayCall, *, product_code: str, require_buyer: bool) -> Trade | Reply:
    """Create a trade, or return the same waiting trade when the request repeats itself."""
    out_trade_no = call.text("out_trade_no")
    subject = call.text("subject")
    if not out_trade_no or len(out_trade_no) > 64:
        return invalid_parameter("out_trade_no 必填且不超过64位")
    if not subject:
        return invalid_parameter("subject 必填")
    total_fen = yuan_to_fen(call.text("total_amount"))
    if total_fen is None or not 1 <= total_fen <= MAX_TRADE_FEN:
        return invalid_parameter("total_amount 须在 0.01 到 100000000.00 之间，最多两位小数")
    buyer_id = call.text("buyer_id") or None
    if require_buyer:
        if buyer_id is None:
            return invalid_parameter("buyer_id 必填")
        if call.people.find("alipay", buyer_id) is None:
            return business_failure("ACQ.BUYER_NOT_EXIST", "买家不存在")
    expires_at = None
    if call.text("time_expire"):
        expires_at = clock.parse_wire(call.text("time_expire"))
        if expires_at is None:
            return invalid_parameter("time_expire 格式为 yyyy-MM-dd HH:mm:ss")
    existing = call.state.find(out_trade_no=out_trade_no)
    if existing is not None:
        if existing.status in PAID_STATES:
            return business_failure("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
        if existing.status == TRADE_CLOSED:
            return business_failure("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
        if existing.total_fen != total_fen or (buyer_id and existing.buyer_id != buyer_id):
            return business_failure("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        return existing
    if expires_at is not None and expires_at <= clock.now():
        return business_failure("ACQ.TRADE_HAS_CLOSE", "交易已过期关闭")
    return call.state.new_trade(
        out_trade_no=out_trade_no,
        total_fen=total_fen,
        subject=subject,
        product_code=product_code,
        buyer_id=buyer_id,
        notify_url=call.params.get("notify_url") or None,
        return_url=call.params.get("return_url") or None,
        expires_at=expires_at,
    )


def create(call: GatewayCall) -> Reply:
    """Mini-program payment: the trade_no goes to my.tradePay in the client."""
    opened = open_trade(
        call, product_code=call.text("product_code") or "JSAPI_PAY", require_buyer=True
    )
    if isinstance(opened, Reply):
        return opened
    return success(out_trade_no=opened.out_trade_no, trade_no=opened.trade_no)


def _target(call: GatewayCall) -> Trade | Reply:
    out_trade_no, trade_no = call.text("out_trade_no"), call.text("trade_no")
    if not out_trade_no and not trade_no:
        return invalid_parameter("out_trade_no 与 trade_no 不能同时为空")
    trade = call.state.find(out_trade_no=out_trade_no or None, trade_no=trade_no or None)
    return trade if trade is not None else trade_not_exist()


def trade_fields(trade: Trade) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "trade_status": trade.status,
        "total_amount": fen_to_yuan(trade.total_fen),
    }
    if trade.buyer_id:
        fields["buyer_user_id"] = trade.buyer_id
    if trade.paid_at is not None:
        paid = fen_to_yuan(trade.total_fen)
        fields.update(
            send_pay_date=clock.wire(trade.paid_at),
            receipt_amount=paid,
            buyer_pay_amount=paid,
            invoice_amount=paid,
            point_amount="0.00",
        )
    return fields


def query(call: GatewayCall) -> Reply:
    trade = _target(call)
    if isinstance(trade, Reply):
        return trade
    return success(**trade_fields(trade))


def close(call: GatewayCall) -> Reply:
    """Closing twice is harmless; closing a paid trade is refused (refund it instead)."""
    trade = _target(call)
    if isinstance(trade, Reply):
        return trade
    if trade.status in PAID_STATES:
        return business_failure("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
    if trade.status == WAIT_BUYER_PAY:
        trade.status = TRADE_CLOSED
        trade.closed_at = clock.now()
    return success(trade_no=trade.trade_no, out_trade_no=trade.out_trade_no)


def _refund_reply(trade: Trade, refund: Refund, *, fund_change: str) -> Reply:
    return success(
        trade_no=trade.trade_no,
        out_trade_no=trade.out_trade_no,
        buyer_user_id=trade.buyer_id or "",
        fund_change=fund_change,
        refund_fee=fen_to_yuan(trade.refunded_fen),
        gmt_refund_pay=clock.wire(refund.refunded_at),
    )


def refund(call: GatewayCall) -> Reply:
    """Refund part or all of a paid trade; one ``out_request_no`` refunds at most once."""
    trade = _target(call)
    if isinstance(trade, Reply):
        return trade
    amount = yuan_to_fen(call.text("refund_amount"))
    if amount is None or amount < 1:
        return invalid_parameter("refund_amount 须为正数，最多两位小数")
    # Alipay's default request number is the trade number: one full refund.
    out_request_no = call.text("out_request_no") or trade.trade_no
    earlier = trade.refunds.get(out_request_no)
    if earlier is not None:
        if earlier.refund_fen != amount:
            return business_failure("ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息与之前不一致")
        return _refund_reply(trade, earlier, fund_change="N")
    if trade.status == WAIT_BUYER_PAY:
        return business_failure("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
    if trade.status == TRADE_CLOSED:
        return business_failure("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
    if trade.status == TRADE_FINISHED:
        return business_failure("ACQ.TRADE_HAS_FINISHED", "交易已完结")
    if amount > trade.total_fen - trade.refunded_fen:
        return business_failure("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
    new = Refund(out_request_no, amount, call.text("refund_reason"), clock.now())
    trade.refunds[out_request_no] = new
    if trade.refunded_fen == trade.total_fen:
        trade.status = TRADE_CLOSED
        trade.closed_at = new.refunded_at
    return _refund_reply(trade, new, fund_change="Y")


def refund_query(call: GatewayCall) -> Reply:
    """An unknown refund is a *successful* answer without refund fields, as on Alipay."""
    trade = _target(call)
    if isinstance(trade, Reply):
        return trade
    out_request_no = call.text("out_request_no")
    if not out_request_no:
        return invalid_parameter("out_request_no 必填")
    found = trade.refunds.get(out_request_no)
    if found is None:
        return success(trade_no=trade.trade_no, out_trade_no=trade.out_trade_no)
    return success(
        trade_no=trade.trade_no,
        out_trade_no=trade.out_trade_no,
        out_request_no=found.out_request_no,
        total_amount=fen_to_yuan(trade.total_fen),
        refund_amount=fen_to_yuan(found.refund_fen),
        refund_status="REFUND_SUCCESS",
        refund_reason=found.reason,
        gmt_refund_pay=clock.wire(found.refunded_at),
    )
