"""Which server processes are alive, and which died without saying goodbye.

Each server process registers a name in one Redis set and keeps a key of its own alive
with a short expiry. One that stops cleanly takes its name out; one that was killed (or
whose machine died) leaves its name behind with no live key. ``departed`` finds those, so
work a dead process may have left half done (a seat taken at the gate, never committed)
is looked at only after a death, not on every pass.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

REGISTRY = "yiwang:processes"
TTL_SECONDS = 10
BEAT_SECONDS = 3.0


def _alive_key(name: str) -> str:
    return f"yiwang:process:{name}"


@dataclass
class Heartbeat:
    redis: aioredis.Redis
    name: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    )

    async def beat(self) -> None:
        """Also re-registers: a process stalled past the expiry and so counted as departed
        comes back into the registry, and its later death is noticed."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(_alive_key(self.name), "1", ex=TTL_SECONDS)
            pipe.sadd(REGISTRY, self.name)
            await pipe.execute()

    async def leave(self) -> None:
        await self.redis.srem(REGISTRY, self.name)  # type: ignore[misc]
        await self.redis.delete(_alive_key(self.name))


async def departed(redis: aioredis.Redis) -> list[str]:
    """Names registered with no live key: processes that died. Each is reported once (the
    caller that removes it from the registry is the one that gets it)."""
    names: set[Any] = await redis.smembers(REGISTRY)  # type: ignore[misc]
    gone: list[str] = []
    for raw in sorted(names):
        name = raw.decode() if isinstance(raw, bytes) else str(raw)
        if await redis.exists(_alive_key(name)):
            continue
        if await redis.srem(REGISTRY, name):  # type: ignore[misc]
            gone.append(name)
    return gone
