"""WeChat Pay API v3 (JSON, WECHATPAY2-SHA256-RSA2048): JSAPI ordering, query, close,
refund, refund query, and the trade bill with its download.

Every request's Authorization is checked against the merchant's API key first (401
``SIGN_ERROR`` as WeChat answers); every answer, errors included, is signed with the
sandbox's own WeChat Pay key and names it by its ``PUB_KEY_ID_…``. Trades live beside
the v2 ones, so the person pays either kind the same way.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from channels.sandbox import clock
from channels.sandbox.wechat.bill import render_bill
from channels.sandbox.wechat.notices import schedule_refund_completion
from channels.sandbox.wechat.pay_api import SHANGHAI, now_shanghai
from channels.sandbox.wechat.state import Refund, Trade, WeChatState
from channels.sandbox.wechat.v3_notices import rfc3339
from channels.sandbox.wechat.v3_signing import SignatureError, signed_headers, verify_request

bp = Blueprint("sandbox_wechat_v3")
ORDER_IDENTITY_FIELDS = ("openid", "total", "description", "notify_url")
TRADE_STATE_DESC = {
    "NOTPAY": "订单未支付",
    "SUCCESS": "支付成功",
    "CLOSED": "订单已关闭",
    "REFUND": "转入退款",
}


class V3Error(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _state(request: Request) -> WeChatState:
    return request.app.ctx.wechat


def signed(request: Request, status: int, payload: dict[str, Any] | None) -> HTTPResponse:
    creds = request.app.ctx.config.credentials
    body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
    headers = signed_headers(
        body, private_key=creds.wechat_pay_private_key, key_id=creds.wechat_pay_public_key_id
    )
    if payload is None:
        return HTTPResponse(status=status, headers=headers)
    return raw(
        body.encode("utf-8"),
        status=status,
        content_type="application/json; charset=utf-8",
        headers=headers,
    )


def _signed_url(request: Request) -> str:
    return request.path + (f"?{request.query_string}" if request.query_string else "")


def _authenticate(request: Request) -> None:
    creds = request.app.ctx.config.credentials
    try:
        verify_request(
            request.method,
            _signed_url(request),
            request.body or b"",
            request.headers.get("authorization"),
            mchid=creds.wechat_mch_id,
            serial_no=creds.wechat_merchant_serial,
            merchant_public_key=creds.wechat_merchant_public_key,
        )
    except SignatureError as exc:
        raise V3Error(401, "SIGN_ERROR", f"签名错误: {exc}") from exc


Handler = Callable[[Request], Awaitable[tuple[int, dict[str, Any] | None]]]


def v3(handler: Handler) -> Callable[..., Awaitable[HTTPResponse]]:
    """Authenticate, run, and sign whatever comes back, errors included."""

    async def endpoint(request: Request, **_: str) -> HTTPResponse:
        try:
            _authenticate(request)
            status, payload = await handler(request)
        except V3Error as exc:
            return signed(request, exc.status, {"code": exc.code, "message": exc.message})
        return signed(request, status, payload)

    endpoint.__name__ = handler.__name__
    return endpoint


def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"")
    except ValueError as exc:
        raise V3Error(400, "PARAM_ERROR", "请求体不是合法的JSON") from exc
    if not isinstance(body, dict):
        raise V3Error(400, "PARAM_ERROR", "请求体不是JSON对象")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise V3Error(400, "PARAM_ERROR", f"缺少参数{name}")
    return value


def _fen(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise V3Error(400, "PARAM_ERROR", f"{name}参数错误")
    return value


def _merchant(request: Request, body_mchid: str | None) -> None:
    if body_mchid != request.app.ctx.config.credentials.wechat_mch_id:
        raise V3Error(400, "PARAM_ERROR", "mchid与请求方不一致")


def _trade(request: Request, out_trade_no: str) -> Trade:
    trade = _state(request).trades.get(out_trade_no)
    if trade is None:
        raise V3Error(404, "ORDER_NOT_EXIST", "订单不存在")
    return trade


async def jsapi(request: Request) -> tuple[int, dict[str, Any] | None]:
    body = _json(request)
    creds = request.app.ctx.config.credentials
    if body.get("appid") != creds.wechat_appid:
        raise V3Error(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
    _merchant(request, body.get("mchid"))
    out_trade_no = _text(body, "out_trade_no")
    description = _text(body, "description")
    notify_url = _text(body, "notify_url")
    amount = body.get("amount") if isinstance(body.get("amount"), dict) else {}
    total = _fen(amount.get("total"), "amount.total")
    payer = body.get("payer") if isinstance(body.get("payer"), dict) else {}
    openid = _text(payer, "openid")
    if request.app.ctx.people.find("wechat", openid) is None:
        raise V3Error(400, "PARAM_ERROR", "openid和appid不匹配")
    time_expire = None
    if body.get("time_expire"):
        try:
            time_expire = datetime.fromisoformat(_text(body, "time_expire"))
        except ValueError as exc:
            raise V3Error(400, "PARAM_ERROR", "time_expire格式错误") from exc
        if time_expire.tzinfo is None:
            raise V3Error(400, "PARAM_ERROR", "time_expire须带时区")
    now = now_shanghai()
    state = _state(request)
    identity = {"openid": openid, "total": str(total), "description": description}
    identity["notify_url"] = notify_url
    existing = state.trades.get(out_trade_no)
    if existing is not None:
        if existing.state in ("SUCCESS", "REFUND"):
            raise V3Error(400, "ORDERPAID", "该订单已支付")
        if existing.state == "CLOSED":
            raise V3Error(400, "ORDER_CLOSED", "订单已关闭")
        if existing.request != identity:
            raise V3Error(400, "INVALID_REQUEST", "商户订单号重复")
        return 200, {"prepay_id": existing.prepay_id}
    if time_expire is not None and time_expire <= now:
        raise V3Error(400, "PARAM_ERROR", "time_expire已过期")
    trade = Trade(
        out_trade_no=out_trade_no,
        prepay_id="wx" + now.strftime("%d%H%M%S") + secrets.token_hex(12),
        openid=openid,
        total_fee=total,
        body=description,
        notify_url=notify_url,
        trade_type="JSAPI",
        request=identity,
        created_at=now,
        time_expire=time_expire,
        api="v3",
    )
    state.add_trade(trade)
    return 200, {"prepay_id": trade.prepay_id}


def trade_view(request: Request, trade: Trade) -> dict[str, Any]:
    creds = request.app.ctx.config.credentials
    view: dict[str, Any] = {
        "appid": creds.wechat_appid,
        "mchid": creds.wechat_mch_id,
        "out_trade_no": trade.out_trade_no,
        "trade_type": trade.trade_type,
        "trade_state": trade.state,
        "trade_state_desc": TRADE_STATE_DESC[trade.state],
        "payer": {"openid": trade.openid},
        "amount": {"total": trade.total_fee, "currency": "CNY"},
    }
    if trade.transaction_id and trade.paid_at:
        view["transaction_id"] = trade.transaction_id
        view["success_time"] = rfc3339(trade.paid_at)
        view["bank_type"] = "OTHERS"
        view["amount"] |= {"payer_total": trade.total_fee, "payer_currency": "CNY"}
    return view


async def query(request: Request) -> tuple[int, dict[str, Any] | None]:
    _merchant(request, request.args.get("mchid"))
    return 200, trade_view(request, _trade(request, request.match_info["out_trade_no"]))


async def close(request: Request) -> tuple[int, dict[str, Any] | None]:
    _merchant(request, _json(request).get("mchid"))
    trade = _trade(request, request.match_info["out_trade_no"])
    if trade.state in ("SUCCESS", "REFUND"):
        raise V3Error(400, "ORDERPAID", "订单已支付，不能关单")
    trade.state = "CLOSED"
    return 204, None


def refund_view(trade: Trade, refund: Refund) -> dict[str, Any]:
    view: dict[str, Any] = {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": trade.transaction_id or "",
        "out_trade_no": trade.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": rfc3339(refund.requested_at),
        "status": refund.status,
        "funds_account": "UNSETTLED",
        "amount": {
            "total": trade.total_fee,
            "refund": refund.refund_fee,
            "payer_total": trade.total_fee,
            "payer_refund": refund.refund_fee,
            "settlement_refund": refund.refund_fee,
            "settlement_total": trade.total_fee,
            "discount_refund": 0,
            "currency": "CNY",
        },
    }
    if refund.success_at is not None:
        view["success_time"] = rfc3339(refund.success_at)
    return view


async def refund(request: Request) -> tuple[int, dict[str, Any] | None]:
    body = _json(request)
    out_refund_no = _text(body, "out_refund_no")
    trade = _trade(request, _text(body, "out_trade_no"))
    amount = body.get("amount") if isinstance(body.get("amount"), dict) else {}
    total = _fen(amount.get("total"), "amount.total")
    refund_fen = _fen(amount.get("refund"), "amount.refund")
    if amount.get("currency") != "CNY":
        raise V3Error(400, "PARAM_ERROR", "amount.currency须为CNY")
    if trade.state not in ("SUCCESS", "REFUND"):
        raise V3Error(403, "TRADE_STATE_ERROR", "订单状态错误")
    if total != trade.total_fee:
        raise V3Error(400, "INVALID_REQUEST", "订单金额与实际不一致")
    found = _state(request).find_refund(out_refund_no)
    if found is not None:
        other, existing = found
        if other is not trade or existing.refund_fee != refund_fen:
            raise V3Error(400, "INVALID_REQUEST", "退款金额与之前请求不一致")
        return 200, refund_view(trade, existing)
    if refund_fen > trade.total_fee - trade.refunded_fen():
        raise V3Error(403, "NOT_ENOUGH", "订单可退金额不足")
    notify_url = body.get("notify_url")
    created = Refund(
        out_refund_no=out_refund_no,
        refund_id="50" + "".join(str(secrets.randbelow(10)) for _ in range(27)),
        refund_fee=refund_fen,
        status="PROCESSING",
        requested_at=now_shanghai(),
        notify_url=notify_url if isinstance(notify_url, str) and notify_url else None,
    )
    trade.refunds[created.out_refund_no] = created
    trade.state = "REFUND"
    schedule_refund_completion(request.app, trade, created)
    return 200, refund_view(trade, created)


async def refund_query(request: Request) -> tuple[int, dict[str, Any] | None]:
    found = _state(request).find_refund(request.match_info["out_refund_no"])
    if found is None:
        raise V3Error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
    return 200, refund_view(*found)


async def trade_bill(request: Request) -> tuple[int, dict[str, Any] | None]:
    """Hands out a download URL; the hash is SHA1 of the bill before compression."""
    try:
        day = date.fromisoformat(request.args.get("bill_date", ""))
    except ValueError as exc:
        raise V3Error(400, "PARAM_ERROR", "bill_date格式错误") from exc
    bill_type = request.args.get("bill_type") or "ALL"
    if bill_type not in ("ALL", "SUCCESS", "REFUND"):
        raise V3Error(400, "PARAM_ERROR", "bill_type参数错误")
    if day > clock.now().astimezone(SHANGHAI).date():
        raise V3Error(400, "INVALID_REQUEST", "账单日期不能是未来")
    creds = request.app.ctx.config.credentials
    csv = render_bill(_state(request), creds.wechat_appid, creds.wechat_mch_id, day, bill_type)
    if csv is None:
        raise V3Error(400, "NO_STATEMENT_EXIST", "账单文件不存在")
    data = csv.encode("utf-8")
    token = secrets.token_urlsafe(24)
    gzipped = request.args.get("tar_type") == "GZIP"
    _state(request).bill_files[token] = gzip.compress(data) if gzipped else data
    base = request.app.ctx.config.base_url.rstrip("/")
    return 200, {
        "hash_type": "SHA1",
        "hash_value": hashlib.sha1(data).hexdigest(),
        "download_url": f"{base}/v3/billdownload/file?token={token}",
    }


@bp.get("/v3/billdownload/file")
async def bill_download(request: Request) -> HTTPResponse:
    """The file itself: authenticated like any call, and (as WeChat does) not signed."""
    try:
        _authenticate(request)
    except V3Error as exc:
        return signed(request, exc.status, {"code": exc.code, "message": exc.message})
    data = _state(request).bill_files.get(request.args.get("token", ""))
    if data is None:
        return signed(request, 404, {"code": "RESOURCE_NOT_EXISTS", "message": "下载链接无效"})
    return raw(data, content_type="application/octet-stream")


bp.add_route(v3(jsapi), "/v3/pay/transactions/jsapi", methods=["POST"])
bp.add_route(v3(query), "/v3/pay/transactions/out-trade-no/<out_trade_no>", methods=["GET"])
bp.add_route(v3(close), "/v3/pay/transactions/out-trade-no/<out_trade_no>/close", methods=["POST"])
bp.add_route(v3(refund), "/v3/refund/domestic/refunds", methods=["POST"])
bp.add_route(v3(refund_query), "/v3/refund/domestic/refunds/<out_refund_no>", methods=["GET"])
bp.add_route(v3(trade_bill), "/v3/bill/tradebill", methods=["GET"])
