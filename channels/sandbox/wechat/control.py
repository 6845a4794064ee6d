"""Sandbox-only controls for WeChat: what the person does on the phone (pass face
verification, pay), and read-outs for tests (messages, notifications, token fetches).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict

from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from channels.sandbox.control import bad_request, json_body
from channels.sandbox.wechat.notices import payment_key, refund_key, send_payment_notification
from channels.sandbox.wechat.pay_api import now_shanghai, trade_expired
from channels.sandbox.wechat.signing import sign_md5
from channels.sandbox.wechat.state import VERIFY_RESULT_TTL_SECONDS, FaceCheck, WeChatState
from channels.sandbox.wechat.v3_notices import payment_body, send_probe
from channels.sandbox.wechat.v3_signing import pay_sign_ok

bp = Blueprint("sandbox_wechat_control", url_prefix="/sandbox/wechat")
MAX_COPIES = 5


def not_found(message: str) -> JSONResponse:
    return json({"code": "SANDBOX_NOT_FOUND", "message": message}, status=404)


def conflict(message: str) -> JSONResponse:
    return json({"code": "SANDBOX_CONFLICT", "message": message}, status=409)


def _state(request: Request) -> WeChatState:
    return request.app.ctx.wechat


@bp.post("/face-verifications")
async def pass_face_verification(request: Request) -> JSONResponse:
    body = json_body(request)
    openid = body.get("openid") if body else None
    if not isinstance(openid, str):
        return bad_request("openid is required")
    if request.app.ctx.people.find("wechat", openid) is None:
        return not_found("no such openid")
    verify_result = "XW" + secrets.token_urlsafe(32)
    now = time.time()
    _state(request).face_checks[verify_result] = FaceCheck(
        openid=openid,
        identify_time=int(now),
        expires_at=now + VERIFY_RESULT_TTL_SECONDS,
        validate_data="".join(str(secrets.randbelow(10)) for _ in range(4)),
    )
    return json({"verify_result": verify_result}, status=201)


def _prepay_id(request: Request, body: dict) -> str | JSONResponse:  # type: ignore[type-arg]
    """The prepay id, from ``{"prepay_id"}`` or from the whole ``wx.requestPayment`` object.

    Given the object, the sandbox checks ``paySign`` as WeChat's client does before it
    shows the cashier: RSA for v3 objects, MD5 for v2 ones.
    """
    if isinstance(body.get("prepay_id"), str):
        return str(body["prepay_id"])
    package = body.get("package")
    if not isinstance(package, str) or not package.startswith("prepay_id="):
        return bad_request("prepay_id, or the wx.requestPayment object, is required")
    creds = request.app.ctx.config.credentials
    if body.get("signType") == "RSA":
        good = pay_sign_ok(creds.wechat_appid, body, creds.wechat_merchant_public_key)
    else:
        good = v2_pay_sign_ok(creds.wechat_appid, body, creds.wechat_api_key)
    if not good:
        return json({"code": "SANDBOX_PAY_SIGN_INVALID", "message": "paySign 错误"}, status=400)
    return package.removeprefix("prepay_id=")


def v2_pay_sign_ok(appid: str, params: dict, api_key: str) -> bool:  # type: ignore[type-arg]
    names = ("timeStamp", "nonceStr", "package", "signType", "paySign")
    if not all(isinstance(params.get(n), str) for n in names):
        return False
    fields = {n: str(params[n]) for n in names[:-1]} | {"appId": appid}
    return secrets.compare_digest(str(params["paySign"]), sign_md5(fields, api_key))


@bp.post("/payments")
async def person_pays(request: Request) -> JSONResponse:
    body = json_body(request)
    if body is None:
        return bad_request("prepay_id, or the wx.requestPayment object, is required")
    prepay_id = _prepay_id(request, body)
    if isinstance(prepay_id, JSONResponse):
        return prepay_id
    notify = body.get("notify", True)
    copies = body.get("copies", 1)
    # force pays a CLOSED trade: a payment that raced the merchant's close (tests only).
    force = body.get("force", False)
    if not isinstance(notify, bool) or not isinstance(force, bool):
        return bad_request("notify and force must be true or false")
    if not isinstance(copies, int) or isinstance(copies, bool) or not 1 <= copies <= MAX_COPIES:
        return bad_request(f"copies must be an integer from 1 to {MAX_COPIES}")
    trade = _state(request).by_prepay_id.get(prepay_id)
    if trade is None:
        return not_found("no such prepay_id")
    now = now_shanghai()
    if trade.state != "NOTPAY" and not (force and trade.state == "CLOSED"):
        return conflict(f"the trade is {trade.state}, it cannot be paid")
    if trade_expired(trade, now) and not force:
        return conflict("the trade has expired")
    trade.state = "SUCCESS"
    trade.paid_at = now
    trade.transaction_id = (
        "4200" + now.strftime("%Y%m%d") + "".join(str(secrets.randbelow(10)) for _ in range(16))
    )
    if notify:
        send_payment_notification(request.app, trade, copies=copies)
    return json(
        {
            "out_trade_no": trade.out_trade_no,
            "transaction_id": trade.transaction_id,
            "time_end": trade.paid_at.strftime("%Y%m%d%H%M%S"),
            "notified": notify,
        },
        status=201,
    )


@bp.post("/bill-faults")
async def bill_fault(request: Request) -> JSONResponse:
    """Make the daily bill wrong about one paid trade: leave it out (``omit``) or show
    another amount (``total_fee``), so reconciliation can be tested against a faulty bill."""
    body = json_body(request)
    if body is None or not isinstance(body.get("out_trade_no"), str):
        return bad_request("out_trade_no is required")
    omit, fee = body.get("omit", False), body.get("total_fee")
    if not isinstance(omit, bool):
        return bad_request("omit must be true or false")
    if fee is not None and (not isinstance(fee, int) or isinstance(fee, bool) or fee < 0):
        return bad_request("total_fee must be a whole number of fen")
    trade = _state(request).trades.get(body["out_trade_no"])
    if trade is None:
        return not_found("no such out_trade_no")
    trade.billed = not omit
    trade.billed_fee = fee
    return json({"out_trade_no": trade.out_trade_no, "billed": trade.billed, "total_fee": fee})


@bp.get("/notifications")
async def notifications(request: Request) -> JSONResponse:
    out_trade_no = request.args.get("out_trade_no")
    out_refund_no = request.args.get("out_refund_no")
    if bool(out_trade_no) == bool(out_refund_no):
        return bad_request("give exactly one of out_trade_no or out_refund_no")
    key = payment_key(out_trade_no) if out_trade_no else refund_key(out_refund_no or "")
    deliveries = request.app.ctx.notifier.for_key(key)
    return json(
        {
            "deliveries": [
                {
                    "url": d.url,
                    "body": d.body.decode("utf-8"),
                    "acknowledged": d.acknowledged,
                    "attempts": [asdict(a) for a in d.attempts],
                }
                for d in deliveries
            ]
        }
    )


@bp.post("/probes")
async def send_signature_probe(request: Request) -> JSONResponse:
    """Send one v3 signature probe for a paid trade now; answers whether it was refused."""
    body = json_body(request)
    trade = _state(request).trades.get(str((body or {}).get("out_trade_no", "")))
    if trade is None or trade.api != "v3" or trade.transaction_id is None:
        return not_found("no paid v3 trade with that out_trade_no")
    result = await send_probe(request.app, trade.notify_url, payment_body(request.app, trade))
    return json(result, status=201)


@bp.get("/probes")
async def probes(request: Request) -> JSONResponse:
    """Every probe sent so far, automatic or asked for, and whether each was refused."""
    return json({"probes": _state(request).probes})


@bp.get("/messages")
async def messages(request: Request) -> JSONResponse:
    touser = request.args.get("touser")
    if not touser:
        return bad_request("touser is required")
    sent = [asdict(m) for m in _state(request).messages if m.touser == touser]
    return json({"messages": sent})


@bp.get("/token-fetches")
async def token_fetches(request: Request) -> JSONResponse:
    """How many access tokens were issued: proves workers share one token."""
    return json({"count": _state(request).token_fetches})
