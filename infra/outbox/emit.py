from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from infra import clock
from infra.outbox.models import PENDING, OutboxEvent

# PostgreSQL: the deduplicated insert in one round trip (no look-up, no savepoint).
_PG_EMIT = (
    "INSERT INTO outbox_event (kind, payload, dedupe_key, status, attempts, next_attempt_at, "
    "created_at) VALUES ($1, $2::jsonb, $3, $4, 0, $5, $6) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
)


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
    the caller's transaction stays usable: on PostgreSQL the insert skips a conflicting row
    (``ON CONFLICT DO NOTHING``, one statement), elsewhere it runs in a savepoint. With
    ``due_at``, no deliverer takes the event before that instant (a scheduled consequence
    that must survive restarts).
    """
    now = clock.now()
    due = due_at if due_at is not None else now
    if dedupe_key is None:
        return await OutboxEvent.create(
            kind=kind, payload=payload, next_attempt_at=due, created_at=now, using_db=using
        )
    if using.capabilities.dialect == "postgres":
        rows = await using.execute_query_dict(
            _PG_EMIT, [kind, json.dumps(payload), dedupe_key, PENDING, due, now]
        )
        if not rows:
            return None
        event = OutboxEvent(
            id=int(rows[0]["id"]),
            kind=kind,
            payload=payload,
            dedupe_key=dedupe_key,
            next_attempt_at=due,
            created_at=now,
        )
        event._saved_in_db = True
        return event
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
