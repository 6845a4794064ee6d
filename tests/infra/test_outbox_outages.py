"""The outbox across outages and dead workers: every attempt's outcome is recorded, and no
event waits out a lease its holder can no longer use."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from tortoise.exceptions import DBConnectionError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from infra import clock, outbox
from infra.outbox.delivery import LEASE, backoff
from infra.outbox.models import DELIVERED, PENDING, OutboxEvent

pytestmark = pytest.mark.usefixtures("clean")


async def _event(kind: str = "test.kind") -> OutboxEvent:
    async with in_transaction() as tx:
        event = await outbox.emit(kind, {}, using=tx)
    assert event is not None
    return event


async def test_a_failure_during_a_database_outage_is_recorded_when_it_comes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = await _event()
    real_update = QuerySet.update
    refused: list[dict[str, Any]] = []

    def update_while_down(self: QuerySet[Any], **changes: Any) -> Any:
        if "last_error" in changes and len(refused) < 3:
            refused.append(changes)
            raise DBConnectionError("connection refused")
        return real_update(self, **changes)

    monkeypatch.setattr(QuerySet, "update", update_while_down)

    async def handler(payload: dict[str, Any]) -> None:
        raise ConnectionRefusedError("the database went away mid-handler")

    failed_at = clock.now()
    assert await outbox.deliver(event.id, {"test.kind": handler}, holder="slot-1") is False
    assert len(refused) == 3  # three writes refused, the fourth recorded it
    stored = await OutboxEvent.get(id=event.id)
    assert stored.status == PENDING and stored.attempts == 1 and stored.leased_by is None
    assert "the database went away" in (stored.last_error or "")
    # Due on the backoff schedule counted from the failure, not from the recording, and
    # long before the lease would have run out.
    assert failed_at + backoff(1) <= stored.next_attempt_at < failed_at + backoff(1) + (
        timedelta(seconds=2)
    )
    assert stored.next_attempt_at < failed_at + LEASE


async def test_a_cancelled_attempt_gives_its_lease_back_as_a_failure() -> None:
    event = await _event()
    started = asyncio.Event()

    async def slow(payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(30)

    task = asyncio.create_task(outbox.deliver(event.id, {"test.kind": slow}, holder="slot-1"))
    await started.wait()
    leased = await OutboxEvent.get(id=event.id)
    assert leased.leased_by == "slot-1" and leased.next_attempt_at > clock.now()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stored = await OutboxEvent.get(id=event.id)
    assert stored.attempts == 1 and stored.leased_by is None
    assert "interrupted" in (stored.last_error or "")
    assert stored.next_attempt_at <= clock.now() + backoff(1)


async def test_a_restarted_slot_takes_back_only_its_dead_predecessors_leases() -> None:
    mine, theirs, free = await _event(), await _event(), await _event()
    held = clock.now() + LEASE
    await OutboxEvent.filter(id=mine.id).update(next_attempt_at=held, leased_by="host:1:0")
    await OutboxEvent.filter(id=theirs.id).update(next_attempt_at=held, leased_by="host:1:1")

    assert await outbox.release_leases("host:1:0") == 1
    released = await OutboxEvent.get(id=mine.id)
    assert released.attempts == 1 and released.leased_by is None
    assert "worker process died" in (released.last_error or "")
    assert released.next_attempt_at <= clock.now() + backoff(1)
    untouched = await OutboxEvent.get(id=theirs.id)
    assert untouched.leased_by == "host:1:1" and untouched.attempts == 0
    assert (await OutboxEvent.get(id=free.id)).attempts == 0

    # Once due again, the released event is delivered as usual.
    clock.travel(backoff(1))
    calls: list[int] = []

    async def handler(payload: dict[str, Any]) -> None:
        calls.append(payload["_event_id"])

    assert await outbox.deliver(mine.id, {"test.kind": handler}, holder="host:1:0")
    assert calls == [mine.id]
    assert (await OutboxEvent.get(id=mine.id)).status == DELIVERED
