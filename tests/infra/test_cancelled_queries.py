"""A query cancelled at any point gives back the lock or pooled connection it held.

The stock Tortoise clients keep SQLite's one lock when the first connection attempt is
cancelled, and lose a pooled PostgreSQL connection when ``BEGIN`` is cancelled: after that
every query waits forever. These tests cancel hundreds of queries and transactions at random
points, including while the connection is being opened, then require that a query still
answers within two seconds.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext

from infra.cancel_safe.asyncpg_client import CancelSafeAsyncpgClient
from infra.cancel_safe.sqlite_client import CancelSafeSqliteClient


async def _query(client: BaseDBAsyncClient) -> None:
    await client.execute_query("SELECT 1")


async def _transaction(client: BaseDBAsyncClient) -> None:
    async with client._in_transaction() as tx:
        await tx.execute_query("SELECT 1")
        await asyncio.sleep(0)
        await tx.execute_query("SELECT 2")


async def _cancel_at_random_points(client: BaseDBAsyncClient, rounds: int, seed: int) -> None:
    rng = random.Random(seed)
    work: list[Callable[[BaseDBAsyncClient], Coroutine[Any, Any, None]]] = [_query, _transaction]
    for _ in range(rounds):
        tasks = [asyncio.create_task(rng.choice(work)(client)) for _ in range(rng.randint(1, 4))]
        for _ in range(rng.randint(0, 3)):
            await asyncio.sleep(0)
        if rng.random() < 0.5:
            await asyncio.sleep(rng.random() / 1000)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _still_answers(client: BaseDBAsyncClient) -> None:
    async with asyncio.timeout(2):
        assert (await client.execute_query_dict("SELECT 41 + 1 AS n"))[0]["n"] == 42
        async with client._in_transaction() as tx:
            assert (await tx.execute_query_dict("SELECT 7 AS n"))[0]["n"] == 7


@pytest.fixture
async def sqlite_client(tmp_path: Path) -> AsyncIterator[CancelSafeSqliteClient]:
    # A context of its own: a transaction publishes its connection in Tortoise's context.
    async with TortoiseContext():
        client = CancelSafeSqliteClient(str(tmp_path / "cancel.sqlite3"), connection_name="x")
        yield client
        await client.close()


async def test_sqlite_first_connection_cancelled_does_not_keep_the_lock(
    sqlite_client: CancelSafeSqliteClient,
) -> None:
    first = asyncio.create_task(_query(sqlite_client))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    await _still_answers(sqlite_client)
    assert not sqlite_client._lock.locked()
    pragmas = await sqlite_client.execute_query_dict("PRAGMA foreign_keys")
    assert pragmas[0]["foreign_keys"] == 1, "a cancelled open left the connection half set up"


async def test_sqlite_survives_cancellations_at_random_points(
    sqlite_client: CancelSafeSqliteClient,
) -> None:
    for seed in range(4):
        await sqlite_client.close()
        await _cancel_at_random_points(sqlite_client, rounds=60, seed=seed)
        await _still_answers(sqlite_client)
        assert not sqlite_client._lock.locked()


async def test_postgres_pool_survives_cancellations_at_random_points(database_url: str) -> None:
    credentials = expand_db_url(database_url)["credentials"]
    credentials.update(minsize=1, maxsize=2)
    async with TortoiseContext():
        client = CancelSafeAsyncpgClient(connection_name="cancel", **credentials)
        await client.create_connection(with_db=True)
        try:
            await _cancel_at_random_points(client, rounds=200, seed=14)
            await _still_answers(client)
            # Every connection is back: two transactions at once still fit the pool of two.
            # (asyncpg replaces a connection whose query was cut off, so one may have to
            # reconnect first: a leak waits forever, a reconnection a moment.)
            async with asyncio.timeout(10):
                async with client._in_transaction(), client._in_transaction():
                    pass
        finally:
            await client.close()
