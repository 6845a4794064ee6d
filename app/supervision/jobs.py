"""Scheduled jobs of the electronic supervisor (registered in app/runtime/worker.py)."""

from __future__ import annotations

from typing import Any

from app.supervision.cards import sweep
from app.supervision.dashboard import write_digest
from infra.jobs import Schedule


async def supervision_sweep(ctx: dict[str, Any]) -> dict[str, int]:
    return await sweep(ctx["services"].settings.service_rules)


async def supervision_digest(ctx: dict[str, Any]) -> int:
    await sweep(ctx["services"].settings.service_rules)
    return await write_digest()


FUNCTIONS = (supervision_sweep, supervision_digest)
SCHEDULES = (
    # Cards change with the day; every 10 minutes keeps the dashboard fresh after a restart.
    Schedule(supervision_sweep, seconds={0}, minutes=set(range(0, 60, 10))),
    # 08:30 Shanghai (00:30 UTC), before the working day starts.
    Schedule(supervision_digest, seconds={0}, minutes={30}, hours={0}),
)
