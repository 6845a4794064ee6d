"""What the load balancer and the scraper ask: alive, ready, and the metrics.

``/healthz`` touches nothing, so a slow database never makes the balancer kill a process
that is only waiting. ``/readyz`` asks the database, Redis and the migration recorder, and
fails first while the instance drains (SIGTERM), so traffic moves away before the
listener closes. ``/metrics`` is for the machine itself or a scraper holding the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
from functools import cache

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, JSONResponse, json, raw
from tortoise import connections

from app import errors as e
from app.http.openapi import documented
from app.runtime import schema
from app.runtime.process_watch import expected_processes, missing_processes
from infra import db, metrics
from infra.outbox import stats as outbox_stats

bp = Blueprint("health")

# Headers a proxy adds: a request carrying one came from elsewhere, whatever its socket says.
_FORWARDED = ("x-forwarded-for", "forwarded", "x-real-ip")


# asyncio.timeout rather than wait_for: wait_for wraps its awaitable in one more task, and
# gather below already runs each check as a task of its own.
async def _database_ok() -> bool:
    try:
        async with asyncio.timeout(2):
            await connections.get("default").execute_query("SELECT 1")
        return True
    except Exception:
        return False


async def _redis_ok(request: Request) -> bool:
    try:
        async with asyncio.timeout(2):
            return bool(await request.app.ctx.services.redis.ping())
    except Exception:
        return False


@cache
def _shipped_migrations() -> frozenset[tuple[str, str]]:
    return db.migrations_on_disk(schema.APPS)


async def _migrations_pending() -> list[str] | None:
    try:
        async with asyncio.timeout(2):
            return await db.pending_migrations(_shipped_migrations())
    except Exception:
        return None


def draining(request: Request) -> bool:
    flag = getattr(request.app.shared_ctx, "draining", None)
    return bool(flag is not None and flag.value)


@bp.get("/healthz")
@documented("Liveness: the process answers. It touches no database and no Redis.", tag="ops")
async def healthz(request: Request) -> JSONResponse:
    return json({"status": "alive"})


@bp.get("/readyz")
@documented(
    "Readiness: the database and Redis answer, migrations are current, and the instance is "
    "not draining. 503 with the failing checks otherwise.",
    responses={200: "ready, with each check", 503: "not ready, with each check"},
    tag="ops",
)
async def readyz(request: Request) -> JSONResponse:
    database, redis, pending = await asyncio.gather(
        _database_ok(), _redis_ok(request), _migrations_pending()
    )
    missing = _missing_processes(request)
    checks = {
        "database": "ok" if database else "down",
        "redis": "ok" if redis else "down",
        "migrations": "current" if pending == [] else "unknown" if pending is None else "pending",
        "draining": draining(request),
        "processes": "ok" if not missing else "missing",
    }
    ok = database and redis and pending == [] and not checks["draining"] and not missing
    body: dict[str, object] = {"status": "ready" if ok else "not_ready", "checks": checks}
    if pending:
        body["pending_migrations"] = pending
    if missing:
        body["missing_processes"] = missing
    return json(body, status=200 if ok else 503)


def _missing_processes(request: Request) -> dict[str, int]:
    """Process groups with fewer live processes than the instance should have (a dead HTTP
    worker or background worker not back yet), from the manager's shared state."""
    try:
        worker_state = request.app.m.workers
    except (AttributeError, RuntimeError):  # one process, no manager
        return {}
    return missing_processes(worker_state, expected_processes(request.app.ctx.settings))


async def _sample_outbox() -> None:
    """The outbox's lag and undelivered events, read now; a database that does not answer
    in a second leaves the last figures (its own alert is readiness)."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1):
            look = await outbox_stats.snapshot()
        metrics.record_outbox(look.lag_seconds, look.counts)


def _may_read_metrics(request: Request) -> bool:
    token = request.app.ctx.settings.ops.metrics_token
    header = request.headers.get("authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[7:].encode(), token.encode())
    if any(name in request.headers for name in _FORWARDED):
        return False
    peer = request.conn_info.client_ip if request.conn_info else ""
    try:
        return ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
@documented(
    "Prometheus text format, merged over the instance's worker processes. Answered to the "
    "machine itself (loopback, not through a proxy) or to `Authorization: Bearer` with "
    "the token from YIWANG_METRICS_TOKEN.",
    responses={200: "the exposition (text/plain)", 403: "METRICS_FORBIDDEN"},
    tag="ops",
    produces="text/plain",
)
async def metrics_endpoint(request: Request) -> HTTPResponse:
    if not _may_read_metrics(request):
        raise e.MetricsForbidden()
    await _sample_outbox()
    body = metrics.render(request.app.ctx.settings.ops.metrics_dir)
    return raw(body, content_type=metrics.CONTENT_TYPE)
