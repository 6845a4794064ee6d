"""Outbox handlers of the violations room. Each is idempotent: it may run more than once.

(The traffic police learn that a fine was paid through the shared ``agency.webhook`` kind,
emitted by app/violations/payable.py.)

- a citizen with a bound vehicle is told on their channel when a new violation arrives;
- lookup caches are invalidated again once the paying transaction has committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from app.identity.models import ChannelAccount
from app.violations import cache
from app.violations.models import Vehicle, VehicleAccess, Violation
from app.violations.payable import REFRESH_CACHE
from app.violations.upsert import NEW_VIOLATION_NOTICE
from channels.base import ChannelRejected, Messages, OutboundMessage
from infra import clock
from infra.pii import PiiVault

log = logging.getLogger("yiwang.violations")

NEW_VIOLATION_TEMPLATE = "yiwang-violation-new"
NEW_VIOLATION_PAGE = "pages/violations/index"


@dataclass
class ViolationNotices:
    vault: PiiVault
    redis: aioredis.Redis
    messages: dict[str, Messages]

    def handlers(self) -> dict[str, Any]:
        return {
            NEW_VIOLATION_NOTICE: self.tell_citizen,
            REFRESH_CACHE: self.refresh_cache,
        }

    async def tell_citizen(self, payload: dict[str, Any]) -> None:
        access = await VehicleAccess.get_or_none(id=payload["access_id"], bound=True)
        violation = await Violation.get_or_none(id=payload["violation_pk"])
        if access is None or violation is None:
            return  # unbound since, or gone: nobody to tell
        account = await ChannelAccount.get_or_none(id=access.account_id)
        vehicle = await Vehicle.get(id=access.vehicle_id)  # type: ignore[attr-defined]
        messages = self.messages.get(access.channel)
        if account is None or messages is None:
            return
        message = OutboundMessage(
            subject=account.subject,
            template_id=NEW_VIOLATION_TEMPLATE,
            data={
                "plate_no": vehicle.plate_no,
                "occurred_at": violation.occurred_at.astimezone(clock.SHANGHAI).strftime(
                    "%Y-%m-%d %H:%M"
                ),
                "place": violation.place,
                "behavior": violation.behavior,
                "points": str(violation.points),
            },
            page=NEW_VIOLATION_PAGE,
        )
        try:
            await messages.send(message)
        except ChannelRejected as exc:
            # Not subscribed, or the channel refuses this person: retrying will not help.
            log.info("new-violation notice not accepted by %s: %s", access.channel, exc)

    async def refresh_cache(self, payload: dict[str, Any]) -> None:
        await cache.invalidate(self.redis, set(payload["tags"]))
