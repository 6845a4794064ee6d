"""The audit trail: one row per operator action, reveal of a citizen's personal data, key
rotation or lockout, in the same transaction as the change, chained by HMAC-SM3
(infra.audit_chain; ``yiwang audit verify`` walks it).

The chain is linear across every process: an append takes a transaction-scoped
PostgreSQL advisory lock, reads the head and writes the next link, so two writers never
fork it. The lock is held to the caller's commit, which is short for audit writers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.catalog.models import AuditEntry
from app.operators.auth import OperatorPrincipal
from infra import audit_chain, clock

log = logging.getLogger("yiwang.audit")
CHAIN_LOCK = 0x59574155  # "YWAU": the advisory lock id of audit appends


@dataclass
class _ChainKey:
    """The HMAC-SM3 key, set once per process by the composition root (open_services, the
    CLI): audit records are written from deep inside domain code, which has no settings."""

    key: bytes | None = None


_chain = _ChainKey()


def use_chain_key(key: bytes) -> None:
    _chain.key = key


def chain_key() -> bytes:
    if _chain.key is None:
        raise RuntimeError("the audit chain key is not configured in this process")
    return _chain.key


async def chain_rows() -> AsyncIterator[audit_chain.Row]:
    """Every chained record in sequence order, a page at a time."""
    after = 0
    while True:
        page = await AuditEntry.filter(seq__gt=after).order_by("seq").limit(1000)
        for entry in page:
            yield audit_chain.Row(
                entry.id, entry.seq, entry.prev_mac or "", entry.mac or "", content_of(entry)
            )
        if len(page) < 1000:
            return
        after = page[-1].seq


async def verify_chain(checkpoint: tuple[int, str] | None = None) -> dict[str, Any]:
    rows = [row async for row in chain_rows()]
    checked = audit_chain.verify(chain_key(), rows, checkpoint=checkpoint)
    unchained = await AuditEntry.filter(seq__isnull=True).count()
    if checked.broken is None and rows:
        # A row without a link written after the chain began went around the chain.
        stray = await AuditEntry.filter(seq__isnull=True, id__gt=rows[0].id).first()
        if stray is not None:
            checked = replace(
                checked,
                broken=audit_chain.Break(0, stray.id, "written outside the chain (no seq/mac)"),
            )
    answer: dict[str, Any] = {
        "intact": checked.broken is None,
        "records": checked.records,
        "head": {"seq": checked.head_seq, "mac": checked.head_mac},
        "unchained_before_the_chain": unchained,
    }
    if checked.broken is not None:
        answer["first_break"] = {
            "seq": checked.broken.seq,
            "record_id": checked.broken.record_id,
            "problem": checked.broken.problem,
            "message": checked.broken.describe(),
        }
    return answer


async def checkpoint(ctx: dict[str, Any]) -> None:
    """Write the chain's head to the log stream (worker, every minute): the logs then hold
    a point the table must still reach, so a cut-off tail shows (``--checkpoint``)."""
    head = await AuditEntry.filter(seq__not_isnull=True).order_by("-seq").first()
    if head is not None:
        log.info("audit chain head seq=%d mac=%s", head.seq, head.mac)


async def signin_alert(username: str, failures: int, client: str) -> None:
    """Repeated failed sign-ins on an operator account (the throttle's alert), on the record."""
    async with in_transaction() as tx:
        await record(
            None,
            "operator.signin_alert",
            "operator",
            username,
            department=None,
            using=tx,
            after={"failures_within_the_hour": failures, "last_client": client},
            reason="repeated failed sign-ins",
        )


def content_of(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "operator_id": entry.operator_id,
        "operator_name": entry.operator_name,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "department": entry.department_code,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }


async def _head(using: BaseDBAsyncClient) -> tuple[int, str]:
    if using.capabilities.dialect == "postgres":
        await using.execute_query("SELECT pg_advisory_xact_lock($1)", [CHAIN_LOCK])
    last = (
        await AuditEntry.filter(seq__not_isnull=True)
        .using_db(using)
        .order_by("-seq")
        .limit(1)
        .values_list("seq", "mac")
    )
    return (last[0][0] + 1, last[0][1]) if last else (1, audit_chain.GENESIS)


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
    by: str | None = None,
) -> None:
    """``by`` names an actor who is not an operator (``agency:<key>``); neither is the system."""
    entry = AuditEntry(
        at=clock.now(),
        operator_id=actor.id if actor else None,
        operator_name=actor.username if actor else (by or "system"),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        department_code=department,
        before=before,
        after=after,
        reason=reason,
    )
    key = chain_key()
    entry.seq, entry.prev_mac = await _head(using)
    entry.mac = audit_chain.link(key, entry.seq, entry.prev_mac, content_of(entry))
    await entry.save(using_db=using)


async def reveal(
    actor: OperatorPrincipal | None,
    action: str,
    subject_type: str,
    subject_id: str,
    *,
    department: str | None,
    fields: list[str],
    reason: str,
    by: str | None = None,
) -> None:
    """A citizen's personal data shown in the clear to an operator or an agency: who, which
    fields of which record, and why, committed to the chain before the caller shows
    anything. The values themselves are never written here."""
    async with in_transaction() as tx:
        await record(
            actor,
            action,
            subject_type,
            subject_id,
            department=department,
            using=tx,
            after={"fields": fields},
            reason=reason,
            by=by,
        )


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    shown = content_of(entry)
    operator = shown.pop("operator_name")
    shown.pop("operator_id")
    return {"id": entry.id, **shown, "at": entry.at.isoformat(), "operator": operator}


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
