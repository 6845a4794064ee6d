"""500 orders paid at once: the live server's worker issues their receipts while this test
process races it for the same orders. 500 receipts, numbers 1..500, nothing twice."""

from __future__ import annotations

import asyncio
import statistics
import uuid

import pytest
import redis.asyncio as aioredis

from app.config import Settings
from app.receipts.models import Receipt, ReceiptCounter
from app.receipts.service import build_receipts
from infra.jobs import open_queue
from tests.conftest import ARTIFACTS, LiveServer
from tests.receipts.helpers import new_citizen, paid_order

pytestmark = pytest.mark.usefixtures("clean")

ORDERS = 500


async def test_500_orders_paid_at_once_get_500_consecutive_numbers(
    live_server: LiveServer, settings: Settings, redis: aioredis.Redis
) -> None:
    vault = settings.vault()
    citizen = await new_citizen()
    made = await asyncio.gather(*(paid_order(vault, citizen.id) for _ in range(ORDERS)))
    queue = await open_queue(settings.redis_url)
    try:
        for _, event in made:
            await queue.enqueue_job("deliver_outbox_event", event.id, _job_id=f"outbox:{event.id}")
    finally:
        await queue.aclose()
    # A second process issuing the same orders at the same time (a duplicate delivery).
    here = build_receipts(vault, settings, redis)
    order_ids = [order.id for order, _ in made]
    gate = asyncio.Semaphore(8)

    async def race(order_id: int) -> None:
        async with gate:
            await here.issuer.for_order(order_id)

    await asyncio.gather(*(race(i) for i in order_ids[::-1]))

    for _ in range(1200):
        if await Receipt.all().count() == ORDERS:
            break
        await asyncio.sleep(0.1)
    receipts = await Receipt.all().prefetch_related("order")
    assert len(receipts) == ORDERS
    assert sorted(r.order.id for r in receipts) == sorted(order_ids)
    assert {r.code for r in receipts} == {receipts[0].code}
    assert sorted(r.number for r in receipts) == list(range(1, ORDERS + 1))
    assert (await ReceiptCounter.get(code=receipts[0].code)).last_number == ORDERS
    assert len({r.check_code + r.receipt_no for r in receipts}) == ORDERS
    assert isinstance(citizen.id, uuid.UUID)

    waits = sorted((r.issued_at - r.order.paid_at).total_seconds() for r in receipts)
    report = (
        f"PAID→issued over {ORDERS} orders paid at once: "
        f"median {statistics.median(waits):.2f}s, p95 {waits[int(0.95 * ORDERS)]:.2f}s, "
        f"max {waits[-1]:.2f}s"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "receipts-latency.txt").write_text(report + "\n")
    print(report)


async def test_one_order_paid_alone_is_issued_quickly(
    live_server: LiveServer, settings: Settings
) -> None:
    vault = settings.vault()
    citizen = await new_citizen()
    waits = []
    queue = await open_queue(settings.redis_url)
    try:
        for _ in range(10):
            order, event = await paid_order(vault, citizen.id)
            await queue.enqueue_job("deliver_outbox_event", event.id, _job_id=f"outbox:{event.id}")
            for _ in range(300):
                receipt = await Receipt.get_or_none(source_key=f"order:{order.id}")
                if receipt is not None:
                    break
                await asyncio.sleep(0.02)
            assert receipt is not None
            waits.append((receipt.issued_at - order.paid_at).total_seconds())
    finally:
        await queue.aclose()
    report = (
        f"PAID→issued, one order at a time (10): "
        f"median {statistics.median(waits):.3f}s, max {max(waits):.3f}s"
    )
    with (ARTIFACTS / "receipts-latency.txt").open("a") as out:
        out.write(report + "\n")
    print(report)
    assert statistics.median(waits) < 5
