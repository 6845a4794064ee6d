"""Lookup caches in Redis that are never served stale after an agency update.

Each entry sits beside a generation counter under one hash tag (so both live in the same
Redis Cluster slot and are read with one MGET). A writer bumps the generation AFTER its
transaction commits; a reader keeps an entry only if it was filled under the current
generation. A reader that loaded the database before a commit and writes the cache after
it therefore writes an entry that is already dead — the classic fill race cannot revive
old data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis


@dataclass(frozen=True)
class Cached:
    value: Any | None
    generation: int
    hit: bool


def plate_tag(plate_type: str, plate_no: str) -> str:
    return f"vio:{{p:{plate_type}:{plate_no}}}"


def citizen_tag(citizen_id: str) -> str:
    return f"vio:{{c:{citizen_id}}}"


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


async def fill(
    redis: aioredis.Redis, tag: str, generation: int, value: Any, *, ttl_seconds: int
) -> None:
    entry = json.dumps({"g": generation, "d": value}, ensure_ascii=False, separators=(",", ":"))
    await redis.set(f"{tag}:v", entry, ex=ttl_seconds)


async def invalidate(redis: aioredis.Redis, tags: set[str]) -> None:
    """Called after commit; bumps every tag's generation and drops its entry in one trip."""
    if not tags:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for tag in sorted(tags):
            pipe.incr(f"{tag}:g")
            pipe.delete(f"{tag}:v")
        await pipe.execute()
