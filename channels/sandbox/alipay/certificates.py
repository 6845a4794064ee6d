"""Alipay's public-key certificate upgrade (支付宝公钥证书无感知升级), the sandbox's side.

Alipay reissues its public-key certificate (a new serial, the same key) before the old one
ends. From then on every signed answer in certificate mode names the new ``alipay_cert_sn``;
a merchant holding only the old certificate fetches the one named with
``alipay.open.app.alipaycert.download`` and trusts it if it chains to Alipay's root
certificates. That answer carries no signature: the root is what vouches for it.

``POST /sandbox/alipay/certificates/rotate`` reissues (``{"forged": true}`` instead makes an
impostor's certificate and key, under a root of the same name that is not Alipay's, and
signs answers with it: what a merchant must refuse). ``GET /sandbox/alipay/certificates``
shows the current serial and the serials merchants downloaded.
"""

from __future__ import annotations

import base64

from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from channels.sandbox.alipay.call import GatewayCall
from channels.sandbox.alipay.replies import Reply, business_failure
from channels.sandbox.alipay.state import AlipayState
from channels.sandbox.alipay_certs import cert_sn, forged, reissue
from channels.sandbox.control import bad_request, json_body

bp = Blueprint("sandbox_alipay_certificates", url_prefix="/sandbox/alipay/certificates")


def download(call: GatewayCall) -> Reply:
    """``alipay.open.app.alipaycert.download``: the certificate with the asked serial,
    base64 of its PEM, unsigned."""
    wanted = call.text("alipay_cert_sn")
    state = call.state
    original = call.credentials.alipay_public_cert
    known = {cert_sn(original): original, **state.alipay_certs}
    if state.signing_cert is not None:
        known[cert_sn(state.signing_cert[0])] = state.signing_cert[0]
    state.cert_downloads.append(wanted)
    if not wanted:
        return business_failure("isv.missing-alipay-cert-sn", "缺少支付宝公钥证书序列号")
    if wanted not in known:
        return business_failure("isv.invalid-alipay-cert-sn", "支付宝公钥证书序列号不存在")
    content = base64.b64encode(known[wanted].encode()).decode()
    return Reply({"code": "10000", "msg": "Success", "alipay_cert_content": content}, signed=False)


@bp.post("/rotate")
async def rotate(request: Request) -> JSONResponse:
    body = json_body(request)
    if body is None:
        return bad_request("a JSON object is required")
    impostor = body.get("forged", False)
    if not isinstance(impostor, bool):
        return bad_request("forged must be true or false")
    credentials = request.app.ctx.config.credentials
    state: AlipayState = request.app.ctx.alipay
    if impostor:
        state.signing_cert = forged()
    else:
        if not credentials.alipay_root_private_key:
            return json(
                {"code": "SANDBOX_NO_ROOT_KEY", "message": "these credentials predate reissuing"},
                status=409,
            )
        cert = reissue(
            credentials.alipay_root_cert,
            credentials.alipay_root_private_key,
            credentials.alipay_public_key,
        )
        state.alipay_certs[cert_sn(cert)] = cert
        state.signing_cert = (cert, credentials.alipay_private_key)
    return json({"alipay_cert_sn": cert_sn(state.signing_cert[0])}, status=201)


@bp.get("")
async def current(request: Request) -> JSONResponse:
    state: AlipayState = request.app.ctx.alipay
    credentials = request.app.ctx.config.credentials
    cert = state.signing_cert[0] if state.signing_cert else credentials.alipay_public_cert
    return json({"alipay_cert_sn": cert_sn(cert), "downloads": list(state.cert_downloads)})
