"""The background worker: outbox delivery now, and every room's scheduled jobs.

Run it with ``yiwang worker`` (production) or let ``yiwang serve --demo`` manage one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.exceptions import RedisError

from app import payment_jobs
from app.appointments import jobs as appointment_jobs
from app.catalog import audit
from app.config import Settings
from app.services import Services, open_services
from app.supervision import jobs as supervision_jobs
from infra import outbox
from infra.jobs import Schedule, WorkerSpec, build_worker, every

log = logging.getLogger("yiwang.worker")
RESTART_DELAY = 2.0


async def deliver_outbox_event(ctx: dict[str, Any], event_id: int) -> bool:
    return await outbox.deliver(event_id)


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    services: Services = ctx["services"]

    async def enqueue(event_id: int, job_id: str) -> None:
        await services.jobs.enqueue("deliver_outbox_event", event_id, job_id=job_id)

    return await outbox.sweep(enqueue)


def worker_spec(settings: Settings) -> WorkerSpec:
    async def startup(ctx: dict[str, Any]) -> None:
        ctx["services"] = await open_services(settings)

    async def shutdown(ctx: dict[str, Any]) -> None:
        services: Services | None = ctx.get("services")
        if services is not None:
            await services.close()

    return WorkerSpec(
        functions=[
            deliver_outbox_event,
            sweep_outbox,
            payment_jobs.expire_orders,
            payment_jobs.query_paying_orders,
            payment_jobs.query_pending_refunds,
            payment_jobs.reconcile_yesterday,
            *appointment_jobs.FUNCTIONS,
            *supervision_jobs.FUNCTIONS,
            audit.checkpoint,
        ],
        schedules=[
            every(sweep_outbox, seconds=1),
            every(payment_jobs.expire_orders, seconds=30),
            every(payment_jobs.query_paying_orders, seconds=60),
            every(payment_jobs.query_pending_refunds, seconds=60),
            # 10:30 Shanghai (02:30 UTC): the channels publish yesterday's bill by 10:00.
            Schedule(payment_jobs.reconcile_yesterday, seconds={0}, minutes={30}, hours={2}),
            *(every(f, seconds=s) for f, s in appointment_jobs.EVERY_SECONDS.items()),
            *supervision_jobs.SCHEDULES,
            every(audit.checkpoint, seconds=60),
        ],
        on_startup=startup,
        on_shutdown=shutdown,
    )


async def run_worker(settings: Settings) -> None:
    """Run the arq worker; if it dies of a lost Redis connection, start a new one.

    Nothing is lost meanwhile: the outbox keeps every event, and the next sweep re-sends it.
    """
    while True:
        worker = build_worker(worker_spec(settings), settings.redis_url)
        try:
            await worker.async_run()
            return
        except RedisError as exc:
            log.error("worker lost Redis (%s); restarting in %.0f s", exc, RESTART_DELAY)
        finally:
            await worker.close()
        await asyncio.sleep(RESTART_DELAY)


def run_worker_process(settings: Settings) -> None:
    """Entry point of the worker process that ``serve`` manages; stops quietly on SIGTERM."""
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(run_worker(settings))
