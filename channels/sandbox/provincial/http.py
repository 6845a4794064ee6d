"""Shared HTTP pieces of the provincial sandbox: error bodies, JSON input, signed calls."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse, JSONResponse, json

from channels.sandbox.provincial.signing import SignatureError, authenticate

Handler = Callable[..., Awaitable[HTTPResponse]]


def error(code: str, message: str, status: int) -> JSONResponse:
    return json({"code": code, "message": message}, status=status)


def invalid(message: str) -> JSONResponse:
    return error("INVALID_PARAMS", message, 400)


def json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = request.json
    except Exception:
        return None
    return body if isinstance(body, dict) else None


def request_target(request: Request) -> str:
    """PATH as signed: the raw path plus ``?query`` exactly as sent."""
    query = request.query_string
    return f"{request.path}?{query}" if query else request.path


def signed(handler: Handler) -> Handler:
    """Refuse any server-to-server call that is not signed by the registered client."""

    @functools.wraps(handler)
    async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        creds = request.app.ctx.config.credentials
        try:
            authenticate(
                client_id=creds.app_client_id,
                secret=creds.app_client_secret,
                nonces=request.app.ctx.provincial.nonces,
                method=request.method,
                path=request_target(request),
                headers=request.headers,
                body=request.body or b"",
            )
        except SignatureError as exc:
            return error(exc.code, exc.message, 401)
        return await handler(request, *args, **kwargs)

    return guarded
