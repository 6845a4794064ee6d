"""What the outbox holds right now, for the metrics: its lag and its undelivered events.

Read when ``/metrics`` is scraped, from PostgreSQL, so the figures are the same whichever
instance answers and however many workers run (or none). Delivered events are not counted
here (the table keeps them all); the workers count deliveries as they make them.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Count

from infra import clock
from infra.outbox.models import DEAD, PENDING, OutboxEvent


@dataclass(frozen=True)
class OutboxSnapshot:
    lag_seconds: float
    counts: list[tuple[str, str, int]]  # (kind, state, events); state: due, waiting, dead


async def snapshot() -> OutboxSnapshot:
    now = clock.now()
    oldest = (
        await OutboxEvent.filter(status=PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .first()
        .values_list("next_attempt_at", flat=True)
    )
    counts: list[tuple[str, str, int]] = []
    for state, query in (
        ("due", OutboxEvent.filter(status=PENDING, next_attempt_at__lte=now)),
        ("waiting", OutboxEvent.filter(status=PENDING, next_attempt_at__gt=now)),
        ("dead", OutboxEvent.filter(status=DEAD)),
    ):
        rows = await query.annotate(n=Count("id")).group_by("kind").values_list("kind", "n")
        counts.extend((str(kind), state, int(n)) for kind, n in rows)
    lag = (now - oldest).total_seconds() if oldest is not None else 0.0  # type: ignore[operator]
    return OutboxSnapshot(max(0.0, lag), counts)
