"""Sandbox control endpoints from the public contract: people and login codes.

Channel-specific controls (face verification, "the person pays") live with their
channel's module.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request, Sanic
from sanic.response import JSONResponse, json

bp = Blueprint("sandbox_control", url_prefix="/sandbox")


def bad_request(message: str) -> JSONResponse:
    return json({"code": "SANDBOX_BAD_REQUEST", "message": message}, status=400)


def json_body(request: Request) -> dict[str, Any] | None:
    try:
        body = request.json
    except Exception:
        return None
    return body if isinstance(body, dict) else None


@bp.get("/health")
async def health(request: Request) -> JSONResponse:
    return json({"status": "ok"})


@bp.post("/users")
async def create_user(request: Request) -> JSONResponse:
    body = json_body(request)
    if (
        body is None
        or not isinstance(body.get("name"), str)
        or not isinstance(body.get("id_number"), str)
    ):
        return bad_request("name and id_number are required strings")
    phone = body.get("phone")
    if phone is not None and not isinstance(phone, str):
        return bad_request("phone must be a string")
    person = request.app.ctx.people.create(body["name"], body["id_number"].upper(), phone)
    return json(
        {
            "wechat": {"openid": person.wechat_openid, "unionid": person.wechat_unionid},
            "alipay": {"user_id": person.alipay_user_id},
            "app": {"user_id": person.app_user_id},
        },
        status=201,
    )


@bp.post("/<channel:wechat|alipay|app>/login-codes")
async def issue_login_code(request: Request, channel: str) -> JSONResponse:
    body = json_body(request)
    user = body.get("user") if body else None
    if not isinstance(user, str):
        return bad_request("user is required: the person's id on this channel")
    person = request.app.ctx.people.find(channel, user)
    if person is None:
        return json({"code": "SANDBOX_UNKNOWN_USER", "message": "no such user"}, status=404)
    return json({"code": request.app.ctx.people.issue_code(channel, person)}, status=201)


@bp.post("/agency-webhooks/<agency:str>")
async def agency_webhook_inbox(request: Request, agency: str) -> JSONResponse:
    """Stands in for an agency's own system in the demo: records every webhook it gets."""
    inbox = request.app.ctx.agency_inbox.setdefault(agency, [])
    inbox.append(
        {
            "headers": {
                k.lower(): v for k, v in request.headers.items() if k.lower().startswith("x-")
            },
            "body": (request.body or b"").decode("utf-8", errors="replace"),
        }
    )
    return json({"received": len(inbox)})


@bp.get("/agency-webhooks/<agency:str>")
async def agency_webhook_list(request: Request, agency: str) -> JSONResponse:
    return json({"webhooks": request.app.ctx.agency_inbox.get(agency, [])})


def install(app: Sanic) -> None:
    app.ctx.agency_inbox = {}
    app.blueprint(bp)
