"""The audit trail of legal persons: one row per registry change, grant and revocation.

Written with ``using=`` the transaction of the change, so the trail and the change commit
together or not at all. Details carry masked values only.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.identity.models import LegalPersonEvent
from infra import clock

REGISTRY = "registry"
CITIZEN = "citizen"


async def record(
    legal_person_id: int,
    action: str,
    *,
    actor_type: str,
    actor_ref: object,
    using: BaseDBAsyncClient,
    **details: Any,
) -> None:
    await LegalPersonEvent.create(
        legal_person_id=legal_person_id,
        action=action,
        actor_type=actor_type,
        actor_ref=str(actor_ref),
        details=details,
        at=clock.now(),
        using_db=using,
    )
