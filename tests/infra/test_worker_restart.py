"""Killing the background worker mid-delivery loses nothing: a restarted worker finishes.

The outbox (PostgreSQL) is the record; arq only carries nudges. Events the dead worker had
leased are delivered after the lease runs out.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from app.agency.outbox_webhook import AGENCY_WEBHOOK
from app.agency.signing import create_agency
from infra import clock, outbox
from infra.outbox.models import DELIVERED, OutboxEvent
from infra.pii import PiiVault
from tests.journeys import eventually
from tests.receivers import receiver

pytestmark = pytest.mark.usefixtures("clean")
EVENTS = 24
WORKER_CONCURRENCY = 10  # arq's max_jobs


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    worker_env = {**os.environ, **env}
    return subprocess.Popen(
        [sys.executable, "-m", "app", "worker"],
        env=worker_env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def test_a_killed_worker_loses_no_event(env: dict[str, str], workdir: Path) -> None:
    vault = PiiVault.international(
        base64.b64decode(env["PII_KEY"]), base64.b64decode(env["PII_HASH_KEY"])
    )
    log = workdir / "worker-restart.log"
    with receiver(delay=0.15) as hooks:
        agency, _ = await create_agency(vault, name="测试单位", kind="fees", webhook_url=hooks.url)
        async with in_transaction() as tx:
            for n in range(EVENTS):
                await outbox.emit(
                    AGENCY_WEBHOOK,
                    {"agency_id": agency.id, "event": "test", "data": {"n": n}},
                    using=tx,
                )
        first = start_worker(env, log)
        try:
            await eventually(lambda: _received(hooks, 3), timeout=30)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        delivered_before = await OutboxEvent.filter(status=DELIVERED).count()
        assert delivered_before < EVENTS, "the worker finished before it could be killed"
        # Whatever the dead worker had leased becomes due again once the lease runs out;
        # here the lease is cut short instead of waiting LEASE seconds.
        await OutboxEvent.filter(status="pending").update(
            next_attempt_at=clock.now() - timedelta(seconds=1)
        )
        second = start_worker(env, log)
        try:

            async def all_delivered() -> bool:
                return await OutboxEvent.filter(status=DELIVERED).count() == EVENTS

            await eventually(all_delivered, timeout=60)
        finally:
            second.terminate()
            second.wait(timeout=20)
    delivery_ids = {r.headers["x-yiwang-delivery"] for r in hooks.received}
    assert len(delivery_ids) == EVENTS  # every event reached the agency
    # At-least-once: only deliveries in flight when the worker died (at most its job
    # concurrency) were sent again, with the same delivery id for the agency to drop.
    assert len(hooks.received) <= EVENTS + WORKER_CONCURRENCY


async def _received(hooks, n: int) -> bool:  # type: ignore[no-untyped-def]
    await asyncio.sleep(0)
    return len(hooks.received) >= n
