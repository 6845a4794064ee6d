"""The audit trail: one row per operator action, in the same transaction as the change."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

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


@asynccontextmanager
async def audited(
    actor: OperatorPrincipal | None,
    action: str,
    subject_type: str,
    subject_id: str,
    *,
    department: str | None,
    snapshot: Callable[[], Any],
    reason: str | None = None,
    after_commit: Callable[[], Awaitable[Any]] | None = None,
) -> AsyncIterator[BaseDBAsyncClient]:
    """A change and its audit row (``snapshot()`` before and after) in one transaction, then
    ``after_commit`` (the catalog cache's bump) once it committed, never for a change that
    rolled back: the cache must not announce what the database refused."""
    before = snapshot()
    async with in_transaction() as tx:
        yield tx
        await record(
            actor,
            action,
            subject_type,
            subject_id,
            department=department,
            using=tx,
            before=before,
            after=snapshot(),
            reason=reason,
        )
    if after_commit is not None:
        await after_commit()
