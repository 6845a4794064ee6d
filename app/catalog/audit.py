"""The audit trail: one row per operator action, in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.catalog.models import AuditEntry
from app.identity.operators import OperatorPrincipal
from infra import clock


async def record(
    actor: OperatorPrincipal | None,
    action: str,
    subject_type: str,
    subject_id: str,
    *,
    department: str | None,
    using: BaseDBAsyncClient,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> None:
    await AuditEntry.create(
        at=clock.now(),
        operator_id=actor.id if actor else None,
        operator_name=actor.username if actor else "system",
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        department_code=department,
        before=before,
        after=after,
        reason=reason,
        using_db=using,
    )


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "operator": entry.operator_name,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "department": entry.department_code,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }
