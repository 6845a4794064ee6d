"""WeChat Pay API v2 (XML, MD5): unified order, query, close, refund, refund query.

Each request is checked the way WeChat checks it: XML shape, ``appid``/``mch_id`` and the
MD5 signature first (``return_code FAIL``, unsigned), then the business rules
(``result_code FAIL`` with WeChat's ``err_code``, signed).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, text

from channels.sandbox import clock
from channels.sandbox.wechat.bill import render_bill
from channels.sandbox.wechat.notices import SHANGHAI_TIME_FORMAT, schedule_refund_completion
from channels.sandbox.wechat.signing import nonce, parse_xml, signature_ok, signed_xml, to_xml
from channels.sandbox.wechat.state import Refund, Trade, WeChatState

SHANGHAI = ZoneInfo("Asia/Shanghai")
bp = Blueprint("sandbox_wechat_pay")
# Fields that must be identical when a merchant repeats a unified order.
ORDER_IDENTITY_FIELDS = ("openid", "total_fee", "body", "notify_url", "trade_type")


class PayError(Exception):
    """A business failure: answered with result_code FAIL and WeChat's err_code."""

    def __init__(self, err_code: str, err_code_des: str) -> None:
        super().__init__(err_code_des)
        self.err_code = err_code
        self.err_code_des = err_code_des


def now_shanghai() -> datetime:
    return clock.now().astimezone(SHANGHAI).replace(microsecond=0)


def xml_response(body: str) -> HTTPResponse:
    return text(body, content_type="text/xml; charset=utf-8")


def return_fail(message: str) -> HTTPResponse:
    return xml_response(to_xml({"return_code": "FAIL", "return_msg": message}))


def _state(request: Request) -> WeChatState:
    return request.app.ctx.wechat


def _answer(request: Request, fields: dict[str, str]) -> HTTPResponse:
    creds = request.app.ctx.config.credentials
    envelope = {
        "return_code": "SUCCESS",
        "return_msg": "OK",
        "appid": creds.wechat_appid,
        "mch_id": creds.wechat_mch_id,
        "nonce_str": nonce(),
        **fields,
    }
    return xml_response(signed_xml(envelope, creds.wechat_api_key))


def _handle(
    request: Request, business: Callable[[Request, dict[str, str]], dict[str, str]]
) -> HTTPResponse:
    fields = parse_xml(request.body)
    if fields is None:
        return return_fail("XML格式错误")
    creds = request.app.ctx.config.credentials
    if fields.get("appid") != creds.wechat_appid:
        return return_fail("appid不存在")
    if fields.get("mch_id") != creds.wechat_mch_id:
        return return_fail("商户号mch_id与appid不匹配")
    if not signature_ok(fields, creds.wechat_api_key):
        return return_fail("签名错误")
    try:
        result = business(request, fields)
    except PayError as exc:
        return _answer(
            request,
            {"result_code": "FAIL", "err_code": exc.err_code, "err_code_des": exc.err_code_des},
        )
    return _answer(request, {"result_code": "SUCCESS", **result})


def _positive_fen(fields: dict[str, str], name: str) -> int:
    raw = fields.get(name, "")
    if not raw.isdigit() or int(raw) <= 0:
        raise PayError("PARAM_ERROR", f"{name}参数错误")
    return int(raw)


def _required(fields: dict[str, str], *names: str) -> None:
    for name in names:
        if not fields.get(name):
            raise PayError("PARAM_ERROR", f"缺少参数{name}")


def _parse_time(raw: str) -> datetime:
    try:
        return datetime.strptime(raw, SHANGHAI_TIME_FORMAT).replace(tzinfo=SHANGHAI)
    except ValueError as exc:
        raise PayError("PARAM_ERROR", "时间格式错误") from exc


def trade_expired(trade: Trade, at: datetime) -> bool:
    return trade.state == "NOTPAY" and trade.time_expire is not None and trade.time_expire <= at


def _find_trade(request: Request, fields: dict[str, str]) -> Trade:
    state = _state(request)
    trade = state.trades.get(fields.get("out_trade_no", ""))
    if trade is None and fields.get("transaction_id"):
        trade = next(
            (t for t in state.trades.values() if t.transaction_id == fields["transaction_id"]),
            None,
        )
    if trade is None:
        raise PayError("ORDERNOTEXIST", "订单不存在")
    return trade


