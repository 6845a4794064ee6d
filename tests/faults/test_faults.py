"""Faults under load, on private services: Redis killed for 10 s, PostgreSQL stopped for 10 s,
an HTTP worker killed, the background worker killed.

Residents keep paying notices on Alipay at a steady rate throughout (the sandbox retries
notifications on Alipay's real schedule, 4 minutes first, so nothing here is rescued by a
channel retry). After each fault every order the channel took money for must be PAID once,
with one receipt and one agency webhook, and the background work must catch up on its own:
no restart by hand, no waiting for a lease or a channel retry.

Each test writes its figures (errors during the fault, seconds to recovery, time until the
last receipt) to tests/artifacts/faults.txt. Budget: about a minute per test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from tests.conftest import ARTIFACTS
from tests.faults.load import Load, audit, settled
from tests.faults.stack import Stack
from tests.journeys import agency_post, create_agency_via_cli, eventually, verified_resident
from tests.receivers import receiver

PER_SECOND = 5.0
FAULT_AT = 3.0
LOAD_SECONDS = 18.0
OUTAGE_SECONDS = 10.0
DRAIN_SECONDS = 60.0


@dataclass(frozen=True)
class Window:
    """When the fault began and when the service came back (monotonic and wall clock)."""

    began: float
    ended: float
    ended_wall: datetime


Fault = Callable[[Stack], Awaitable[Window]]


async def exercise(stack: Stack, name: str, fault: Fault) -> None:
    with receiver() as hooks:
        creds = await asyncio.to_thread(create_agency_via_cli, stack.env, webhook_url=hooks.url)
        async with (
            httpx.AsyncClient(base_url=stack.api, timeout=10) as api,
            httpx.AsyncClient(base_url=stack.sandbox, timeout=10) as sandbox,
        ):
            r = await agency_post(
                api,
                creds,
                "/api/v1/agency/fee-items",
                {"item_code": "103001", "name": "考试费", "kind_code": "103",
                 "standard_fen": 12000},
            )
            assert r.status_code == 201, r.text
            _, token = await verified_resident(api, sandbox, "alipay")
            load = Load(api, sandbox, creds, token)
            running = asyncio.create_task(load.run(LOAD_SECONDS, PER_SECOND))
            await asyncio.sleep(FAULT_AT)
            window = await fault(stack)
            await running
            with contextlib.suppress(AssertionError):  # the audit below says what is missing
                await eventually(
                    lambda: settled(stack.env["DATABASE_URL"], load, hooks),
                    timeout=DRAIN_SECONDS,
                    every=0.5,
                )
            result = await audit(stack.env["DATABASE_URL"], load, hooks)
    errors = load.errors_between(window.began, window.ended)
    answering = load.recovered_at(window.began, until=window.ended + 30) - window.ended
    last_receipt = (
        (result.receipts_last_issued - window.ended_wall).total_seconds()
        if result.receipts_last_issued
        else float("nan")
    )
    line = (
        f"{name}: {result.paid_orders} orders paid at {PER_SECOND:.0f}/s; "
        f"{sum(errors.values())} requests refused during the fault {dict(errors)}; "
        f"service back after {window.ended - window.began:.1f} s; "
        f"API answering {max(0.0, answering):.1f} s after that; "
        f"last receipt issued {last_receipt:.1f} s after that"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "faults.txt").open("a") as out:
        out.write(line + "\n")
    print(line)
    assert result.paid_orders >= PER_SECOND * (LOAD_SECONDS - OUTAGE_SECONDS) * 0.8
    assert result.problems == [], result.problems


async def _outage(stop: Callable[[], None], start: Callable[[], object]) -> Window:
    began = time.monotonic()
    await asyncio.to_thread(stop)
    try:
        await asyncio.sleep(OUTAGE_SECONDS)
    finally:
        await asyncio.to_thread(start)
    return Window(began, time.monotonic(), datetime.now(UTC))


async def _kill_process(stack: Stack, name: str, kind: str, *, observable: bool) -> Window:
    """SIGKILL one of the manager's processes; the window ends when its successor runs and
    readiness is back, and the restart is counted. ``observable``: the gap is long enough
    to see readiness fail (a server process is missing until its successor serves, seconds;
    the background worker counts once spawned, often before a probe lands)."""
    before = stack.processes()
    assert name in before, before
    began = time.monotonic()
    os.kill(before[name], signal.SIGKILL)
    seen_missing: list[dict] = []
    async with httpx.AsyncClient(base_url=stack.api, timeout=5) as client:

        async def ready_again() -> bool:
            answer = await client.get("/readyz")
            if answer.status_code == 503 and answer.json().get("missing_processes"):
                seen_missing.append(answer.json()["missing_processes"])
            now = stack.processes().get(name)
            return answer.status_code == 200 and now is not None and now != before[name]

        await eventually(ready_again, timeout=60, every=0.05)
        ended = time.monotonic()
        if observable:
            assert seen_missing, "readiness never said a process was missing"
        assert all(set(missing) == {name.split("-")[1]} for missing in seen_missing)
        counted = f'yiwang_worker_restarts_total{{kind="{kind}"}} 1.0'

        async def restart_counted() -> bool:
            return counted in (await client.get("/metrics")).text

        await eventually(restart_counted, timeout=60, every=0.5)
    return Window(began, ended, datetime.now(UTC))


async def test_redis_killed_for_10_s_under_load(stack: Stack) -> None:
    await exercise(
        stack, "Redis killed 10 s", lambda s: _outage(s.redis.kill, s.redis.start)
    )


async def test_postgresql_stopped_for_10_s_under_load(stack: Stack) -> None:
    await exercise(
        stack,
        "PostgreSQL stopped 10 s",
        lambda s: _outage(s.postgres.stop, s.postgres.start),
    )


async def test_an_http_worker_killed_under_load(stack: Stack) -> None:
    await exercise(
        stack,
        "HTTP worker killed",
        lambda s: _kill_process(s, "Sanic-Server-0-0", "http", observable=True),
    )


async def test_the_background_worker_killed_under_load(stack: Stack) -> None:
    await exercise(
        stack,
        "background worker killed",
        lambda s: _kill_process(s, "Sanic-YiwangWorker-0", "background", observable=False),
    )
