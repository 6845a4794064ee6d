"""SQLite: the lock is given back when taking the connection fails, and the one connection
is opened in a task a cancelled caller cannot interrupt (see ``infra.cancel_safe``).

Tortoise chooses its schema editor by the client's module name, which must say "sqlite".
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite
from tortoise.backends.base.client import (
    ConnectionWrapper,
    TransactionalDBClient,
    TransactionContext,
)
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections


class _SqliteConnectionWrapper(ConnectionWrapper[aiosqlite.Connection]):
    async def ensure_connection(self) -> None:
        # Tortoise captured the connection when this wrapper was made: it may be one still
        # being opened (its pragmas not yet run). Wait for the open, then take it.
        await self.client.create_connection(with_db=True)
        self.connection = self.client._connection

    async def __aenter__(self) -> aiosqlite.Connection:
        await self._lock.acquire()
        try:
            await self.ensure_connection()
        except BaseException:
            self._lock.release()
            raise
        return self.connection


class _SqliteTransactionContext(SqliteTransactionContext):
    async def ensure_connection(self) -> None:
        parent = self.connection._parent
        await parent.create_connection(with_db=True)
        self.connection._connection = parent._connection

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        token = None
        try:
            await self.ensure_connection()
            token = get_connections().set(self.connection_name, self.connection)
            await self.connection.begin()
        except BaseException:
            if token is not None:
                get_connections().reset(token)
            connection = self.connection._connection
            if connection is not None:
                # BEGIN may have reached SQLite after the caller stopped waiting for it.
                await asyncio.shield(connection.rollback())
            self._trxlock.release()
            raise
        self.token = token
        connection_in_transaction: TransactionalDBClient = self.connection
        return connection_in_transaction


class CancelSafeSqliteClient(SqliteClient):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        self._opening: asyncio.Task[None] | None = None

    async def create_connection(self, with_db: bool) -> None:
        if self._connection is not None and self._opening is None:
            return
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._open(with_db))
        await asyncio.shield(self._opening)

    async def _open(self, with_db: bool) -> None:
        try:
            await SqliteClient.create_connection(self, with_db)
        except BaseException:
            if self._connection is not None:
                await self._connection.close()
                self._connection = None
            raise
        finally:
            self._opening = None

    def acquire_connection(self) -> ConnectionWrapper[aiosqlite.Connection]:
        return _SqliteConnectionWrapper(self._lock, self)

    def _in_transaction(self) -> TransactionContext:
        return _SqliteTransactionContext(_SqliteTransaction(self), self._lock)


class _SqliteTransaction(SqliteTransactionWrapper):
    def acquire_connection(self) -> ConnectionWrapper[aiosqlite.Connection]:
        return _SqliteConnectionWrapper(self._lock, self)


client_class = CancelSafeSqliteClient
