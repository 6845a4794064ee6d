"""Read-through caches in Redis that are never served stale once a writer has committed.

Each entry sits beside a generation counter under one hash tag (one MGET, one Redis Cluster
slot). A writer calls :func:`invalidate` AFTER its transaction commits: the generation goes
up and the entry goes. A reader keeps an entry only if it was filled under the current
generation, and fills under the generation it read BEFORE loading the database. A reader
that loaded the old row before the commit therefore writes an entry that is already dead:
the classic fill race cannot bring old data back.

Callers name their tags (``<prefix>:{<id>}``) and queue reads on their own pipelines, so a
request can fetch several entries, and count its rate limits, in one round trip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

# Outlives every entry by far, so an expired counter can never revive an old entry.
GENERATION_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Cached:
    value: Any | None
    generation: int
    hit: bool


def read_command(pipe: aioredis.client.Pipeline, tag: str) -> None:
    """Queue the read of ``tag`` on a pipeline; decode its reply with :func:`decode`."""
    pipe.mget(f"{tag}:v", f"{tag}:g")


def decode(reply: list[bytes | None]) -> Cached:
    raw, gen_raw = reply
    generation = int(gen_raw) if gen_raw is not None else 0
    if raw is None:
        return Cached(None, generation, False)
    entry = json.loads(raw)
    if entry.get("g") != generation:
        return Cached(None, generation, False)
    return Cached(entry["d"], generation, True)


async def read(redis: aioredis.Redis, tag: str) -> Cached:
    return decode(await redis.mget(f"{tag}:v", f"{tag}:g"))


async def fill(
    redis: aioredis.Redis, tag: str, generation: int, value: Any, *, ttl_seconds: int
) -> None:
    """Store ``value`` as loaded under ``generation`` (the one :func:`decode` reported)."""
    entry = json.dumps({"g": generation, "d": value}, ensure_ascii=False, separators=(",", ":"))
    await redis.set(f"{tag}:v", entry, ex=ttl_seconds)


async def invalidate(redis: aioredis.Redis, tags: set[str]) -> None:
    """Call after the commit that changed what these tags hold: one round trip for all."""
    if not tags:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for tag in sorted(tags):
            pipe.incr(f"{tag}:g")
            pipe.expire(f"{tag}:g", GENERATION_SECONDS)
            pipe.delete(f"{tag}:v")
        await pipe.execute()
