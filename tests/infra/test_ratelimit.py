"""Rate limits count in Redis: several keys in one script call, each with its own window."""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis

from infra.ratelimit import allow, queue_hits, within


async def test_one_call_counts_every_key_and_the_tightest_limit_refuses(
    redis: aioredis.Redis,
) -> None:
    person, client = f"p-{uuid.uuid4().hex}", f"c-{uuid.uuid4().hex}"
    answers = []
    for _ in range(4):
        async with redis.pipeline(transaction=False) as pipe:
            queue_hits(pipe, [person, client], window_seconds=60)
            pipe.get(f"rl:{person}")
            counts, seen = await pipe.execute()
        answers.append(within(counts, [3, 100]))
        assert int(seen) == int(counts[0])
    assert answers == [True, True, True, False]
    assert int(await redis.get(f"rl:{client}")) == 4
    ttl = await redis.ttl(f"rl:{person}")
    assert 0 < ttl <= 60


async def test_a_shared_client_limit_refuses_a_fresh_person(redis: aioredis.Redis) -> None:
    client = f"c-{uuid.uuid4().hex}"
    for _ in range(2):
        async with redis.pipeline(transaction=False) as pipe:
            queue_hits(pipe, [f"p-{uuid.uuid4().hex}", client], window_seconds=60)
            [counts] = await pipe.execute()
    assert within(counts, [30, 2])
    async with redis.pipeline(transaction=False) as pipe:
        queue_hits(pipe, [f"p-{uuid.uuid4().hex}", client], window_seconds=60)
        [counts] = await pipe.execute()
    assert [int(n) for n in counts] == [1, 3] and not within(counts, [30, 2])


async def test_allow_is_the_one_key_form(redis: aioredis.Redis) -> None:
    key = f"k-{uuid.uuid4().hex}"
    assert [await allow(redis, key, limit=2, window_seconds=5) for _ in range(3)] == [
        True,
        True,
        False,
    ]
