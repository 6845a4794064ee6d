"""The cached citizen view is never served stale once verification has committed."""

from __future__ import annotations

import uuid
from typing import Any

import redis.asyncio as aioredis

from app.identity.view_cache import CitizenViewCache


class Loads:
    """A stand-in for the database read that counts its calls and can act mid-load."""

    def __init__(self, answer: dict[str, Any] | None, during: Any = None) -> None:
        self.answer, self.during, self.calls = answer, during, 0

    async def __call__(self, citizen_id: uuid.UUID) -> dict[str, Any] | None:
        self.calls += 1
        if self.during is not None:
            await self.during()
        return self.answer


async def test_a_view_is_loaded_once_then_served_from_redis(redis: aioredis.Redis) -> None:
    cache, citizen = CitizenViewCache(redis), uuid.uuid4()
    load = Loads({"id": str(citizen), "verified": False})
    assert await cache.get(citizen, load) == {"id": str(citizen), "verified": False}
    assert await cache.get(citizen, load) == {"id": str(citizen), "verified": False}
    assert load.calls == 1


async def test_a_change_makes_the_next_reader_load_again(redis: aioredis.Redis) -> None:
    cache, citizen = CitizenViewCache(redis), uuid.uuid4()
    await cache.get(citizen, Loads({"verified": False}))
    await cache.changed(citizen)
    fresh = Loads({"verified": True})
    assert await cache.get(citizen, fresh) == {"verified": True} and fresh.calls == 1
    assert await cache.get(citizen, fresh) == {"verified": True} and fresh.calls == 1


async def test_a_reader_that_loaded_before_the_commit_cannot_cache_the_old_view(
    redis: aioredis.Redis,
) -> None:
    cache, citizen = CitizenViewCache(redis), uuid.uuid4()

    async def verification_commits_meanwhile() -> None:
        await cache.changed(citizen)

    racing = Loads({"verified": False}, during=verification_commits_meanwhile)
    assert await cache.get(citizen, racing) == {"verified": False}  # what it read, once
    after = Loads({"verified": True})
    assert await cache.get(citizen, after) == {"verified": True} and after.calls == 1


async def test_an_unknown_citizen_is_not_cached(redis: aioredis.Redis) -> None:
    cache, citizen = CitizenViewCache(redis), uuid.uuid4()
    missing = Loads(None)
    assert await cache.get(citizen, missing) is None
    assert await cache.get(citizen, missing) is None and missing.calls == 2
