"""The real PostgreSQL and Redis a benchmark runs against: a fresh database, a claimed Redis db.

The Redis db is claimed in the same registry the test sessions use (tests/conftest.py:
``yiwang-test-db:<n>`` in db 0, set NX with an expiry), so a benchmark and a test session
never flush each other's db. The claim's value names the benchmark, so an operator who finds
it knows who holds the db.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import redis.asyncio as aioredis

PG_ADMIN = os.environ.get("YIWANG_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("YIWANG_BENCH_REDIS", "redis://127.0.0.1:6379")
# The dbs test sessions claim too (db 2 belongs to the channel adapter tests).
REDIS_DBS = [1, *range(3, 16)]
CLAIM_KEY = "yiwang-test-db:{n}"
CLAIM_SECONDS = 3 * 3600


class ServiceUnavailable(RuntimeError):
    """PostgreSQL or Redis cannot be reached; the message says which and where."""


async def check_reachable() -> None:
    try:
        connection = await asyncpg.connect(PG_ADMIN, timeout=5)
        await connection.close()
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ServiceUnavailable(f"PostgreSQL at {PG_ADMIN} is not reachable: {exc}") from exc
    client = aioredis.from_url(f"{REDIS_BASE}/0", socket_connect_timeout=5)
    try:
        await client.ping()
    except (OSError, aioredis.RedisError) as exc:
        raise ServiceUnavailable(f"Redis at {REDIS_BASE} is not reachable: {exc}") from exc
    finally:
        await client.aclose()


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new, empty database for this run, dropped at the end even if the run fails."""
    name = f"yiwang_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def claimed_redis_db() -> AsyncIterator[str]:
    """Claim a free Redis db, empty it, and give it back (emptied) at the end."""
    registry = aioredis.from_url(f"{REDIS_BASE}/0")
    token = f"bench:{os.getpid()}:{secrets.token_hex(8)}"
    claimed = None
    try:
        for n in REDIS_DBS:
            if await registry.set(CLAIM_KEY.format(n=n), token, nx=True, ex=CLAIM_SECONDS):
                claimed = n
                break
        if claimed is None:
            raise ServiceUnavailable("every Redis db is claimed by a test or benchmark session")
        url = f"{REDIS_BASE}/{claimed}"
        await _flush(url)
        try:
            yield url
        finally:
            await _flush(url)
    finally:
        if claimed is not None:
            key = CLAIM_KEY.format(n=claimed)
            if await registry.get(key) == token.encode():
                await registry.delete(key)
        await registry.aclose()


async def _flush(url: str) -> None:
    client = aioredis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


async def fetchval(database_url: str, query: str, *args: object) -> object:
    """One value from the bench database, for a scenario's after-run invariants."""
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


async def service_versions() -> dict[str, str]:
    """PostgreSQL and Redis versions, recorded beside the figures they shaped."""
    connection = await asyncpg.connect(PG_ADMIN)
    try:
        postgres = str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()
    client = aioredis.from_url(f"{REDIS_BASE}/0")
    try:
        redis_version = str((await client.info("server")).get("redis_version", ""))
    finally:
        await client.aclose()
    return {"postgresql": postgres, "redis": redis_version}
