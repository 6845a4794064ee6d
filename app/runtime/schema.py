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
    "appointments": {
        "models": "app.appointments.models",
        "migrations": "app.appointments.migrations",
    },
    "catalog": {"models": "app.catalog.models", "migrations": "app.catalog.migrations"},
    "operators": {
        "models": "app.operators.models",
        "migrations": "app.operators.migrations",
    },
    "payments": {"models": "payments.models", "migrations": "payments.migrations"},
    "fees": {"models": "app.fees.models", "migrations": "app.fees.migrations"},
    "violations": {"models": "app.violations.models", "migrations": "app.violations.migrations"},
    "receipts": {"models": "app.receipts.models", "migrations": "app.receipts.migrations"},
    "supervision": {"models": "app.supervision.models", "migrations": "app.supervision.migrations"},
    "cases": {"models": "app.cases.models", "migrations": "app.cases.migrations"},
    "evaluations": {"models": "app.evaluations.models", "migrations": "app.evaluations.migrations"},
    "interactions": {
        "models": "app.interactions.models",
        "migrations": "app.interactions.migrations",
    },
    "bundles": {"models": "app.bundles.models", "migrations": "app.bundles.migrations"},
}


def config(database_url: str) -> dict[str, Any]:
    return tortoise_config(database_url, APPS)


# For the `tortoise` CLI (makemigrations); any database works since it only reads models.
TORTOISE_ORM = config("sqlite://:memory:")
