"""Sandbox-only controls for Alipay: make the person pay, and look at what was sent.

``POST /sandbox/alipay/payments`` is the resident confirming in the Alipay cashier; the
GET endpoints let tests and demos see notification attempts and template messages.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl

from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, JSONResponse, json

from channels.sandbox.alipay import cashier, clock
from channels.sandbox.alipay.notifications import delivery_key, send_payment_notification
from channels.sandbox.alipay.state import TRADE_CLOSED, WAIT_BUYER_PAY, AlipayState, Trade
from channels.sandbox.control import bad_request, json_body

bp = Blueprint("sandbox_alipay_control", url_prefix="/sandbox/alipay")

MAX_COPIES = 5


def refusal(status: int, code: str, message: str) -> JSONResponse:
    return json({"code": code, "message": message}, status=status)


def pay(
    app: Sanic, trade: Trade, *, notify: bool, copies: int, buyer_id: str | None
) -> JSONResponse:
    """The person pays: TRADE_SUCCESS now, then the notification on Alipay's schedule."""
    if trade.status == TRADE_CLOSED:
        return refusal(409, "SANDBOX_TRADE_CLOSED", "the trade is closed and cannot be paid")
    if trade.status != WAIT_BUYER_PAY:
        return refusal(409, "SANDBOX_TRADE_ALREADY_PAID", f"the trade is {trade.status}")
    state: AlipayState = app.ctx.alipay
    buyer = state.buyer_for(trade, buyer_id)
    trade.buyer_id = buyer
    trade.status = "TRADE_SUCCESS"
    trade.paid_at = clock.now()
    notified = notify and send_payment_notification(app, trade, buyer, copies)
    return json(
        {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "trade_status": trade.status,
            "buyer_id": buyer,
            "notified": notified,
        }
    )


@bp.post("/payments")
async def make_payment(request: Request) -> JSONResponse:
    body = json_body(request)
    if body is None:
        return bad_request("a JSON object is required")
    trade_no, out_trade_no = body.get("trade_no"), body.get("out_trade_no")
    if not isinstance(trade_no, str) and not isinstance(out_trade_no, str):
        return bad_request("trade_no or out_trade_no is required")
    notify, copies, buyer_id = body.get("notify", True), body.get("copies", 1), body.get("buyer_id")
    if not isinstance(notify, bool):
        return bad_request("notify must be true or false")
    if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= MAX_COPIES:
        return bad_request(f"copies must be an integer from 1 to {MAX_COPIES}")
    if buyer_id is not None and not isinstance(buyer_id, str):
        return bad_request("buyer_id must be a string")
    state: AlipayState = request.app.ctx.alipay
    trade = state.find(
        trade_no=trade_no if isinstance(trade_no, str) else None,
        out_trade_no=out_trade_no if isinstance(out_trade_no, str) else None,
    )
    if trade is None:
        return refusal(404, "SANDBOX_TRADE_NOT_FOUND", "no such trade")
    return pay(request.app, trade, notify=notify, copies=copies, buyer_id=buyer_id)


@bp.post("/cashier/pay")
async def cashier_pay(request: Request) -> HTTPResponse:
    """The cashier page's button: same as the JSON control, answered as a page."""
    form = dict(parse_qsl(request.body.decode("utf-8", errors="replace")))
    state: AlipayState = request.app.ctx.alipay
    trade = state.find(trade_no=form.get("trade_no") or None)
    if trade is None:
        return cashier.page("支付宝收银台", "<h1>交易不存在</h1>", status=404)
    result = pay(request.app, trade, notify=True, copies=1, buyer_id=None)
    if result.status != 200:
        return cashier.page(
            "支付宝收银台",
            f"<h1>无法付款</h1><p>{escape(result.body.decode())}</p>",
            status=result.status,
        )
    link = ""
    if trade.return_url:
        link = f'<p><a id="return" href="{escape(trade.return_url)}">返回商户</a></p>'
    body = (
        f'<h1>支付成功</h1><p>支付宝交易号 <code id="trade_no">{escape(trade.trade_no)}'
        f"</code></p>{link}"
    )
    return cashier.page("支付成功", body)


@bp.get("/notifications")
async def list_notifications(request: Request) -> JSONResponse:
    out_trade_no = request.args.get("out_trade_no")
    if not out_trade_no:
        return bad_request("out_trade_no is required")
    deliveries = request.app.ctx.notifier.for_key(delivery_key(out_trade_no))
    return json(
        {
            "deliveries": [
                {
                    "url": delivery.url,
                    "body": delivery.body.decode("utf-8"),
                    "acknowledged": delivery.acknowledged,
                    "attempts": [
                        {"status": a.status, "body": a.body, "acknowledged": a.acknowledged}
                        for a in delivery.attempts
                    ],
                }
                for delivery in deliveries
            ]
        }
    )


@bp.get("/messages")
async def list_messages(request: Request) -> JSONResponse:
    to_user_id = request.args.get("to_user_id")
    if not to_user_id:
        return bad_request("to_user_id is required")
    state: AlipayState = request.app.ctx.alipay
    return json(
        {
            "messages": [
                {
                    "to_user_id": m.to_user_id,
                    "user_template_id": m.user_template_id,
                    "page": m.page,
                    "data": m.data,
                    "form_id": m.form_id,
                    "sent_at": clock.wire(m.sent_at),
                }
                for m in state.messages
                if m.to_user_id == to_user_id
            ]
        }
    )
