"""WeChat's JSON platform APIs: access token, mini-program login, city-service face
verification and subscribe messages.

Error answers copy WeChat's: HTTP 200 with ``{"errcode","errmsg"}``. Every API that takes
an ``access_token`` answers 40001 for a token this sandbox never issued (or one that has
expired), which is what makes wechatpy fetch a fresh token and retry.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from sanic import Blueprint, Request
from sanic.response import JSONResponse, json

from channels.sandbox.wechat.state import SentMessage, WeChatState

bp = Blueprint("sandbox_wechat_open_api")


def wechat_error(errcode: int, errmsg: str) -> JSONResponse:
    return json({"errcode": errcode, "errmsg": errmsg})


def _state(request: Request) -> WeChatState:
    return request.app.ctx.wechat


def _app_credentials_error(
    request: Request, appid: str | None, secret: str | None
) -> JSONResponse | None:
    creds = request.app.ctx.config.credentials
    if appid != creds.wechat_appid:
        return wechat_error(40013, "invalid appid")
    if not secret or not secrets.compare_digest(secret, creds.wechat_secret):
        return wechat_error(40125, "invalid appsecret")
    return None


def _token_error(request: Request) -> JSONResponse | None:
    token = request.args.get("access_token")
    if not token:
        return wechat_error(41001, "access_token missing")
    if not _state(request).token_valid(token):
        return wechat_error(40001, "invalid credential, access_token is invalid or not latest")
    return None


def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = request.json
    except Exception:
        return None
    return body if isinstance(body, dict) else None


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


@bp.get("/cgi-bin/token")
async def access_token(request: Request) -> JSONResponse:
    if request.args.get("grant_type") != "client_credential":
        return wechat_error(40002, "invalid grant_type")
    error = _app_credentials_error(request, request.args.get("appid"), request.args.get("secret"))
    if error is not None:
        return error
    token = _state(request).issue_token()
    return json({"access_token": token, "expires_in": 7200})


@bp.get("/sns/jscode2session")
async def jscode2session(request: Request) -> JSONResponse:
    if request.args.get("grant_type") != "authorization_code":
        return wechat_error(40002, "invalid grant_type")
    error = _app_credentials_error(request, request.args.get("appid"), request.args.get("secret"))
    if error is not None:
        return error
    code = request.args.get("js_code") or ""
    person = request.app.ctx.people.redeem("wechat", code)
    if person is None:
        return wechat_error(40029, "invalid code")
    return json(
        {
            "openid": person.wechat_openid,
            "session_key": secrets.token_urlsafe(18),
            "unionid": person.wechat_unionid,
        }
    )


@bp.post("/cityservice/face/identify/getinfo")
async def face_identify_getinfo(request: Request) -> JSONResponse:
    error = _token_error(request)
    if error is not None:
        return error
    body = _json_object(request)
    verify_result = body.get("verify_result") if body else None
    if not isinstance(verify_result, str) or not verify_result:
        return wechat_error(47001, "data format error: verify_result is required")
    check = _state(request).face_checks.get(verify_result)
    if check is None or check.expires_at < time.time():
        return wechat_error(84001, "invalid verify_result")
    person = request.app.ctx.people.find("wechat", check.openid)
    return json(
        {
            "errcode": 0,
            "errmsg": "ok",
            "identify_ret": 0,
            "identify_time": check.identify_time,
            "validate_data": check.validate_data,
            "openid": check.openid,
            "user_id_key": hashlib.sha256(check.openid.encode()).hexdigest()[:32],
            "finish_time": check.identify_time + 3,
            "id_card_number_md5": md5_upper(person.id_number),
            "name_utf8_md5": md5_upper(person.name),
            # Sandbox extension: the city-service real-name disclosure, in clear.
            "name": person.name,
            "id_card_number": person.id_number,
        }
    )


@bp.post("/cgi-bin/message/subscribe/send")
async def subscribe_send(request: Request) -> JSONResponse:
    error = _token_error(request)
    if error is not None:
        return error
    body = _json_object(request)
    if body is None:
        return wechat_error(47001, "data format error")
    touser, template_id, data = body.get("touser"), body.get("template_id"), body.get("data")
    if not isinstance(template_id, str) or not template_id:
        return wechat_error(40037, "invalid template_id")
    if not isinstance(data, dict):
        return wechat_error(47003, "argument invalid! data is required")
    if not isinstance(touser, str) or request.app.ctx.people.find("wechat", touser) is None:
        return wechat_error(40003, "invalid openid")
    page = body.get("page")
    _state(request).messages.append(
        SentMessage(touser, template_id, page if isinstance(page, str) else None, data, time.time())
    )
    return json({"errcode": 0, "errmsg": "ok"})
