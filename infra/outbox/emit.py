from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from infra import clock
from infra.outbox.models import OutboxEvent


async def emit(
    kind: str,
    payload: dict[str, Any],
    *,
    using: BaseDBAsyncClient,
    dedupe_key: str | None = None,
    due_at: datetime | None = None,
) -> OutboxEvent | None:
    """Record an event in the caller's transaction (``using``).

    With ``dedupe_key``, a second emit of the same consequence is a no-op and returns None;
    the caller's transaction stays usable because the insert runs in a savepoint. With
    ``due_at``, no deliverer takes the event before that instant (a scheduled consequence
    that must survive restarts).
    """
    now = clock.now()
    due = due_at if due_at is not None else now
    if dedupe_key is None:
        return await OutboxEvent.create(
            kind=kind, payload=payload, next_attempt_at=due, created_at=now, using_db=using
        )
    if await OutboxEvent.filter(dedupe_key=dedupe_key).using_db(using).exists():
        return None
    try:
        async with using._in_transaction() as savepoint:
            return await OutboxEvent.create(
                kind=kind,
                payload=payload,
                dedupe_key=dedupe_key,
                next_attempt_at=due,
                created_at=now,
                using_db=savepoint,
            )
    except IntegrityError:
        return None
