"""Scheduled jobs of the evaluations room (registered in app/runtime/worker.py)."""

from __future__ import annotations

from typing import Any

from app.evaluations.invitations import invite_due
from infra.jobs import Schedule


async def rating_invitations(ctx: dict[str, Any]) -> int:
    return await invite_due(ctx["services"].settings.service_rules.rating_invite_after_days)


FUNCTIONS = (rating_invitations,)
SCHEDULES = (Schedule(rating_invitations, seconds={0}, minutes={15}),)
