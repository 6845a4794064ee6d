"""Killing the background worker mid-delivery loses nothing: a restarted worker finishes.

The outbox (PostgreSQL) is the record; arq only carries nudges. Events the dead worker had
leased are delivered after the lease runs out. The workers here run on a database and a
Redis db of their own, so no other worker of the test session (the live server's embedded
one) can deliver an event: every delivery after the kill is the restarted worker's.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import BinaryIO

import asyncpg
import pytest

from infra import clock
from tests.conftest import ARTIFACTS, claimed_redis_db, fresh_database
from tests.journeys import create_agency_via_cli, eventually
from tests.receivers import Receiver, receiver

EVENTS = 24
WORKER_CONCURRENCY = 10  # arq's max_jobs


@pytest.fixture
async def own_world(env: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    """The session's settings on a fresh, migrated database and an unshared Redis db."""
    async with fresh_database() as database_url:
        with claimed_redis_db() as redis_url:
            world = {**env, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
            migrated = subprocess.run(
                [sys.executable, "-m", "app", "migrate"],
                env={**os.environ, **world},
                capture_output=True,
                text=True,
            )
            assert migrated.returncode == 0, migrated.stderr
            yield world


def start_worker(env: dict[str, str], log: BinaryIO) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "worker"],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own process group: `yiwang worker` supervises worker processes of its own,
        # and the kill below takes the whole group, as a lost machine would.
        start_new_session=True,
    )


async def delivered(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT count(*) FROM outbox_event WHERE status = 'delivered'"))


async def test_a_killed_worker_loses_no_event_and_only_the_restarted_one_delivers(
    own_world: dict[str, str]
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db = await asyncpg.connect(own_world["DATABASE_URL"])
    try:
        with receiver(delay=0.15) as hooks, (ARTIFACTS / "worker-restart.log").open("ab") as log:
            await emit_webhooks(db, own_world, hooks)
            first = start_worker(own_world, log)
            try:
                await eventually(lambda: _received(hooks, 3), timeout=30)
            finally:
                os.killpg(first.pid, signal.SIGKILL)
                first.wait(timeout=10)
            # Whatever the dead worker had leased becomes due again once the lease runs
            # out; here the lease is cut short instead of waiting LEASE seconds.
            await db.execute(
                "UPDATE outbox_event SET next_attempt_at = $1 WHERE status = 'pending'",
                clock.now(),
            )
            await asyncio.sleep(0.5)  # what the dead workers had sent lands (requests, commits)
            heard = len(hooks.received)
            delivered_before = await delivered(db)
            assert delivered_before < EVENTS, "the worker finished before it could be killed"
            await asyncio.sleep(2.5)  # due events, and no worker: nobody delivers them
            assert len(hooks.received) == heard and await delivered(db) == delivered_before
            second = start_worker(own_world, log)
            try:

                async def all_delivered() -> bool:
                    return await delivered(db) == EVENTS

                await eventually(all_delivered, timeout=60)
            finally:
                second.terminate()
                second.wait(timeout=20)
    finally:
        await db.close()
    delivery_ids = {r.headers["x-yiwang-delivery"] for r in hooks.received}
    assert len(delivery_ids) == EVENTS  # every event reached the agency
    # At-least-once: only deliveries in flight when the worker died (at most its job
    # concurrency) were sent again, with the same delivery id for the agency to drop.
    assert len(hooks.received) <= EVENTS + WORKER_CONCURRENCY


async def emit_webhooks(db: asyncpg.Connection, world: dict[str, str], hooks: Receiver) -> None:
    """EVENTS agency webhooks in the outbox, as a payment's transaction would leave them."""
    creds = create_agency_via_cli(world, name="测试单位", webhook_url=hooks.url)
    agency_id = await db.fetchval("SELECT id FROM agency WHERE key = $1", creds["key"])
    now = clock.now()
    await db.executemany(
        "INSERT INTO outbox_event (kind, payload, status, attempts, next_attempt_at, created_at)"
        " VALUES ('agency.webhook', $1, 'pending', 0, $2, $2)",
        [
            (json.dumps({"agency_id": agency_id, "event": "test", "data": {"n": n}}), now)
            for n in range(EVENTS)
        ],
    )


async def _received(hooks: Receiver, n: int) -> bool:
    await asyncio.sleep(0)
    return len(hooks.received) >= n