def unified_order(request: Request, fields: dict[str, str]) -> dict[str, str]:
    _required(fields, "body", "out_trade_no", "spbill_create_ip", "notify_url", "trade_type")
    total_fee = _positive_fen(fields, "total_fee")
    if fields["trade_type"] != "JSAPI":
        raise PayError("PARAM_ERROR", "sandbox supports trade_type JSAPI only")
    openid = fields.get("openid", "")
    if not openid:
        raise PayError("PARAM_ERROR", "JSAPI支付必须传openid")
    if request.app.ctx.people.find("wechat", openid) is None:
        raise PayError("PARAM_ERROR", "openid和appid不匹配")
    now = now_shanghai()
    time_expire = _parse_time(fields["time_expire"]) if fields.get("time_expire") else None
    state = _state(request)
    identity = {name: fields.get(name, "") for name in ORDER_IDENTITY_FIELDS}
    existing = state.trades.get(fields["out_trade_no"])
    if existing is not None:
        if existing.state in ("SUCCESS", "REFUND"):
            raise PayError("ORDERPAID", "该订单已支付")
        if existing.state == "CLOSED":
            raise PayError("ORDERCLOSED", "该订单已关")
        if existing.request != identity:
            raise PayError("INVALID_REQUEST", "201 商户订单号重复")
        return {"trade_type": existing.trade_type, "prepay_id": existing.prepay_id}
    if time_expire is not None and time_expire <= now:
        raise PayError("PARAM_ERROR", "time_expire已过期")
    trade = Trade(
        out_trade_no=fields["out_trade_no"],
        prepay_id="wx" + now.strftime("%d%H%M%S") + secrets.token_hex(12),
        openid=openid,
        total_fee=total_fee,
        body=fields["body"],
        notify_url=fields["notify_url"],
        trade_type=fields["trade_type"],
        request=identity,
        created_at=now,
        time_expire=time_expire,
    )
    state.add_trade(trade)
    return {"trade_type": trade.trade_type, "prepay_id": trade.prepay_id}


def order_query(request: Request, fields: dict[str, str]) -> dict[str, str]:
    trade = _find_trade(request, fields)
    descriptions = {
        "NOTPAY": "订单未支付",
        "SUCCESS": "支付成功",
        "CLOSED": "订单已关闭",
        "REFUND": "订单发生过退款",
    }
    result = {
        "out_trade_no": trade.out_trade_no,
        "trade_state": trade.state,
        "trade_state_desc": descriptions[trade.state],
        "openid": trade.openid,
        "trade_type": trade.trade_type,
        "total_fee": str(trade.total_fee),
        "fee_type": "CNY",
    }
    if trade.transaction_id and trade.paid_at:
        result |= {
            "transaction_id": trade.transaction_id,
            "time_end": trade.paid_at.strftime(SHANGHAI_TIME_FORMAT),
            "cash_fee": str(trade.total_fee),
            "bank_type": "OTHERS",
        }
    return result


def close_order(request: Request, fields: dict[str, str]) -> dict[str, str]:
    trade = _find_trade(request, fields)
    if trade.state in ("SUCCESS", "REFUND"):
        raise PayError("ORDERPAID", "订单已支付，不能发起关单")
    trade.state = "CLOSED"
    return {}


