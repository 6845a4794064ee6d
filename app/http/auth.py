"""Resident bearer tokens. Tokens travel only in the Authorization header, never in URLs."""

from __future__ import annotations

from sanic import Request

from app.errors import Unauthenticated
from app.identity.sessions import Principal


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
    return token.strip()


async def resident(request: Request) -> Principal:
    """The signed-in resident, or Unauthenticated / TokenInvalid."""
    principal: Principal = await request.app.ctx.services.sessions.resolve(bearer_token(request))
    request.ctx.principal = principal
    return principal
