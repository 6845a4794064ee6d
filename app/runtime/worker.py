"""The background worker: outbox delivery now, and every room's scheduled jobs.

Run it with ``yiwang worker`` (production) or let ``yiwang serve`` manage one. It outlives
PostgreSQL and Redis outages of any length: whatever stops the job runner (a lost Redis, a
database that refuses the start-up) is logged, waited out with backoff, and the runner
started again. Work is never lost meanwhile: the outbox in PostgreSQL is the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import uvloop
from arq.worker import Worker

from app.appointments import jobs as appointment_jobs
from app.billing import jobs as payment_jobs
from app.catalog import audit
from app.config import Settings
from app.evaluations import jobs as evaluation_jobs
from app.runtime.services import Services, open_services
from app.supervision import jobs as supervision_jobs
from infra import clock, db, logs, metrics, outbox
from infra.jobs import Schedule, WorkerSpec, build_worker, every, without_result
from infra.outages import is_outage

log = logging.getLogger("yiwang.worker")
# Backoff between restarts of the job runner: doubles from the first to the cap, and starts
# over once a runner has lived STABLE_SECONDS.
RESTART_FIRST = 0.5
RESTART_CAP = 10.0
STABLE_SECONDS = 30.0
# When the runner stops, jobs in flight (they need only the database) get this long to end.
DRAIN_SECONDS = 10.0


@dataclass
class Recovery:
    """Remembers that this worker saw PostgreSQL or Redis go away.

    While either was down the HTTP side refused payment notifications with 503; the
    channels send them again only on their own schedule. So the first sweep that works
    after an outage asks for every order still PAYING to be queried at the channel now.
    """

    outage_since: datetime | None = None

    def saw(self, error: BaseException) -> None:
        if is_outage(error) and self.outage_since is None:
            self.outage_since = clock.now()

    def take(self) -> datetime | None:
        since, self.outage_since = self.outage_since, None
        return since


async def deliver_outbox_event(ctx: dict[str, Any], event_id: int) -> bool:
    services: Services = ctx["services"]
    lease = timedelta(seconds=services.settings.ops.outbox_lease_seconds)
    return await outbox.deliver(event_id, holder=ctx["slot"], lease=lease)


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    services: Services = ctx["services"]
    recovery: Recovery = ctx["recovery"]

    async def enqueue(event_id: int, job_id: str) -> None:
        await services.jobs.enqueue("deliver_outbox_event", event_id, job_id=job_id)

    try:
        swept = await outbox.sweep(enqueue)
    except Exception as exc:
        recovery.saw(exc)
        raise
    since = recovery.take()
    if since is not None:
        log.warning("PostgreSQL and Redis are back (down since %s): querying PAYING orders", since)
        await services.jobs.enqueue(
            "query_paying_after_outage", job_id=f"paying-after-outage:{since.timestamp():.0f}"
        )
    return swept


def worker_spec(settings: Settings, slot: str, recovery: Recovery) -> WorkerSpec:
    async def startup(ctx: dict[str, Any]) -> None:
        ctx["slot"] = slot
        ctx["recovery"] = recovery
        ctx["services"] = await open_services(settings)
        await outbox.release_leases(slot)
        # The line a supervisor (or a deploy script) waits for: this runner takes jobs now.
        log.info("background worker %s ready", slot)

    async def shutdown(ctx: dict[str, Any]) -> None:
        services: Services | None = ctx.pop("services", None)
        if services is not None:
            await services.close()
        else:  # the start-up failed half-way: the database may be open without services
            await db.close_database()

    return WorkerSpec(
        functions=[
            without_result(deliver_outbox_event),
            sweep_outbox,
            payment_jobs.expire_orders,
            payment_jobs.query_paying_orders,
            payment_jobs.query_paying_after_outage,
            payment_jobs.query_pending_refunds,
            payment_jobs.reconcile_yesterday,
            *appointment_jobs.FUNCTIONS,
            *supervision_jobs.FUNCTIONS,
            *evaluation_jobs.FUNCTIONS,
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
            *evaluation_jobs.SCHEDULES,
            every(audit.checkpoint, seconds=60),
        ],
        on_startup=startup,
        on_shutdown=shutdown,
    )


async def _stop_quietly(worker: Worker) -> None:
    """Stop a runner without talking to a Redis that may be gone (arq's own ``close`` does,
    and its error would end the process).

    Jobs in flight get DRAIN_SECONDS to finish, so their outcome is written to the outbox;
    the rest are cancelled, which gives their leases back as failed attempts.
    """
    running = [task for task in worker.tasks.values() if not task.done()]
    if running:
        _, late = await asyncio.wait(running, timeout=DRAIN_SECONDS)
        for task in late:
            task.cancel()
    # Collect every outcome, so none is reported later as "never retrieved".
    await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(worker.on_shutdown(worker.ctx), timeout=10)  # type: ignore[misc]
    if worker._pool is not None:
        with contextlib.suppress(Exception):
            await worker._pool.close(close_connection_pool=True)
        worker._pool = None


async def run_worker(settings: Settings, slot: str) -> None:
    """Run the job runner for ``slot`` until the process is told to stop; restart it with
    backoff whenever it stops on an error, whatever the error."""
    recovery = Recovery()
    delay = RESTART_FIRST
    while True:
        worker = build_worker(worker_spec(settings, slot, recovery), settings.redis_url)
        started = time.monotonic()
        try:
            await worker.async_run()
            return
        except Exception as exc:
            recovery.saw(exc)
            metrics.WORKER_RESTARTS.labels("job_runner").inc()
            if time.monotonic() - started > STABLE_SECONDS:
                delay = RESTART_FIRST
            log.error(
                "background worker %s stopped (%s: %s); restarting in %.1f s",
                slot,
                type(exc).__name__,
                exc,
                delay,
            )
        finally:
            await _stop_quietly(worker)
        await asyncio.sleep(delay)
        delay = min(delay * 2, RESTART_CAP)


def run_worker_process(settings: Settings, slot: str, restarted: bool = False) -> None:
    """Entry point of a worker process (``serve`` manages one); stops quietly on SIGTERM.

    ``restarted``: this process replaces one that died (its supervisor says so).
    """
    # A process of its own (``yiwang worker``, or spawned by ``serve``): its logs go the
    # same way as the server's, redacted, in the same format.
    logs.configure(json_lines=settings.log_json)
    # arq logs every job at INFO: at hundreds of events a second that drowns what matters.
    logging.getLogger("arq").setLevel(logging.WARNING)
    metrics.WORKER_PROCESSES.labels("background").set(1)
    if restarted:
        metrics.WORKER_RESTARTS.labels("background").inc()
    # uvloop, as in the HTTP workers: delivery is mostly socket writes and callbacks
    # (PostgreSQL, Redis, webhooks), which the stdlib loop spent most of this process's
    # CPU on (docs/performance.md).
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        uvloop.run(run_worker(settings, slot))
