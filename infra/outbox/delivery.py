from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from infra import clock, metrics
from infra.outages import is_outage
from infra.outbox.models import DEAD, DELIVERED, PENDING, OutboxEvent
from infra.transitions import move

log = logging.getLogger("yiwang.outbox")

EventHandler = Callable[[dict[str, Any]], Awaitable[None]]

# Delay before attempt n+1 after n failures; the last value repeats until MAX_ATTEMPTS.
BACKOFF_SECONDS = (5, 15, 60, 300, 900, 1800, 3600)
MAX_ATTEMPTS = 24
# While one worker runs a handler, others leave the event alone for this long. A lease is
# also given back early: by its holder when the handler fails or is cancelled, and by the
# holder's successor in the same worker slot when the holder's process died.
LEASE = timedelta(seconds=60)
# A due event is nudged again (a new job) at most this often while it stays due.
NUDGE_SECONDS = 15
# Writing an attempt's outcome waits out a database outage, retrying this often at most.
RECORD_RETRY_CAP = 2.0

_handlers: dict[str, EventHandler] = {}


def register_handler(kind: str, handler: EventHandler) -> None:
    """Bind an event kind to its idempotent handler (done once by the composition root)."""
    _handlers[kind] = handler


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


async def _claim(event_id: int, holder: str | None, lease: timedelta) -> OutboxEvent | None:
    """Take a lease on a due event so concurrent deliverers do not run it at once.

    Read, then compare-and-set on the due time: one statement decides who wins, and no
    lease is ever taken without the caller knowing it. If the database goes away during
    the update, whether it committed is unknown: once the database is back, a lease this
    call may have taken is given back, so the event does not wait out the lease.
    """
    now = clock.now()
    event = await OutboxEvent.get_or_none(id=event_id, status=PENDING, next_attempt_at__lte=now)
    if event is None:
        return None
    due, lease_until = event.next_attempt_at, now + lease
    try:
        claimed = await OutboxEvent.filter(id=event_id, status=PENDING, next_attempt_at=due).update(
            next_attempt_at=lease_until, leased_by=holder
        )
    except Exception as exc:
        if is_outage(exc):

            async def give_back() -> None:
                await OutboxEvent.filter(
                    id=event_id, status=PENDING, next_attempt_at=lease_until, leased_by=holder
                ).update(next_attempt_at=due, leased_by=None)

            await _until_recorded(give_back)
        raise
    if claimed != 1:
        return None
    event.next_attempt_at, event.leased_by = lease_until, holder
    return event


async def _until_recorded(write: Callable[[], Awaitable[object]]) -> None:
    """Write an attempt's outcome, waiting out a database outage.

    The outcome must not be lost to the outage that may have caused it: a failure left
    unrecorded would sit behind its lease and keep no trace of its error.
    """
    delay = 0.1
    while True:
        try:
            await write()
            return
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("recording an outbox outcome waits for the database: %s", exc)
        await asyncio.sleep(delay)
        delay = min(delay * 2, RECORD_RETRY_CAP)


async def _record_failure(event: OutboxEvent, error: BaseException, failed_at: datetime) -> int:
    """Count the attempt, keep its error, and schedule the next one on the backoff table,
    counted from when the attempt failed (not from when the failure could be written)."""
    attempts = event.attempts + 1
    status = DEAD if attempts >= MAX_ATTEMPTS else PENDING

    async def write() -> None:
        await move(
            event,
            status,
            attempts=attempts,
            next_attempt_at=failed_at + backoff(attempts),
            leased_by=None,
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )

    await _until_recorded(write)
    return attempts


async def deliver(
    event_id: int,
    handlers: Mapping[str, EventHandler] | None = None,
    *,
    holder: str | None = None,
    lease: timedelta = LEASE,
) -> bool:
    """Run one event's handler. True when it is delivered (now or before).

    ``holder`` names the worker slot taking the lease (see :func:`release_leases`).
    ``lease`` is how long a deliverer that died mid-handler keeps others off the event:
    longer than any handler takes, short enough that a dead worker's event moves on soon.
    """
    table = handlers if handlers is not None else _handlers
    event = await _claim(event_id, holder, lease)
    if event is None:
        current = await OutboxEvent.get_or_none(id=event_id)
        return current is not None and current.status == DELIVERED
    handler = table.get(event.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler registered for outbox event kind {event.kind!r}")
        await handler({**event.payload, "_event_id": event.id})
    except asyncio.CancelledError as cancelled:
        # The worker is stopping (a lost Redis, a signal): give the lease back now, as a
        # failed attempt, so the event is not stuck until the lease runs out.
        interrupted = asyncio.ensure_future(
            _record_failure(event, RuntimeError("interrupted: the worker stopped"), clock.now())
        )
        try:
            await asyncio.wait_for(asyncio.shield(interrupted), timeout=5)
        except (asyncio.CancelledError, TimeoutError):
            log.warning("outbox event %s: could not record its interruption", event.id)
        raise cancelled
    except Exception as exc:
        attempts = await _record_failure(event, exc, clock.now())
        metrics.OUTBOX_FAILED_ATTEMPTS.labels(event.kind).inc()
        log.warning(
            "outbox event %s (%s) attempt %d failed: %s", event.id, event.kind, attempts, exc
        )
        return False

    async def delivered() -> None:
        # The lease keeps every other deliverer off the event, so its loaded count is current.
        await move(
            event,
            DELIVERED,
            delivered_at=clock.now(),
            leased_by=None,
            attempts=event.attempts + 1,
        )

    await _until_recorded(delivered)
    metrics.OUTBOX_DELIVERED.labels(event.kind).inc()
    return True


async def release_leases(holder: str) -> int:
    """Give back the leases a dead predecessor in ``holder``'s slot took, as failed attempts.

    Only one process runs in a worker slot at a time; a process starting in a slot calls this
    before it takes any work, so every lease still held in the slot belongs to one that died.
    """
    now = clock.now()
    held = await OutboxEvent.filter(status=PENDING, leased_by=holder, next_attempt_at__gt=now)
    for event in held:
        await _record_failure(event, RuntimeError("interrupted: its worker process died"), now)
    if held:
        log.warning("gave back %d outbox leases held by a dead worker in %s", len(held), holder)
    return len(held)


async def sweep(enqueue: Callable[[int, str], Awaitable[None]], *, limit: int = 500) -> int:
    """Hand every due event to the job runner; the safety net behind the post-commit kick.

    ``enqueue`` gets the event id and a job id that is unique per due time and per
    NUDGE_SECONDS: repeated sweeps of the same due event collapse into one job, while an
    event whose lease ran out (its deliverer died) gets a fresh job instead of waiting
    behind the dead one's. A job that a killed worker had started but not finished keeps
    its id taken in the job runner for minutes (arq's in-progress key); the window lets a
    later sweep nudge again without waiting for it.
    """
    now = clock.now()
    window = int(now.timestamp()) // NUDGE_SECONDS
    due = (
        await OutboxEvent.filter(status=PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .limit(limit)
        .values_list("id", "next_attempt_at")
    )
    for event_id, due_at in due:
        due_ms = int(due_at.timestamp() * 1000)
        await enqueue(int(event_id), f"outbox:{event_id}:{due_ms}:{window}")
    return len(due)
