"""Shared fixtures: a fresh PostgreSQL database, a Redis db, the sandbox, and a live server.

Everything is real: PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379 (started by
.ci/run). The live server is ``yiwang serve --workers 2`` in a subprocess, with the sandbox
and the background worker managed beside it, exactly as a deployment would run.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from tortoise import Tortoise, connections

from app.catalog import audit
from app.config import Settings, load_settings
from app.crypto_config import national_secrets
from app.runtime import schema
from infra import clock, db
from tests.sandbox_process import free_port, wait_until_up

PG_ADMIN = os.environ.get("YIWANG_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
# Redis dbs a test session may claim (db 2 belongs to the channel adapter tests).
REDIS_DBS = [1, *range(3, 16)]
ARTIFACTS = Path(__file__).parent / "artifacts"
# The live server's scrape token (tests/test_health_and_openapi.py reads /metrics with it).
METRICS_TOKEN = secrets.token_urlsafe(24)


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _business_start() -> dict[str, str]:
    """``YIWANG_TEST_AT=23:30`` runs the whole session at that Shanghai hour: the next such
    instant from now (today's if it is still ahead). Every live server is given the same start
    and real instant, and so is this process, so all of them read the same business time.
    """
    at = os.environ.get("YIWANG_TEST_AT", "").strip()
    if not at:
        return {}
    hour, minute = (int(part) for part in at.split(":"))
    real = datetime.now(UTC)
    local = real.astimezone(clock.SHANGHAI)
    start = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if start < local:
        start += timedelta(days=1)
    return {"YIWANG_CLOCK_START": start.isoformat(), "YIWANG_CLOCK_REAL": real.isoformat()}


# Read once, when the session starts: every process of the session shares this start, the
# servers and commands a test starts with this process's environment included.
BUSINESS_START = _business_start()
os.environ.update(BUSINESS_START)
# A server under test on a machine busy with other work can take longer than Sanic's 30 s to
# start a worker; Sanic then SIGKILLs the server's whole process group. Servers the tests start
# get more time (and run in a session of their own, so a kill never reaches pytest).
os.environ.setdefault("YIWANG_WORKER_START_SECONDS", "300")
if BUSINESS_START:
    clock.start_at(
        datetime.fromisoformat(BUSINESS_START["YIWANG_CLOCK_START"]),
        real=datetime.fromisoformat(BUSINESS_START["YIWANG_CLOCK_REAL"]),
    )


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("yiwang")


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    async with fresh_database() as url:
        yield url


@contextlib.contextmanager
def claimed_redis_db() -> Iterator[str]:
    """Claim a free Redis db (released on exit), so parallel test sessions, and a test that
    needs a world of its own, never flush or serve each other's data and job queues.

    A claim names the process that holds it. A session that was killed never releases its
    claims, so a claim whose process is gone from this machine is taken over (the Redis keeps
    running between sessions and CI; the claims' expiry alone would lock every db for hours).
    """
    import redis as sync_redis

    registry = sync_redis.Redis(host="127.0.0.1", port=6379, db=0)
    token = f"{os.getpid()}:{secrets.token_hex(8)}"
    claimed = next((n for n in REDIS_DBS if _claim(registry, n, token)), None)
    if claimed is None:
        raise RuntimeError("every Redis test db is claimed by a running test session")
    try:
        yield f"redis://127.0.0.1:6379/{claimed}"
    finally:
        if registry.get(f"yiwang-test-db:{claimed}") == token.encode():
            registry.delete(f"yiwang-test-db:{claimed}")
        registry.close()


# Take a claim over only if it still holds the stale value we read (no race with a taker).
_TAKE_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
end
return false
"""
_CLAIM_SECONDS = 3 * 3600


def _claim(registry: Any, n: int | str, token: str) -> bool:
    key = f"yiwang-test-db:{n}"
    if registry.set(key, token, nx=True, ex=_CLAIM_SECONDS):
        return True
    holder = registry.get(key)
    if holder is None or _holder_alive(holder.decode(errors="replace")):
        return False
    return bool(registry.eval(_TAKE_OVER, 1, key, holder, token, _CLAIM_SECONDS))


def _holder_alive(holder: str) -> bool:
    pid_text, _, _ = holder.partition(":")
    if not pid_text.isdigit():
        return False  # a claim from before claims named their process
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database, dropped on exit."""
    name = f"yiwang_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """Claim a Redis db for this session, so parallel test sessions never flush each other."""
    with claimed_redis_db() as url:
        yield url


@dataclass(frozen=True)
class Ports:
    api: int
    sandbox: int


@pytest.fixture(scope="session")
def ports() -> Ports:
    return Ports(free_port(), free_port())


@pytest.fixture(scope="session")
def env(database_url: str, redis_url: str, workdir: Path, ports: Ports) -> dict[str, str]:
    """The environment a deployment would have: secrets, URLs, and the sandbox switched on."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PII_KEY": _key(),
        "PII_HASH_KEY": _key(),
        "RECEIPT_SIGNING_KEY": f"t1:{_key()}",
        **national_secrets(receipt_key_id="t2"),
        "YIWANG_SANDBOX": "1",
        "YIWANG_SANDBOX_TIME_SCALE": "0.001",
        "YIWANG_EMBEDDED_WORKER": "1",
        "YIWANG_VAR_DIR": str(workdir),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports.api}",
        "YIWANG_SANDBOX_PORT": str(ports.sandbox),
        # Tests that count notifications ask for probes explicitly (/sandbox/wechat/probes).
        "YIWANG_SANDBOX_PROBE_EVERY": "0",
        "YIWANG_METRICS_TOKEN": METRICS_TOKEN,
        # As behind one nginx: a test may speak for a client address of its own.
        "YIWANG_PROXIES_COUNT": "1",
        **BUSINESS_START,
    }


