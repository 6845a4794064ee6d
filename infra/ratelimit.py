"""Fixed-window rate limits in Redis, shared by every worker."""

from __future__ import annotations

import redis.asyncio as aioredis

_INCR_WITH_TTL = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


async def allow(redis: aioredis.Redis, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on ``key``; False once ``limit`` hits were seen in the current window."""
    hits = await redis.eval(_INCR_WITH_TTL, 1, f"rl:{key}", window_seconds)  # type: ignore[misc]
    return int(hits) <= limit
