"""``/gateway.do``: the one URL of Alipay's open platform.

python-alipay-sdk 3.4 sends every server API call as a GET with the signed parameters in
the query string; other clients POST them form-encoded. Page methods (WAP / page pay) are
opened by the resident's browser and answer HTML. Every request is checked the way Alipay
does: app id, charset, sign type, then the RSA2 signature with the merchant's public key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from channels.sandbox.alipay import account_api, bills, cashier, certificates, clock, trade_api
from channels.sandbox.alipay.call import GatewayCall
from channels.sandbox.alipay.replies import (
    Reply,
    invalid_arguments,
    missing_arguments,
)
from channels.sandbox.alipay.signing import (
    REQUEST_UNSIGNED_FIELDS,
    canonical_string,
    response_key,
    rsa2_verify,
    signed_response_text,
    unsigned_response_text,
)
from channels.sandbox.alipay_certs import cert_sn, root_cert_sn
from channels.sandbox.credentials import SandboxCredentials

bp = Blueprint("sandbox_alipay_gateway")

HANDLERS: dict[str, Callable[[GatewayCall], Reply]] = {
    "alipay.system.oauth.token": account_api.oauth_token,
    "alipay.user.info.share": account_api.user_info_share,
    "alipay.open.app.mini.templatemessage.send": account_api.send_template_message,
    "alipay.trade.create": trade_api.create,
    "alipay.trade.query": trade_api.query,
    "alipay.trade.close": trade_api.close,
    "alipay.trade.refund": trade_api.refund,
    "alipay.trade.fastpay.refund.query": trade_api.refund_query,
    "alipay.data.dataservice.bill.downloadurl.query": bills.download_url_query,
    "alipay.open.app.alipaycert.download": certificates.download,
}
PAGE_METHODS = frozenset({"alipay.trade.wap.pay", "alipay.trade.page.pay"})


def read_params(request: Request) -> dict[str, str] | None:
    """Query string plus form body; None when undecodable or a parameter is repeated."""
    try:
        pairs = parse_qsl(
            request.query_string, keep_blank_values=True, encoding="utf-8", errors="strict"
        )
        content_type = request.headers.get("content-type", "")
        if request.method == "POST" and request.body:
            if content_type and "application/x-www-form-urlencoded" not in content_type:
                return None
            body = request.body.decode("utf-8")
            pairs += parse_qsl(body, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            return None
        params[key] = value
    return params


def refusal(params: dict[str, str], credentials: SandboxCredentials) -> Reply | None:
    """The gateway's own checks, in Alipay's order; None when the request may proceed."""
    method = params.get("method", "")
    if not params.get("app_id"):
        return missing_arguments("isv.missing-app-id", "缺少AppID参数")
    if not method:
        return missing_arguments("isv.missing-method", "缺少方法名参数")
    if method not in HANDLERS and method not in PAGE_METHODS:
        return invalid_arguments("isv.invalid-method", "不存在的方法名", signed=False)
    if params["app_id"] != credentials.alipay_app_id:
        return invalid_arguments("isv.invalid-app-id", "无效的AppID参数", signed=False)
    if params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        return invalid_arguments("isv.invalid-charset", "字符集错误", signed=False)
    if not params.get("sign"):
        return missing_arguments("isv.missing-signature", "缺少签名参数")
    if not params.get("sign_type"):
        return missing_arguments("isv.missing-signature-type", "缺少签名类型")
    if params["sign_type"] != "RSA2":
        return invalid_arguments("isv.invalid-signature-type", "无效的签名类型", signed=False)
    unsigned = canonical_string(params, unsigned=REQUEST_UNSIGNED_FIELDS)
    if not rsa2_verify(unsigned, params["sign"], credentials.alipay_app_public_key):
        return invalid_arguments(
            "isv.invalid-signature",
            "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为："
            + unsigned,
            signed=False,
        )
    if clock.parse_wire(params.get("timestamp", "")) is None:
        return invalid_arguments("isv.invalid-timestamp", "非法的时间戳参数", signed=False)
    return cert_mode_refusal(params, credentials)


def cert_mode(params: dict[str, str]) -> bool:
    """A request naming either certificate serial is in public-key-certificate mode."""
    return bool(params.get("app_cert_sn") or params.get("alipay_root_cert_sn"))


def cert_mode_refusal(params: dict[str, str], credentials: SandboxCredentials) -> Reply | None:
    """In certificate mode both serials must name the certificates Alipay issued."""
    if not cert_mode(params):
        return None
    if params.get("app_cert_sn") != cert_sn(credentials.alipay_app_public_cert):
        return invalid_arguments(
            "isv.app-cert-sn-not-match", "应用公钥证书序列号不匹配(app_cert_sn)", signed=False
        )
    if params.get("alipay_root_cert_sn") != root_cert_sn(credentials.alipay_root_cert):
        return invalid_arguments(
            "isv.alipay-root-cert-sn-not-match",
            "支付宝根证书序列号不匹配(alipay_root_cert_sn)",
            signed=False,
        )
    return None


def render(
    method: str,
    reply: Reply,
    credentials: SandboxCredentials,
    *,
    with_cert_sn: bool = False,
    signing: tuple[str, str] | None = None,
) -> HTTPResponse:
    """In certificate mode a signed answer names the certificate that verifies it: the
    current one (``signing``: certificate and key, after a reissue) or the original."""
    key = reply.envelope or response_key(method or "error")
    cert, private_key = signing or (credentials.alipay_public_cert, credentials.alipay_private_key)
    if reply.signed:
        text = signed_response_text(
            key,
            reply.payload,
            private_key if with_cert_sn else credentials.alipay_private_key,
            alipay_cert_sn=cert_sn(cert) if with_cert_sn else None,
        )
    else:
        text = unsigned_response_text(key, reply.payload)
    return HTTPResponse(text, content_type="application/json;charset=utf-8")


@bp.route("/gateway.do", methods=["GET", "POST"])
async def gateway(request: Request) -> HTTPResponse:
    credentials = request.app.ctx.config.credentials
    params = read_params(request)
    if params is None:
        reply = invalid_arguments(
            "isv.invalid-parameter", "参数无法解析（重复参数或编码错误）", signed=False
        )
        return render("", reply, credentials)
    method = params.get("method", "")
    refused = refusal(params, credentials)
    biz: Any = {}
    if refused is None:
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            biz = None
        if not isinstance(biz, dict):
            refused = invalid_arguments("isv.invalid-biz-content", "biz_content 不是 JSON 对象")
    if method in PAGE_METHODS:
        if refused is not None:
            return cashier.refusal_page(refused)
        return cashier.open_cashier(GatewayCall(request.app, method, params, biz))
    if refused is not None:
        return render(method, refused, credentials)
    reply = HANDLERS[method](GatewayCall(request.app, method, params, biz))
    return render(
        method,
        reply,
        credentials,
        with_cert_sn=cert_mode(params),
        signing=request.app.ctx.alipay.signing_cert,
    )
