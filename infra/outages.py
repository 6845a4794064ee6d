"""Telling an outage of PostgreSQL or Redis apart from a bug.

An outage is waited out (the worker reconnects with backoff, a failure record is written
once the database is back); a bug is recorded and retried on the outbox's schedule. The ORM
and the drivers report a lost server in several shapes, sometimes wrapped in each other, so
the whole cause chain is looked at.
"""

from __future__ import annotations

import asyncpg.exceptions as pg  # type: ignore[import-untyped]
from asyncpg.exceptions._base import InternalClientError  # type: ignore[import-untyped]
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from tortoise.exceptions import DBConnectionError

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    DBConnectionError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,  # refused, reset, aborted: the socket under either client
    TimeoutError,
    pg.PostgresConnectionError,
    pg.OperatorInterventionError,  # shutting down, starting up, crashed
    pg.TooManyConnectionsError,
    pg.InterfaceError,  # "connection is closed", "pool is closing"
    # A connection the server dropped mid-statement: "cannot switch to state 15; another
    # operation is in progress" (asyncpg's protocol state, seen on a fast PostgreSQL stop).
    InternalClientError,
)


def is_outage(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) says a backing service is unreachable."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OUTAGE_ERRORS) or "too many clients" in str(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
