"""Request ids (accepted from X-Request-Id or made here) and one access log line per request.

Both run on every request, so they are plain functions (no coroutine to create and await)
and the line is written by ``infra.logs.access``, the cheap path for exactly this line.
"""

from __future__ import annotations

import re
import secrets
import time

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from app.http.bodies import parse_json_body
from app.http.compression import compress_json
from infra import logs, metrics
from infra.logs import request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def assign_request_id(request: Request) -> None:
    ctx = request.ctx
    incoming = request.headers.get("x-request-id", "")
    if incoming and _SAFE_ID.match(incoming):
        ctx.request_id, ctx.request_id_ours = incoming, False
    else:
        ctx.request_id, ctx.request_id_ours = secrets.token_hex(8), True
    ctx.started = time.perf_counter()
    request_id_var.set(ctx.request_id)


def stamp_response(request: Request, response: HTTPResponse) -> None:
    request_id = getattr(request.ctx, "request_id", None)
    if request_id:
        response.headers["X-Request-Id"] = request_id
    started = getattr(request.ctx, "started", None)
    seconds = time.perf_counter() - started if started is not None else 0.0
    # The route's template (``/api/v1/orders/<order_id>``), never the path: a path carries
    # ids and whatever a client typed, and every distinct one would be a new series.
    route = request.route
    if request.app.ctx.request_metrics:
        metrics.observe_request(
            request.method,
            "/" + route.path if route is not None else None,
            response.status,
            seconds,
        )
    if request.app.ctx.access_log:
        logs.access(
            request.method,
            request.path,
            response.status,
            seconds * 1000,
            request_id,
            request_id_ours=getattr(request.ctx, "request_id_ours", False),
        )


def install(app: Sanic) -> None:
    app.register_middleware(assign_request_id, "request")
    app.register_middleware(parse_json_body, "request")
    app.register_middleware(stamp_response, "response")
    app.register_middleware(compress_json, "response")