@pytest.fixture(scope="session")
def settings(env: dict[str, str], ports: Ports) -> Settings:
    return load_settings(env, port=ports.api, sandbox_port=ports.sandbox, workers=2)


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[None]:
    """Migrate the fresh database and open Tortoise in the test process."""
    config = schema.config(settings.database_url)
    await db.migrate(config)
    await db.open_database(config)
    audit.use_chain_key(settings.crypto_suite.audit_mac_key)
    yield
    await Tortoise.close_connections()


@pytest.fixture(scope="session")
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


async def truncate_all() -> None:
    tables = [
        model._meta.db_table for models in Tortoise.apps.values() for model in models.values()
    ]
    conn = connections.get("default")
    existing = {
        row["tablename"]
        for row in await conn.execute_query_dict(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    }
    quoted = ", ".join(f'"{t}"' for t in tables if t in existing)
    if not quoted:
        return
    # The live server's worker keeps polling (sweeps, expiries, refund queries) and locks
    # rows in its own order; TRUNCATE's table locks can deadlock with it. PostgreSQL
    # picks one side to abort; when it is this side, take the locks again.
    for attempt in range(5):
        try:
            await conn.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
            return
        except Exception as exc:
            if "deadlock" not in str(exc).lower() or attempt == 4:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))


@pytest.fixture
async def clean(database: None, redis: aioredis.Redis) -> AsyncIterator[None]:
    """A test that changes data starts from empty tables and an empty Redis db."""
    await truncate_all()
    await redis.flushdb()
    clock.reset()
    yield
    clock.reset()


@dataclass(frozen=True)
class LiveServer:
    api: str
    sandbox: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="session")
def live_server(
    env: dict[str, str], ports: Ports, database: None, workdir: Path
) -> Iterator[LiveServer]:
    """``yiwang serve --workers 2`` with the sandbox and worker managed beside it."""
    args = ["--workers", "2", "--port", str(ports.api), "--sandbox-port", str(ports.sandbox)]
    with serving(args, env, f"live-server-{ports.api}.log") as process:
        server = LiveServer(
            f"http://127.0.0.1:{ports.api}", f"http://127.0.0.1:{ports.sandbox}", process
        )
        # Generous: a loaded 2-core machine takes long to import and fork two workers.
        wait_until_up(server.api + "/readyz", timeout=150)
        wait_until_up(server.sandbox + "/sandbox/health", timeout=30)
        yield server


@contextmanager
def serving(args: list[str], env: dict[str, str], log_name: str) -> Iterator[subprocess.Popen]:
    """``yiwang serve ARGS`` in a subprocess, logging to ARTIFACTS, stopped on the way out."""
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / log_name).open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", *args],
        env={**os.environ, **env, "YIWANG_LOG_FORMAT": "json"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the server and its workers
        log.close()


@dataclass(frozen=True)
class WeChatV2Stack:
    """A second instance on the other channel modes: WeChat Pay API v2 and Alipay's
    certificate mode, beside the v3 / public-key one. Same database, Redis and sandbox (a
    merchant's v2 and v3 APIs see the same trades), no worker of its own. The payments
    fault tests and the journey run against both (tests/payments/conftest.py)."""

    api: str
    env: dict[str, str]
    settings: Settings


@pytest.fixture(scope="session")
def wechat_v2_stack(env: dict[str, str], live_server: LiveServer) -> Iterator[WeChatV2Stack]:
    port = free_port()
    v2_env = {
        **env,
        "WECHAT_PAY_API": "v2",
        "ALIPAY_SIGN_MODE": "cert",
        "YIWANG_SANDBOX_URL": live_server.sandbox,
        "YIWANG_EMBEDDED_WORKER": "0",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    args = ["--workers", "1", "--port", str(port)]
    with serving(args, v2_env, f"live-server-v2-{port}.log"):
        wait_until_up(f"http://127.0.0.1:{port}/readyz", timeout=60)
        yield WeChatV2Stack(
            f"http://127.0.0.1:{port}", v2_env, load_settings(v2_env, port=port, workers=1)
        )


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.api, timeout=20) as client:
        yield client


@pytest.fixture
async def sandbox(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.sandbox, timeout=20) as client:
        yield client


@pytest.fixture
async def services(
    settings: Settings, database: None, live_server: LiveServer
) -> AsyncIterator[Any]:
    """The server's services, built in the test process (for jobs a test runs by hand)."""
    from app.runtime.services import build_services

    built = await build_services(settings)
    yield built
    await built.release()
