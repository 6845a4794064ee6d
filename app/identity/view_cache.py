"""The masked citizen view in Redis, so ``GET /api/v1/me`` needs no PostgreSQL query.

A view changes only when a citizen's masked fields do (real-name verification), and that is
rare next to reads. Each entry sits beside a generation counter under one hash tag (one
MGET, one Redis Cluster slot). Whoever changes a citizen calls :meth:`changed` AFTER the
transaction commits; it bumps the generation and drops the entry. A reader keeps an entry
only if it was filled under the current generation, and fills under the generation it read
BEFORE loading the database, so a reader that loaded the old row before the commit writes
an entry that is already dead: the fill race cannot bring an old view back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

VIEW_SECONDS = 600
# Outlives every entry by far, so an expired counter can never revive an old entry.
GENERATION_SECONDS = 7 * 24 * 3600


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
        raw, generation_raw = await self.redis.mget(f"{tag}:v", f"{tag}:g")
        generation = int(generation_raw) if generation_raw is not None else 0
        if raw is not None:
            entry = json.loads(raw)
            if entry["g"] == generation:
                return entry["d"]  # type: ignore[no-any-return]
        view = await load(citizen_id)
        if view is not None:
            entry = json.dumps({"g": generation, "d": view}, ensure_ascii=False)
            await self.redis.set(f"{tag}:v", entry, ex=VIEW_SECONDS)
        return view

    async def changed(self, *citizen_ids: uuid.UUID) -> None:
        """Call after the commit that changed these citizens' masked fields."""
        if not citizen_ids:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for citizen_id in set(citizen_ids):
                tag = _tag(citizen_id)
                pipe.incr(f"{tag}:g")
                pipe.expire(f"{tag}:g", GENERATION_SECONDS)
                pipe.delete(f"{tag}:v")
            await pipe.execute()
