"""Tortoise's SQLite and asyncpg clients, made safe against a cancelled request.

A client that resets its connection (a load balancer's probe, an impatient browser) cancels
the request's task wherever it is. Tortoise 1.1 takes its resources in ``__aenter__`` and
gives them back in ``__aexit__``, which never runs when ``__aenter__`` itself is cancelled:

- SQLite: the client's one lock is taken, then the connection is opened (the first time) or
  ``BEGIN`` sent. Cancelled in between, the lock stays held and every later query waits for
  it forever: the demo freezes, and ``/readyz`` says "database down" until a restart.
- PostgreSQL: a transaction takes a pooled connection, then sends ``BEGIN``. Cancelled in
  between, the connection never goes back to the pool; ten of those and the pool is empty.

The clients below give back what ``__aenter__`` took when it fails, and open the connection
in a task of its own that a cancelled caller cannot interrupt half-way (a half-opened SQLite
connection would lack its pragmas: WAL, foreign keys). ``infra.db`` selects these modules as
the engines, and ``open_database`` opens the connection before the server takes a request.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient


async def open_now(client: BaseDBAsyncClient) -> None:
    """Open the client's connection (or pool) before any request can cancel it."""
    await client.create_connection(with_db=True)
