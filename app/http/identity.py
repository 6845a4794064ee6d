"""Resident sign-in, sign-out, the current citizen, and real-name verification."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, StrictBool
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, empty, json

from app.errors import RateLimited
from app.http.auth import resident
from app.http.bodies import parse
from app.http.openapi import documented
from infra.ratelimit import allow

bp = Blueprint("identity", url_prefix="/api/v1")


class SessionRequest(BaseModel):
    channel: Literal["wechat", "alipay", "app"]
    code: str = Field(min_length=1, max_length=512)


class VerificationRequest(BaseModel):
    channel: Literal["wechat"]
    verify_result: str = Field(min_length=1, max_length=512)
    # Only needed when the channel returns digests alone (see docs/identity.md).
    name: str | None = Field(default=None, max_length=64)
    id_number: str | None = Field(default=None, max_length=18)


class PreferencesRequest(BaseModel):
    # Strict: "yes" or 1 is not a choice the resident made.
    elder_mode: StrictBool
    text_scale: Literal[100, 125, 150, 175, 200] | None = None


def client_address(request: Request) -> str:
    return request.remote_addr or request.ip or "unknown"


@bp.post("/sessions")
@documented(
    "Sign in with a channel code (wx.login, my.getAuthCode or the app's SSO ticket).",
    body=SessionRequest,
    responses={201: "token, expires_at and the masked citizen", 401: "LOGIN_CODE_INVALID"},
    tag="identity",
)
async def create_session(request: Request) -> JSONResponse:
    services = request.app.ctx.services
    limit = services.settings.login_rate_per_minute
    if not await allow(
        services.redis, f"login:{client_address(request)}", limit=limit, window_seconds=60
    ):
        raise RateLimited()
    body = parse(request, SessionRequest)
    signed_in = await services.accounts.sign_in(body.channel, body.code)
    return json(
        {
            "token": signed_in.token,
            "expires_at": signed_in.expires_at.isoformat(),
            "citizen": signed_in.citizen.as_dict(),
        },
        status=201,
    )


@bp.delete("/sessions/current")
@documented(
    "Sign out: the token stops working at once, on every worker.",
    auth="resident",
    responses={204: "signed out"},
    tag="identity",
    produces=None,
)
async def delete_session(request: Request) -> HTTPResponse:
    principal = await resident(request)
    await request.app.ctx.services.sessions.revoke(principal)
    return empty(status=204)


@bp.get("/me")
@documented("The signed-in citizen, masked.", auth="resident", tag="identity")
async def me(request: Request) -> JSONResponse:
    principal = await resident(request)
    view = await request.app.ctx.services.accounts.view(principal.citizen_id)
    return json(view.as_dict())


@bp.post("/me/verification")
@documented(
    "Real-name verification through WeChat city-service face verification.",
    body=VerificationRequest,
    auth="resident",
    responses={200: "the citizen, now verified", 403: "VERIFICATION_NOT_YOURS"},
    tag="identity",
)
async def verify(request: Request) -> JSONResponse:
    principal = await resident(request)
    body = parse(request, VerificationRequest)
    view = await request.app.ctx.services.accounts.verify_with_face(
        principal, body.verify_result, name=body.name, id_number=body.id_number
    )
    return json(view.as_dict())


@bp.put("/me/preferences")
@documented(
    "Choose 长辈版 (elder mode) and the text scale; the choice follows the citizen to every "
    "channel and ends the offer made at 60.",
    body=PreferencesRequest,
    auth="resident",
    responses={200: "the citizen with preferences", 422: "INVALID_INPUT"},
    tag="identity",
)
async def put_preferences(request: Request) -> JSONResponse:
    principal = await resident(request)
    body = parse(request, PreferencesRequest)
    view = await request.app.ctx.services.accounts.set_preferences(
        principal.citizen_id, elder_mode=body.elder_mode, text_scale=body.text_scale
    )
    return json(view.as_dict())
