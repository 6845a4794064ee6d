"""Writing migrations for one room at a time, with every room's models loaded.

Tortoise's own ``makemigrations APP`` loads only the named app, which breaks cross-room
foreign keys (every room points at ``identity.Citizen``). Here all apps are loaded and only
the requested rooms' migrations are written; ``pending()`` lists rooms whose models have
changes without a migration (a test keeps that list empty).
"""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from app.runtime import schema


async def _writers() -> list:
    config = schema.config("sqlite://:memory:")
    await Tortoise.init(config=config, init_connections=False)
    try:
        detector = MigrationAutodetector(Tortoise.apps, config["apps"])
        return await detector.changes()
    finally:
        await Tortoise.close_connections()


async def make(labels: list[str]) -> list[str]:
    unknown = set(labels) - set(schema.APPS)
    if unknown:
        raise ValueError(f"unknown rooms: {', '.join(sorted(unknown))}")
    return [str(w.write()) for w in await _writers() if w.app_label in labels]


async def pending() -> list[str]:
    return sorted(w.app_label for w in await _writers())