def refund_apply(request: Request, fields: dict[str, str]) -> dict[str, str]:
    _required(fields, "out_refund_no")
    trade = _find_trade(request, fields)
    total_fee = _positive_fen(fields, "total_fee")
    refund_fee = _positive_fen(fields, "refund_fee")
    if trade.state not in ("SUCCESS", "REFUND"):
        raise PayError("TRADE_STATE_ERROR", "订单状态错误")
    if total_fee != trade.total_fee:
        raise PayError("INVALID_REQUEST", "订单金额或退款金额与之前请求不一致，请核实后再试")
    found = _state(request).find_refund(fields["out_refund_no"])
    if found is not None:
        other_trade, refund = found
        if other_trade is not trade or refund.refund_fee != refund_fee:
            raise PayError("INVALID_REQUEST", "订单金额或退款金额与之前请求不一致，请核实后再试")
    else:
        if refund_fee > trade.total_fee - trade.refunded_fen():
            raise PayError("NOTENOUGH", "订单可退金额不足")
        refund = Refund(
            out_refund_no=fields["out_refund_no"],
            refund_id="50" + "".join(str(secrets.randbelow(10)) for _ in range(27)),
            refund_fee=refund_fee,
            status="PROCESSING",
            requested_at=now_shanghai(),
            notify_url=fields.get("notify_url") or None,
        )
        trade.refunds[refund.out_refund_no] = refund
        trade.state = "REFUND"
        schedule_refund_completion(request.app, trade, refund)
    return {
        "transaction_id": trade.transaction_id or "",
        "out_trade_no": trade.out_trade_no,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_fee": str(refund.refund_fee),
        "total_fee": str(trade.total_fee),
        "cash_fee": str(trade.total_fee),
        "refund_channel": "",
    }


def refund_query(request: Request, fields: dict[str, str]) -> dict[str, str]:
    state = _state(request)
    if fields.get("out_refund_no"):
        found = state.find_refund(fields["out_refund_no"])
        if found is None:
            raise PayError("REFUNDNOTEXIST", "退款订单查询失败")
        trade, only = found
        refunds = [only]
    else:
        trade = _find_trade(request, fields)
        refunds = list(trade.refunds.values())
        if not refunds:
            raise PayError("REFUNDNOTEXIST", "退款订单查询失败")
    result = {
        "transaction_id": trade.transaction_id or "",
        "out_trade_no": trade.out_trade_no,
        "total_fee": str(trade.total_fee),
        "cash_fee": str(trade.total_fee),
        "refund_count": str(len(refunds)),
    }
    for n, refund in enumerate(refunds):
        result |= {
            f"out_refund_no_{n}": refund.out_refund_no,
            f"refund_id_{n}": refund.refund_id,
            f"refund_fee_{n}": str(refund.refund_fee),
            f"refund_status_{n}": refund.status,
            f"refund_recv_accout_{n}": "支付用户的零钱",
        }
        if refund.success_at is not None:
            result[f"refund_success_time_{n}"] = refund.success_at.strftime("%Y-%m-%d %H:%M:%S")
    return result


@bp.post("/pay/unifiedorder")
async def unifiedorder_endpoint(request: Request) -> HTTPResponse:
    return _handle(request, unified_order)


@bp.post("/pay/orderquery")
async def orderquery_endpoint(request: Request) -> HTTPResponse:
    return _handle(request, order_query)


@bp.post("/pay/closeorder")
async def closeorder_endpoint(request: Request) -> HTTPResponse:
    return _handle(request, close_order)


@bp.post("/secapi/pay/refund")
async def refund_endpoint(request: Request) -> HTTPResponse:
    return _handle(request, refund_apply)


@bp.post("/pay/refundquery")
async def refundquery_endpoint(request: Request) -> HTTPResponse:
    return _handle(request, refund_query)


@bp.post("/pay/downloadbill")
async def downloadbill_endpoint(request: Request) -> HTTPResponse:
    """Answers the CSV itself on success; failures are the usual unsigned FAIL XML."""
    fields = parse_xml(request.body)
    if fields is None:
        return return_fail("XML格式错误")
    creds = request.app.ctx.config.credentials
    if fields.get("appid") != creds.wechat_appid:
        return return_fail("appid不存在")
    if fields.get("mch_id") != creds.wechat_mch_id:
        return return_fail("商户号mch_id与appid不匹配")
    if not signature_ok(fields, creds.wechat_api_key):
        return return_fail("签名错误")
    bill_type = fields.get("bill_type") or "ALL"
    if bill_type not in ("ALL", "SUCCESS", "REFUND"):
        return return_fail("invalid bill_type")
    try:
        day = datetime.strptime(fields.get("bill_date", ""), "%Y%m%d").date()
    except ValueError:
        return return_fail("invalid bill_date")
    csv = render_bill(_state(request), creds.wechat_appid, creds.wechat_mch_id, day, bill_type)
    if csv is None:
        return xml_response(
            to_xml({"return_code": "FAIL", "return_msg": "No Bill Exist", "error_code": "20002"})
        )
    return text(csv, content_type="text/plain; charset=utf-8")
