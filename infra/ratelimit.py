"""Fixed-window rate limits in Redis, shared by every worker.

One script counts a hit on several keys at once, so a request held to a per-person and a
per-client limit pays one round trip, and can share it with its other reads by queueing
the count on their pipeline (:func:`queue_hits`, then :func:`within` on the reply). The
server runs on one Redis, not a Cluster, where keys of one call would need one hash slot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import redis.asyncio as aioredis

_INCR_WITH_TTL = """
local counts = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ARGV[1]) end
  counts[i] = n
end
return counts
"""


def queue_hits(pipe: aioredis.client.Pipeline, keys: Sequence[str], *, window_seconds: int) -> None:
    """Queue one hit on each of ``keys``; the reply is their counts in this window."""
    pipe.eval(_INCR_WITH_TTL, len(keys), *(f"rl:{k}" for k in keys), str(window_seconds))


def within(counts: Sequence[int | bytes], limits: Sequence[int]) -> bool:
    """True when every count of a :func:`queue_hits` reply is within its limit."""
    return all(int(n) <= limit for n, limit in zip(counts, limits, strict=True))


async def allow_each(
    redis: aioredis.Redis, limits: Mapping[str, int], *, window_seconds: int
) -> bool:
    """Count one hit on every key in one round trip; False once any is over its limit."""
    keys = list(limits)
    counts = await redis.eval(  # type: ignore[misc]
        _INCR_WITH_TTL, len(keys), *(f"rl:{k}" for k in keys), str(window_seconds)
    )
    return within(counts, [limits[k] for k in keys])


async def allow(redis: aioredis.Redis, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on ``key``; False once ``limit`` hits were seen in the current window."""
    counts = await redis.eval(_INCR_WITH_TTL, 1, f"rl:{key}", str(window_seconds))  # type: ignore[misc]
    return within(counts, [limit])


_INCR_WITH_WAIT = """
local over = 0
for _, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ARGV[1]) end
  if n > tonumber(ARGV[2]) then
    local ttl = redis.call('TTL', key)
    if ttl < 1 then ttl = 1 end
    if ttl > over then over = ttl end
  end
end
return over
"""


async def wait_for(
    redis: aioredis.Redis, keys: Sequence[str], *, limit: int, window_seconds: int
) -> int:
    """Count one hit on each of ``keys`` (one shared limit); answers 0 while every key is
    within it, else the seconds until the longest-waiting window ends (for Retry-After)."""
    over = await redis.eval(  # type: ignore[misc]
        _INCR_WITH_WAIT, len(keys), *(f"rl:{k}" for k in keys), str(window_seconds), str(limit)
    )
    return int(over)
