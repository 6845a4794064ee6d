"""The masked citizen view in Redis, so ``GET /api/v1/me`` needs no PostgreSQL query.

A view changes only when a citizen's masked fields do (real-name verification), and that is
rare next to reads. Whoever changes a citizen calls :meth:`changed` AFTER the transaction
commits; infra.gencache's generation counter makes sure a reader that loaded the old row
before that commit cannot bring the old view back.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from infra import gencache

VIEW_SECONDS = 600


def _tag(citizen_id: uuid.UUID) -> str:
    return f"cv:{{{citizen_id}}}"


@dataclass(frozen=True)
class CitizenViewCache:
    redis: aioredis.Redis

    async def get(
        self,
        citizen_id: uuid.UUID,
        load: Callable[[uuid.UUID], Awaitable[dict[str, Any] | None]],
    ) -> dict[str, Any] | None:
        """The cached view, or ``load(citizen_id)`` stored for the next reader (None: no
        such citizen, not cached)."""
        tag = _tag(citizen_id)
        found = await gencache.read(self.redis, tag)
        if found.hit:
            return found.value  # type: ignore[no-any-return]
        view = await load(citizen_id)
        if view is not None:
            await gencache.fill(self.redis, tag, found.generation, view, ttl_seconds=VIEW_SECONDS)
        return view

    async def changed(self, *citizen_ids: uuid.UUID) -> None:
        """Call after the commit that changed these citizens' masked fields."""
        await gencache.invalidate(self.redis, {_tag(c) for c in citizen_ids})
