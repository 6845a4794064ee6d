from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from tortoise.expressions import F

from infra import clock
from infra.outbox.models import DEAD, DELIVERED, PENDING, OutboxEvent

log = logging.getLogger("yiwang.outbox")

EventHandler = Callable[[dict[str, Any]], Awaitable[None]]

# Delay before attempt n+1 after n failures; the last value repeats until MAX_ATTEMPTS.
BACKOFF_SECONDS = (5, 15, 60, 300, 900, 1800, 3600)
MAX_ATTEMPTS = 24
# While one worker runs a handler, others leave the event alone for this long.
LEASE = timedelta(seconds=60)

_handlers: dict[str, EventHandler] = {}


def register_handler(kind: str, handler: EventHandler) -> None:
    """Bind an event kind to its idempotent handler (done once by the composition root)."""
    _handlers[kind] = handler


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


async def _claim(event_id: int, lease: timedelta) -> OutboxEvent | None:
    """Take a lease on a due event so concurrent deliverers do not run it at once."""
    now = clock.now()
    claimed = await OutboxEvent.filter(
        id=event_id, status=PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + lease)
    if claimed != 1:
        return None
    return await OutboxEvent.get(id=event_id)


async def deliver(
    event_id: int, handlers: Mapping[str, EventHandler] | None = None, *, lease: timedelta = LEASE
) -> bool:
    """Run one event's handler. True when it is delivered (now or before).

    ``lease`` is how long a deliverer that died mid-handler keeps others off the event:
    longer than any handler takes, short enough that a dead worker's event moves on soon.
    """
    table = handlers if handlers is not None else _handlers
    event = await _claim(event_id, lease)
    if event is None:
        current = await OutboxEvent.get_or_none(id=event_id)
        return current is not None and current.status == DELIVERED
    handler = table.get(event.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler registered for outbox event kind {event.kind!r}")
        await handler({**event.payload, "_event_id": event.id})
    except Exception as exc:
        attempts = event.attempts + 1
        status = DEAD if attempts >= MAX_ATTEMPTS else PENDING
        await OutboxEvent.filter(id=event.id, status=PENDING).update(
            attempts=attempts,
            status=status,
            next_attempt_at=clock.now() + backoff(attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        log.warning(
            "outbox event %s (%s) attempt %d failed: %s", event.id, event.kind, attempts, exc
        )
        return False
    await OutboxEvent.filter(id=event.id, status=PENDING).update(
        status=DELIVERED, delivered_at=clock.now(), attempts=F("attempts") + 1
    )
    return True


async def sweep(enqueue: Callable[[int, str], Awaitable[None]], *, limit: int = 500) -> int:
    """Hand every due event to the job runner; the safety net behind the post-commit kick.

    ``enqueue`` gets the event id and a job id that is unique per due time: repeated sweeps
    of the same due event collapse into one job, while an event whose lease ran out (its
    deliverer died) gets a fresh job instead of waiting behind the dead one's.
    """
    due = (
        await OutboxEvent.filter(status=PENDING, next_attempt_at__lte=clock.now())
        .order_by("next_attempt_at")
        .limit(limit)
        .values_list("id", "next_attempt_at")
    )
    for event_id, due_at in due:
        await enqueue(int(event_id), f"outbox:{event_id}:{int(due_at.timestamp() * 1000)}")
    return len(due)
