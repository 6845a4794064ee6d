"""统一收银台: the cashier API (signed, server to server) and the resident's cashier page."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, json, text
from sanic.response import html as html_response

from channels.sandbox import clock
from channels.sandbox.provincial import bills
from channels.sandbox.provincial import payments as money
from channels.sandbox.provincial.http import error, invalid, json_object, signed
from channels.sandbox.provincial.notify import iso_utc
from channels.sandbox.provincial.state import CashierOrder, ProvincialState, Refund

bp = Blueprint("provincial_cashier", url_prefix="/cashier")

MERCHANT_NO = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
ORDER_NO_ROUTE = r"<order_no:ZLB\d+>"


def state_of(request: Request) -> ProvincialState:
    return request.app.ctx.provincial


def is_fen(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def parse_utc(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def order_json(order: CashierOrder) -> dict[str, Any]:
    return {
        "out_trade_no": order.out_trade_no,
        "order_no": order.order_no,
        "status": order.status,
        "amount_fen": order.amount_fen,
        "refunded_fen": order.refunded_fen,
        "subject": order.subject,
        "paid_at": iso_utc(order.paid_at) if order.paid_at else None,
    }


def refund_json(refund: Refund) -> dict[str, Any]:
    return {
        "out_refund_no": refund.out_refund_no,
        "refund_no": refund.refund_no,
        "out_trade_no": refund.order.out_trade_no,
        "refund_fen": refund.refund_fen,
        "reason": refund.reason,
        "status": refund.status,
        "refunded_at": iso_utc(refund.refunded_at),
    }


def cashier_error(exc: money.CashierError) -> JSONResponse:
    return error(exc.code, exc.message, exc.status)


def order_not_found() -> JSONResponse:
    return error("ORDER_NOT_FOUND", "no such order", 404)


def new_order(request: Request, body: dict[str, Any]) -> CashierOrder | JSONResponse:
    """Validate a create-order body into an order (not yet stored)."""
    out_trade_no = body.get("out_trade_no")
    if not isinstance(out_trade_no, str) or not MERCHANT_NO.match(out_trade_no):
        return invalid("out_trade_no must be 1-64 letters, digits, '_' or '-'")
    if not is_fen(body.get("amount_fen")):
        return invalid("amount_fen must be a positive integer")
    subject = body.get("subject")
    if not isinstance(subject, str) or not subject or len(subject) > 128:
        return invalid("subject must be a non-empty string of at most 128 characters")
    user_id = body.get("user_id")
    if not isinstance(user_id, str) or request.app.ctx.people.find("app", user_id) is None:
        return error("USER_NOT_FOUND", "user_id is not a provincial app account", 404)
    notify_url = body.get("notify_url")
    if not isinstance(notify_url, str) or not notify_url.startswith(("http://", "https://")):
        return invalid("notify_url must be an http(s) URL")
    expire_at = parse_utc(body.get("expire_at"))
    if expire_at is None:
        return invalid("expire_at must be an ISO 8601 time with a UTC offset")
    return_url = body.get("return_url")
    if return_url is not None and not isinstance(return_url, str):
        return invalid("return_url must be a string")
    now = clock.now()
    return CashierOrder(
        order_no=state_of(request).next_no("ZLB"),
        out_trade_no=out_trade_no,
        amount_fen=body["amount_fen"],
        subject=subject,
        user_id=user_id,
        notify_url=notify_url,
        expire_at=expire_at,
        return_url=return_url,
        created_at=now,
    )


@bp.post("/api/orders")
@signed
async def create_order(request: Request) -> JSONResponse:
    body = json_object(request)
    if body is None:
        return invalid("a JSON object is required")
    candidate = new_order(request, body)
    if isinstance(candidate, JSONResponse):
        return candidate
    state = state_of(request)
    existing = state.order(out_trade_no=candidate.out_trade_no)
    if existing is not None:
        if existing.terms() != candidate.terms():
            return error(
                "ORDER_CONFLICT", "out_trade_no was already used with other parameters", 409
            )
        order = existing
    else:
        if candidate.expire_at <= candidate.created_at:
            return invalid("expire_at has already passed")
        state.add_order(candidate)
        order = candidate
    base = request.app.ctx.config.base_url
    return json({"order_no": order.order_no, "cashier_url": f"{base}/cashier/{order.order_no}"})


@bp.get("/api/orders/<out_trade_no>")
@signed
async def query_order(request: Request, out_trade_no: str) -> JSONResponse:
    order = state_of(request).order(out_trade_no=out_trade_no)
    return order_not_found() if order is None else json(order_json(order))


@bp.post("/api/orders/<out_trade_no>/close")
@signed
async def close_order(request: Request, out_trade_no: str) -> JSONResponse:
    order = state_of(request).order(out_trade_no=out_trade_no)
    if order is None:
        return order_not_found()
    if order.status not in ("CREATED", "CLOSED"):
        return error("ORDER_PAID", "a paid order cannot be closed; refund it instead", 409)
    order.status = "CLOSED"
    return json(order_json(order))


@bp.post("/api/refunds")
@signed
async def create_refund(request: Request) -> JSONResponse:
    body = json_object(request)
    if body is None:
        return invalid("a JSON object is required")
    out_refund_no = body.get("out_refund_no")
    if not isinstance(out_refund_no, str) or not MERCHANT_NO.match(out_refund_no):
        return invalid("out_refund_no must be 1-64 letters, digits, '_' or '-'")
    if not is_fen(body.get("refund_fen")):
        return invalid("refund_fen must be a positive integer")
    reason = body.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 256:
        return invalid("reason must be a string of at most 256 characters")
    notify_url = body.get("notify_url")
    if notify_url is not None and (
        not isinstance(notify_url, str) or not notify_url.startswith(("http://", "https://"))
    ):
        return invalid("notify_url must be an http(s) URL")
    out_trade_no = body.get("out_trade_no")
    order = state_of(request).order(
        out_trade_no=out_trade_no if isinstance(out_trade_no, str) else ""
    )
    if order is None:
        return order_not_found()
    try:
        refund = money.refund(
            request.app,
            order,
            out_refund_no=out_refund_no,
            refund_fen=body["refund_fen"],
            reason=reason,
            notify_url=notify_url,
        )
    except money.CashierError as exc:
        return cashier_error(exc)
    return json(refund_json(refund))


@bp.get("/api/refunds/<out_refund_no>")
@signed
async def query_refund(request: Request, out_refund_no: str) -> JSONResponse:
    refund = state_of(request).refunds.get(out_refund_no)
    if refund is None:
        return error("REFUND_NOT_FOUND", "no such refund", 404)
    return json(refund_json(refund))


@bp.get("/api/bills")
@signed
async def download_bill(request: Request) -> HTTPResponse:
    raw = request.args.get("date")
    try:
        day = date.fromisoformat(raw) if raw and len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return invalid("date must be YYYY-MM-DD (a Shanghai date)")
    return text(bills.render(state_of(request), day), content_type="text/csv; charset=utf-8")


@bp.get(f"/{ORDER_NO_ROUTE}")
async def cashier_page(request: Request, order_no: str) -> HTTPResponse:
    order = state_of(request).order(order_no=order_no)
    if order is None:
        return html_response(page("订单不存在", "<p>No such order.</p>"), status=404)
    if order.status != "CREATED":
        return html_response(page("收银台", f"<p>订单状态 / status: {order.status}</p>"))
    form = (
        f"<p class='subject'>{html.escape(order.subject)}</p>"
        f"<p class='amount'>¥<span id='amount'>{yuan(order.amount_fen)}</span></p>"
        f"<form method='post' action='/cashier/{order.order_no}/pay'>"
        "<button type='submit'>确认支付 / Pay</button></form>"
    )
    return html_response(page("统一收银台", form))


@bp.post(f"/{ORDER_NO_ROUTE}/pay")
async def cashier_pay(request: Request, order_no: str) -> HTTPResponse:
    order = state_of(request).order(order_no=order_no)
    if order is None:
        return html_response(page("订单不存在", "<p>No such order.</p>"), status=404)
    try:
        money.pay(request.app, order)
    except money.CashierError as exc:
        return html_response(
            page("无法支付", f"<p>{exc.code}: {html.escape(exc.message)}</p>"), status=exc.status
        )
    back = (
        f"<p><a href='{html.escape(order.return_url, quote=True)}'>返回 / Back</a></p>"
        if order.return_url
        else ""
    )
    return html_response(page("支付成功", f"<p>已支付 ¥{yuan(order.amount_fen)}</p>{back}"))


def page(title: str, content: str) -> str:
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{content}</body></html>"
    )
