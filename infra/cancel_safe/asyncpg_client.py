"""PostgreSQL: a transaction whose ``BEGIN`` is cancelled gives its pooled connection back
(see ``infra.cancel_safe``).

Tortoise chooses its schema editor by the client's module name, which must say "asyncpg".
"""

from __future__ import annotations

import asyncio

from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.backends.asyncpg.client import TransactionWrapper as AsyncpgTransaction
from tortoise.backends.base.client import (
    TransactionalDBClient,
    TransactionContext,
    TransactionContextPooled,
)
from tortoise.connection import get_connections


class _PooledTransactionContext(TransactionContextPooled):
    async def __aenter__(self) -> TransactionalDBClient:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException:
            get_connections().reset(token)
            # asyncpg rolls back what BEGIN opened before the connection rejoins the pool.
            await asyncio.shield(pool.release(self.client._connection))
            raise
        self.token = token
        return self.client


class CancelSafeAsyncpgClient(AsyncpgDBClient):
    # Opening the pool is already safe: Tortoise guards it with ``async with`` a lock.

    def _in_transaction(self) -> TransactionContext:
        return _PooledTransactionContext(AsyncpgTransaction(self), self._pool_init_lock)


client_class = CancelSafeAsyncpgClient
