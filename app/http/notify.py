"""Channel callbacks. Each answers with the channel's exact acknowledgement body."""

from __future__ import annotations

import asyncio
import json

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from app.http.openapi import documented
from channels.base import Channel
from payments.notify import Reply

bp = Blueprint("notify", url_prefix="/notify")


def _answer(reply: Reply) -> HTTPResponse:
    headers = {"X-Error-Code": reply.code} if reply.code else None
    if reply.status == 204:
        return HTTPResponse(status=204)
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


async def _receive(
    request: Request, channel: Channel, kind: str, dialect: str | None = None
) -> HTTPResponse:
    notifications = request.app.ctx.services.notifications
    receive = notifications.payment if kind == "payment" else notifications.refund
    # Shielded: a channel that hangs up mid-request (its own timeout, a load balancer's)
    # cancels this handler, but not the work: the raw log, the settlement and the outcome
    # that records why always complete together.
    work = receive(
        channel, request.body or b"", _content_type(request), _headers(request), dialect
    )
    return _answer(await asyncio.shield(work))


@bp.post("/wechat/v3/pay")
@documented(
    "WeChat Pay v3 payment notification (JSON, RSA-signed headers, AES-GCM resource). "
    "204 with no body on success; 4xx with {code: FAIL, message} otherwise.",
    tag="callbacks",
    errors="WechatV3Error",
)
async def wechat_v3_pay(request: Request) -> HTTPResponse:
    return await _receive(request, "wechat", "payment", "wechat/v3")


@bp.post("/wechat/v3/refund")
@documented(
    "WeChat Pay v3 refund notification (JSON, RSA-signed headers, AES-GCM resource).",
    tag="callbacks",
    errors="WechatV3Error",
)
async def wechat_v3_refund(request: Request) -> HTTPResponse:
    return await _receive(request, "wechat", "refund", "wechat/v3")


@bp.post("/wechat/pay")
@documented(
    "WeChat Pay v2 payment notification (XML, MD5-signed).",
    tag="callbacks",
    produces="text/xml",
    errors=None,
)
async def wechat_pay(request: Request) -> HTTPResponse:
    return await _receive(request, "wechat", "payment", "wechat/v2")


@bp.post("/wechat/refund")
@documented(
    "WeChat Pay v2 refund notification (AES-encrypted req_info).",
    tag="callbacks",
    produces="text/xml",
    errors=None,
)
async def wechat_refund(request: Request) -> HTTPResponse:
    return await _receive(request, "wechat", "refund", "wechat/v2")


@bp.post("/alipay")
@documented(
    "Alipay asynchronous notification (form, RSA2-signed).",
    tag="callbacks",
    produces="text/plain",
    errors=None,
)
async def alipay(request: Request) -> HTTPResponse:
    return await _receive(request, "alipay", "payment")


@bp.post("/app")
@documented(
    "Provincial cashier notification (JSON, HMAC-signed headers).",
    tag="callbacks",
    errors=None,
)
async def provincial_app(request: Request) -> HTTPResponse:
    # The province sends payments and refunds to one URL; the event name routes it, and the
    # parser then verifies the signature and that the event is the expected one.
    refund = _event_name(request.body or b"").startswith("refund.")
    return await _receive(request, "app", "refund" if refund else "payment")
