"""Sandbox controls for the provincial app: make a person pay, inspect messages and
notification deliveries. Unsigned, like every /sandbox/... endpoint."""

from __future__ import annotations

import json as jsonlib
from typing import Any

from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from channels.sandbox.notifier import Delivery
from channels.sandbox.provincial import payments as money
from channels.sandbox.provincial.http import error, invalid, json_object
from channels.sandbox.provincial.notify import iso_utc
from channels.sandbox.provincial.state import ProvincialState

bp = Blueprint("provincial_control", url_prefix="/sandbox/app")


@bp.post("/payments")
async def make_payment(request: Request) -> JSONResponse:
    body = json_object(request)
    if body is None:
        return invalid("a JSON object is required")
    state: ProvincialState = request.app.ctx.provincial
    order_no, out_trade_no = body.get("order_no"), body.get("out_trade_no")
    if isinstance(order_no, str):
        order = state.order(order_no=order_no)
    elif isinstance(out_trade_no, str):
        order = state.order(out_trade_no=out_trade_no)
    else:
        return invalid("order_no or out_trade_no is required")
    notify, force = body.get("notify", True), body.get("force", False)
    copies = body.get("copies", 1)
    if not isinstance(notify, bool) or not isinstance(force, bool):
        return invalid("notify and force must be booleans")
    if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= 5:
        return invalid("copies must be an integer from 1 to 5")
    if order is None:
        return error("ORDER_NOT_FOUND", "no such order", 404)
    try:
        money.pay(request.app, order, notify_merchant=notify, copies=copies, force=force)
    except money.CashierError as exc:
        return error(exc.code, exc.message, exc.status)
    assert order.paid_at is not None
    return json(
        {
            "order_no": order.order_no,
            "out_trade_no": order.out_trade_no,
            "status": order.status,
            "paid_at": iso_utc(order.paid_at),
        },
        status=201,
    )


@bp.get("/messages")
async def list_messages(request: Request) -> JSONResponse:
    user_id = request.args.get("user_id")
    state: ProvincialState = request.app.ctx.provincial
    found = [m for m in state.messages if user_id is None or m.user_id == user_id]
    return json(
        {
            "messages": [
                {
                    "message_id": m.message_id,
                    "user_id": m.user_id,
                    "template_id": m.template_id,
                    "data": m.data,
                    "page": m.page,
                    "sent_at": iso_utc(m.sent_at),
                }
                for m in found
            ]
        }
    )


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    body = delivery.body.decode()
    return {
        "event": jsonlib.loads(body).get("event"),
        "url": delivery.url,
        "body": body,
        "acknowledged": delivery.acknowledged,
        "attempts": [
            {"status": a.status, "body": a.body, "acknowledged": a.acknowledged}
            for a in delivery.attempts
        ],
    }


@bp.get("/notifications")
async def list_notifications(request: Request) -> JSONResponse:
    out_trade_no = request.args.get("out_trade_no")
    if not out_trade_no:
        return invalid("out_trade_no is required")
    state: ProvincialState = request.app.ctx.provincial
    if state.order(out_trade_no=out_trade_no) is None:
        return error("ORDER_NOT_FOUND", "no such order", 404)
    deliveries = request.app.ctx.notifier.for_key(out_trade_no)
    return json({"deliveries": [delivery_json(d) for d in deliveries]})
