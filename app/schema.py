"""Every room's Tortoise app: its models module and its own migrations package.

One app per room keeps migration histories apart, so rooms evolve without colliding.
"""

from __future__ import annotations

from typing import Any

from infra.db import tortoise_config

APPS: dict[str, dict[str, str]] = {
    "infra": {"models": "infra.outbox.models", "migrations": "infra.migrations"},
    "identity": {"models": "app.identity.models", "migrations": "app.identity.migrations"},
    "agency": {"models": "app.agency.models", "migrations": "app.agency.migrations"},
}


def config(database_url: str) -> dict[str, Any]:
    return tortoise_config(database_url, APPS)


# For the `tortoise` CLI (makemigrations); any database works since it only reads models.
TORTOISE_ORM = config("sqlite://:memory:")
