"""Channel callbacks. Each answers with the channel's exact acknowledgement body."""

from __future__ import annotations

import json

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from app.http.openapi import documented
from payments.notify import Reply

bp = Blueprint("notify", url_prefix="/notify")


def _answer(reply: Reply) -> HTTPResponse:
    headers = {"X-Error-Code": reply.code} if reply.code else None
    return raw(
        reply.ack.body.encode(),
        status=reply.status,
        content_type=reply.ack.content_type,
        headers=headers,
    )


def _event_name(body: bytes) -> str:
    try:
        event = json.loads(body)
    except ValueError:
        return ""
    return str(event.get("event", "")) if isinstance(event, dict) else ""


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "")


def _headers(request: Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


@bp.post("/wechat/pay")
@documented("WeChat Pay v2 payment notification (XML, MD5-signed).", tag="callbacks")
async def wechat_pay(request: Request) -> HTTPResponse:
    notifications = request.app.ctx.services.notifications
    return _answer(
        await notifications.payment(
            "wechat", request.body, _content_type(request), _headers(request)
        )
    )


@bp.post("/wechat/refund")
@documented("WeChat Pay v2 refund notification (AES-encrypted req_info).", tag="callbacks")
async def wechat_refund(request: Request) -> HTTPResponse:
    notifications = request.app.ctx.services.notifications
    return _answer(
        await notifications.refund(
            "wechat", request.body, _content_type(request), _headers(request)
        )
    )


@bp.post("/alipay")
@documented("Alipay asynchronous notification (form, RSA2-signed).", tag="callbacks")
async def alipay(request: Request) -> HTTPResponse:
    notifications = request.app.ctx.services.notifications
    return _answer(
        await notifications.payment(
            "alipay", request.body, _content_type(request), _headers(request)
        )
    )


@bp.post("/app")
@documented("Provincial cashier notification (JSON, HMAC-signed headers).", tag="callbacks")
async def provincial_app(request: Request) -> HTTPResponse:
    notifications = request.app.ctx.services.notifications
    headers = _headers(request)
    body = request.body or b""
    # The province sends payments and refunds to one URL; the event name routes it, and the
    # parser then verifies the signature and that the event is the expected one.
    if _event_name(body).startswith("refund."):
        return _answer(await notifications.refund("app", body, _content_type(request), headers))
    return _answer(await notifications.payment("app", body, _content_type(request), headers))
