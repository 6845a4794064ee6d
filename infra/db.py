"""Tortoise ORM set-up: one config builder and native migrations (status changes:
``infra.transitions``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import connections

from infra.cancel_safe import open_now


async def keep_session(connection: object) -> None:
    """asyncpg's pool ``reset`` hook: nothing to undo beyond what asyncpg always does.

    By default asyncpg sends ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`` on every release: one more PostgreSQL round trip per query, about as costly
    as the query itself on a hot read. We hold no session state that would need it: no
    session-level ``SET``, ``LISTEN``, advisory locks or ``WITH HOLD`` cursors (use ``SET
    LOCAL`` and ``pg_advisory_xact_lock`` inside a transaction instead; a test guards this).
    asyncpg still rolls back a transaction left open and drops listeners before it calls
    this hook, so a leaked transaction never reaches the next borrower.
    """


# Tortoise's clients, giving back what a cancelled request took (see infra.cancel_safe).
SQLITE_ENGINE = "infra.cancel_safe.sqlite_client"
POSTGRES_ENGINE = "infra.cancel_safe.asyncpg_client"


def connection_settings(database_url: str) -> str | dict[str, Any]:
    """The Tortoise connection for ``database_url``; PostgreSQL gets its pool settings."""
    if database_url.startswith("sqlite://"):
        expanded = expand_db_url(database_url)
        expanded["engine"] = SQLITE_ENGINE
        return expanded
    if not database_url.startswith(("postgres://", "postgresql://")):
        return database_url
    url = database_url
    if "maxsize" not in url:
        url += ("&" if "?" in url else "?") + "minsize=1&maxsize=10"
    expanded = expand_db_url(url)
    expanded["credentials"]["reset"] = keep_session
    expanded["engine"] = POSTGRES_ENGINE
    return expanded


def tortoise_config(database_url: str, apps: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """``apps`` maps a label to {"models": module, "migrations": module}."""
    return {
        "connections": {"default": connection_settings(database_url)},
        "apps": {
            label: {
                "models": [spec["models"]],
                "migrations": spec["migrations"],
                "default_connection": "default",
            }
            for label, spec in apps.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(config: dict[str, Any]) -> None:
    """Apply every pending migration (idempotent; safe to run on each start)."""
    from tortoise.migrations.api import migrate as run_migrations

    await run_migrations(config=config)
    await Tortoise.close_connections()


async def open_database(config: dict[str, Any]) -> None:
    """Open the ORM for this process; every task (request, job) shares it.

    The connection is opened here, before any request: a request cancelled while it opened
    the connection lazily could leave it half set up.
    """
    await Tortoise.init(config=config, _enable_global_fallback=True)
    for name in config["connections"]:
        await open_now(connections.get(name))


async def close_database() -> None:
    await Tortoise.close_connections()


def migrations_on_disk(apps: Mapping[str, Mapping[str, str]]) -> frozenset[tuple[str, str]]:
    """Every (app, migration) this code ships, named as Tortoise's recorder names them."""
    import importlib
    import pkgutil

    found: set[tuple[str, str]] = set()
    for label, spec in apps.items():
        package = importlib.import_module(spec["migrations"])
        found.update(
            (label, name)
            for _, name, is_pkg in pkgutil.iter_modules(package.__path__)
            if not is_pkg and name[0] not in "_~"
        )
    return frozenset(found)


async def pending_migrations(shipped: frozenset[tuple[str, str]]) -> list[str]:
    """Shipped migrations the database has not applied: ``app.name``, sorted.

    Readiness asks this on every probe, so it is one indexed read of the recorder's table.
    A database the migrator never touched has no such table and so has everything pending.
    """
    from tortoise import connections

    try:
        _, rows = await connections.get("default").execute_query(
            'SELECT "app", "name" FROM "tortoise_migrations"'
        )
    except Exception:
        rows = []
    applied = {(row["app"], row["name"]) for row in rows}
    return sorted(f"{app}.{name}" for app, name in shipped - applied)
