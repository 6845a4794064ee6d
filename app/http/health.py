from __future__ import annotations

import asyncio

from sanic import Blueprint, Request
from sanic.response import JSONResponse, json
from tortoise import connections

from app.http.openapi import documented

bp = Blueprint("health")


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


@bp.get("/healthz")
@documented("Liveness and readiness: checks the database and Redis for real.", tag="ops")
async def healthz(request: Request) -> JSONResponse:
    database, redis = await asyncio.gather(_database_ok(), _redis_ok(request))
    ok = database and redis
    checks = {"database": "ok" if database else "down", "redis": "ok" if redis else "down"}
    return json({"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503)
