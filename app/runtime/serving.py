"""The database and the services around a process or a one-off command: migrations, the
demo's seed, and the services a command shares with a server worker. Starting the HTTP
server itself (Sanic's process manager) is ``app.runtime.main.serve``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from app.config import Settings
from app.runtime import schema
from infra import db

T = TypeVar("T")


def _open_audit_chain(settings: Settings) -> None:
    """Audit records are chained with the deployment's key in every process that writes."""
    from app.catalog import audit

    audit.use_chain_key(settings.crypto_suite.audit_mac_key)


async def prepare_database(settings: Settings, *, seed_demo: bool) -> None:
    _open_audit_chain(settings)
    if settings.database_url.startswith("sqlite://"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    config = schema.config(settings.database_url)
    await db.migrate(config)
    if seed_demo:
        from app.runtime.demo import seed

        await db.open_database(config)
        try:
            await seed(settings)
        finally:
            await db.close_database()


async def with_database(settings: Settings, action: Callable[[], Awaitable[T]]) -> T:
    _open_audit_chain(settings)
    config = schema.config(settings.database_url)
    await db.migrate(config)
    await db.open_database(config)
    try:
        return await action()
    finally:
        await db.close_database()


async def with_services(settings: Settings, action: Callable[[Any], Awaitable[T]]) -> T:
    """Run a one-off command with the same services a server worker has."""
    from app.runtime.services import open_services

    config = schema.config(settings.database_url)
    await db.migrate(config)
    services = await open_services(settings)
    try:
        return await action(services)
    finally:
        await services.close()
