"""The outbox on real PostgreSQL: written with the transaction, delivered at least once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from infra import clock, outbox
from infra.outbox.delivery import MAX_ATTEMPTS, NUDGE_SECONDS
from infra.outbox.models import DEAD, DELIVERED, PENDING, OutboxEvent

pytestmark = pytest.mark.usefixtures("clean")


async def test_an_event_exists_only_if_its_transaction_commits() -> None:
    async with in_transaction() as tx:
        await outbox.emit("test.kept", {"n": 1}, using=tx)
    with pytest.raises(RuntimeError):
        async with in_transaction() as tx:
            await outbox.emit("test.dropped", {"n": 2}, using=tx)
            raise RuntimeError("the state change failed")
    kinds = await OutboxEvent.all().values_list("kind", flat=True)
    assert kinds == ["test.kept"]


async def test_a_dedupe_key_records_a_consequence_once_and_keeps_the_transaction_usable() -> None:
    async with in_transaction() as tx:
        first = await outbox.emit("receipt.issue", {"order": 7}, using=tx, dedupe_key="receipt:7")
        second = await outbox.emit("receipt.issue", {"order": 7}, using=tx, dedupe_key="receipt:7")
        third = await outbox.emit("receipt.issue", {"order": 8}, using=tx, dedupe_key="receipt:8")
    assert first is not None and second is None and third is not None
    assert await OutboxEvent.all().count() == 2


async def test_delivery_runs_the_handler_once_and_a_second_delivery_is_a_no_op() -> None:
    calls: list[dict[str, Any]] = []

    async def handler(payload: dict[str, Any]) -> None:
        calls.append(payload)

    async with in_transaction() as tx:
        event = await outbox.emit("test.ok", {"n": 1}, using=tx)
    assert event is not None
    assert await outbox.deliver(event.id, {"test.ok": handler}) is True
    assert await outbox.deliver(event.id, {"test.ok": handler}) is True
    assert len(calls) == 1 and calls[0]["n"] == 1 and calls[0]["_event_id"] == event.id
    stored = await OutboxEvent.get(id=event.id)
    assert stored.status == DELIVERED and stored.attempts == 1 and stored.delivered_at is not None


async def test_a_failing_handler_is_retried_later_with_backoff_and_finally_succeeds() -> None:
    attempts = 0

    async def flaky(payload: dict[str, Any]) -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise ConnectionError("agency endpoint down")

    async with in_transaction() as tx:
        event = await outbox.emit("test.flaky", {}, using=tx)
    assert event is not None
    handlers = {"test.flaky": flaky}
    assert await outbox.deliver(event.id, handlers) is False
    # Not due yet: an immediate retry does not run the handler.
    assert await outbox.deliver(event.id, handlers) is False
    assert attempts == 1
    stored = await OutboxEvent.get(id=event.id)
    assert (
        stored.status == PENDING
        and stored.attempts == 1
        and "agency endpoint down" in (stored.last_error or "")
    )
    for _ in range(2):
        clock.travel(timedelta(hours=2))
        await outbox.deliver(event.id, handlers)
    stored = await OutboxEvent.get(id=event.id)
    assert stored.status == DELIVERED and attempts == 3 and stored.attempts == 3


async def test_an_event_with_no_handler_is_kept_and_dies_only_after_max_attempts() -> None:
    async with in_transaction() as tx:
        event = await outbox.emit("test.unknown", {}, using=tx)
    assert event is not None
    for _ in range(MAX_ATTEMPTS):
        clock.travel(timedelta(hours=2))
        await outbox.deliver(event.id, {})
    stored = await OutboxEvent.get(id=event.id)
    assert stored.status == DEAD and stored.attempts == MAX_ATTEMPTS
    assert "no handler" in (stored.last_error or "")


async def test_concurrent_deliverers_run_the_handler_once() -> None:
    calls = 0

    async def slow(payload: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)

    async with in_transaction() as tx:
        event = await outbox.emit("test.slow", {}, using=tx)
    assert event is not None
    results = await asyncio.gather(
        *[outbox.deliver(event.id, {"test.slow": slow}) for _ in range(8)]
    )
    assert calls == 1
    assert results.count(True) >= 1


async def test_the_sweep_hands_over_only_due_pending_events() -> None:
    async with in_transaction() as tx:
        due = await outbox.emit("test.due", {}, using=tx)
        later = await outbox.emit("test.later", {}, using=tx)
        done = await outbox.emit("test.done", {}, using=tx)
    assert due and later and done
    await OutboxEvent.filter(id=later.id).update(next_attempt_at=clock.now() + timedelta(hours=1))
    await OutboxEvent.filter(id=done.id).update(status=DELIVERED)
    seen: list[tuple[int, str]] = []

    async def enqueue(event_id: int, job_id: str) -> None:
        seen.append((event_id, job_id))

    # Start just after a nudge window opens, so the sweeps below share it.
    into_window = clock.now().timestamp() % NUDGE_SECONDS
    clock.travel(timedelta(seconds=NUDGE_SECONDS - into_window + 0.5))
    assert await outbox.sweep(enqueue) == 1
    assert [event_id for event_id, _ in seen] == [due.id]
    # The same due event swept again gets the same job id (one job), a re-leased one a new id.
    assert await outbox.sweep(enqueue) == 1
    assert seen[0][1] == seen[1][1]
    await OutboxEvent.filter(id=due.id).update(next_attempt_at=clock.now() - timedelta(seconds=2))
    await outbox.sweep(enqueue)
    assert seen[2][1] != seen[0][1]
    # Still due a window later (its job was lost with a killed worker): nudged again.
    clock.travel(timedelta(seconds=NUDGE_SECONDS))
    await outbox.sweep(enqueue)
    assert seen[3][0] == due.id and seen[3][1] != seen[2][1]
