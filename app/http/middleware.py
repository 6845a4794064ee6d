"""Request ids (accepted from X-Request-Id or made here) and one access log line per request."""

from __future__ import annotations

import logging
import re
import secrets
import time

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from infra.logs import request_id_var

log = logging.getLogger("yiwang.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


async def assign_request_id(request: Request) -> None:
    incoming = request.headers.get("x-request-id", "")
    request.ctx.request_id = incoming if _SAFE_ID.match(incoming) else secrets.token_hex(8)
    request.ctx.started = time.perf_counter()
    request_id_var.set(request.ctx.request_id)


async def stamp_response(request: Request, response: HTTPResponse) -> None:
    request_id = getattr(request.ctx, "request_id", None)
    if request_id:
        response.headers["X-Request-Id"] = request_id
    if request.app.ctx.access_log:
        elapsed = (
            time.perf_counter() - getattr(request.ctx, "started", time.perf_counter())
        ) * 1000
        log.info("%s %s %s %.1fms", request.method, request.path, response.status, elapsed)


def install(app: Sanic) -> None:
    app.register_middleware(assign_request_id, "request")
    app.register_middleware(stamp_response, "response")
