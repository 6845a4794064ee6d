"""Settling orders: PAID from any source (notification, query, reconciliation), and closing.

``paid`` is the one place an order becomes PAID. It runs under a row lock and a
compare-and-set, writes the consequences to the outbox in the same transaction, and sorts
every payment it cannot accept (closed order, second payment) into the refund-review queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from channels.base import Channel, ChannelRejected, ChannelUnavailable, Pay
from infra import clock, metrics, outbox
from payments.errors import NotifyAmountMismatch
from payments.models import ChannelTrade, Order, RefundReview
from payments.states import OPEN, SETTLED, OrderStatus
from payments.transitions import move_order

log = logging.getLogger("yiwang.payments")

ORDER_PAID = "order.paid"
RECEIPT_ISSUE = "receipt.issue"


class Outcome(StrEnum):
    PAID = "paid"
    DUPLICATE = "duplicate"
    REVIEW = "refund_review"


@dataclass(frozen=True)
class PaidEvidence:
    """What a channel says about a payment, however we learned it."""

    channel: Channel
    channel_trade_no: str
    amount_fen: int
    paid_at: datetime
    source: str  # "notify", "query" or "reconcile"


# Writes why a settlement came out as it did, on the settlement's own connection (inside
# its transaction when there is one; None when the settled row decided without one).
Recorder = Callable[[BaseDBAsyncClient | None, Outcome], Awaitable[None]]


@dataclass
class Settlement:
    pay: Mapping[Channel, Pay]

    async def paid(
        self, order: Order, evidence: PaidEvidence, *, record: Recorder | None = None
    ) -> Outcome:
        """Settle ``order`` as paid by ``evidence``. ``record`` (a notification's log) is
        awaited with the outcome inside the same transaction, so it commits with it."""
        if evidence.amount_fen != order.amount_fen:
            log.error(
                "amount mismatch on %s: channel %s says %d, order is %d",
                order.order_no,
                evidence.channel,
                evidence.amount_fen,
                order.amount_fen,
            )
            raise NotifyAmountMismatch(order_no=order.order_no)
        if (
            OrderStatus(order.status) in SETTLED
            and order.channel_trade_no == evidence.channel_trade_no
        ):
            # A channel retry of what already settled this order: no settled order goes
            # back to unpaid, so the row just read decides it without taking the lock.
            if record is not None:
                await record(None, Outcome.DUPLICATE)
            return Outcome.DUPLICATE
        async with in_transaction() as tx:
            outcome = await self._settle(tx, order, evidence)
            if record is not None:
                await record(tx, outcome)
        if outcome is Outcome.PAID:
            order.status = OrderStatus.PAID.value
            metrics.ORDERS.labels("paid", evidence.channel).inc()
            log.info("order %s PAID via %s (%s)", order.order_no, evidence.channel, evidence.source)
        return outcome

    async def _settle(self, tx: BaseDBAsyncClient, order: Order, evidence: PaidEvidence) -> Outcome:
        fresh = await Order.filter(id=order.id).using_db(tx).select_for_update().get()
        status = OrderStatus(fresh.status)
        if status in SETTLED:
            if fresh.channel_trade_no == evidence.channel_trade_no:
                return Outcome.DUPLICATE
            return await self._review(tx, fresh, evidence, "SECOND_PAYMENT")
        if status == OrderStatus.CLOSED:
            return await self._review(tx, fresh, evidence, "PAID_AFTER_CLOSE")
        key = f"{fresh.payable_type}:{fresh.payable_ref}"
        if await Order.filter(paid_key=key).using_db(tx).exists():
            # Another order paid this payable: this one can never be paid, so it closes
            # (the channel query stops chasing it) and its money waits for review.
            await move_order(
                fresh, OrderStatus.CLOSED, using=tx, closed_at=clock.now(), open_key=None
            )
            return await self._review(tx, fresh, evidence, "PAYABLE_ALREADY_PAID")
        moved = await move_order(
            fresh,
            OrderStatus.PAID,
            using=tx,
            paid_at=evidence.paid_at,
            channel=evidence.channel,
            channel_trade_no=evidence.channel_trade_no,
            open_key=None,
            paid_key=key,
        )
        if not moved:  # the row lock makes this unreachable on PostgreSQL
            return Outcome.DUPLICATE
        payload = {
            "order_id": fresh.id,
            "order_no": fresh.order_no,
            "payable_type": fresh.payable_type,
            "payable_ref": fresh.payable_ref,
            "channel": evidence.channel,
            "amount_fen": fresh.amount_fen,
            "paid_at": evidence.paid_at.isoformat(),
        }
        await outbox.emit(ORDER_PAID, payload, using=tx, dedupe_key=f"{ORDER_PAID}:{fresh.id}")
        await outbox.emit(
            RECEIPT_ISSUE,
            {"order_id": fresh.id},
            using=tx,
            dedupe_key=f"{RECEIPT_ISSUE}:{fresh.id}",
        )
        return Outcome.PAID

    async def _review(
        self, tx: BaseDBAsyncClient, order: Order, evidence: PaidEvidence, reason: str
    ) -> Outcome:
        """Keep money we cannot accept; the unique key makes repeats of the same payment a no-op."""
        try:
            async with tx._in_transaction() as savepoint:
                await RefundReview.create(
                    order_id=order.id,
                    channel=evidence.channel,
                    channel_trade_no=evidence.channel_trade_no,
                    amount_fen=evidence.amount_fen,
                    reason=reason,
                    created_at=clock.now(),
                    using_db=savepoint,
                )
            log.warning(
                "payment %s for %s queued for refund review: %s",
                evidence.channel_trade_no,
                order.order_no,
                reason,
            )
        except IntegrityError:
            pass
        return Outcome.REVIEW

    # ------------------------------------------------------------------ closing

    async def close_trade(self, order: Order, trade: ChannelTrade) -> bool:
        """Close one channel trade. False when it cannot be closed because it was paid
        (settled here from the channel's answer) or the channel is unreachable."""
        pay = self.pay[trade.channel]  # type: ignore[index]
        try:
            await pay.close(order.order_no)
        except ChannelUnavailable:
            return False
        except ChannelRejected:
            state = await self._query(trade.channel, order.order_no)  # type: ignore[arg-type]
            if state is not None and state.status in ("SUCCESS", "REFUNDED"):
                await self.paid(
                    order,
                    PaidEvidence(
                        cast(Channel, trade.channel),
                        state.channel_trade_no or "",
                        state.amount_fen or 0,
                        state.paid_at or clock.now(),
                        "query",
                    ),
                )
                return False
            if state is None or state.status not in ("CLOSED", "NOT_FOUND", "NOTPAY"):
                return False
        await ChannelTrade.filter(id=trade.id).update(closed_at=clock.now())
        return True

    async def close(self, order: Order, *, reason: str) -> bool:
        """Close an open order here and at every channel it reached. False if it got paid."""
        if OrderStatus(order.status) not in OPEN:
            return False
        for trade in await ChannelTrade.filter(order_id=order.id, closed_at=None):
            if not await self.close_trade(order, trade):
                return False
        fresh = await Order.get(id=order.id)
        if OrderStatus(fresh.status) not in OPEN:
            return False
        moved = await move_order(fresh, OrderStatus.CLOSED, closed_at=clock.now(), open_key=None)
        if moved:
            order.status = fresh.status
            metrics.ORDERS.labels("closed", fresh.channel or "none").inc()
            log.info("order %s closed (%s)", order.order_no, reason)
        return moved

    async def _query(self, channel: Channel, order_no: str):  # type: ignore[no-untyped-def]
        try:
            return await self.pay[channel].query(order_no)
        except (ChannelRejected, ChannelUnavailable) as exc:
            log.warning("query of %s at %s failed: %s", order_no, channel, exc)
            return None

    # ------------------------------------------------------------------ sweeps

    async def expire_due(self, *, limit: int = 200) -> int:
        due = (
            await Order.filter(status__in=[s.value for s in OPEN], expires_at__lte=clock.now())
            .order_by("expires_at")
            .limit(limit)
        )
        closed = 0
        for order in due:
            closed += await self.close(order, reason="expired")
        return closed

    async def poll_paying(self, *, older_than: timedelta, limit: int = 200) -> int:
        """Ask the channel about orders still PAYING after ``older_than`` (lost notifications)."""
        stale = (
            await Order.filter(
                status=OrderStatus.PAYING.value, payment_started_at__lte=clock.now() - older_than
            )
            .order_by("payment_started_at")
            .limit(limit)
        )
        settled = 0
        for order in stale:
            settled += await self._settle_by_query(order)
        return settled

    async def query_all_paying(
        self, *, started_before: datetime, batch: int = 200, concurrency: int = 8
    ) -> int:
        """Ask the channel about every order PAYING since before ``started_before``.

        Run once PostgreSQL or Redis is back after an outage: notifications refused during
        it are otherwise settled only when the channel retries (Alipay waits 4 minutes).
        Pages by id, so orders the channel still calls unpaid do not come round again.
        """
        gate = asyncio.Semaphore(concurrency)

        async def one(order: Order) -> int:
            async with gate:
                return await self._settle_by_query(order)

        settled, after = 0, 0
        while True:
            page = (
                await Order.filter(
                    status=OrderStatus.PAYING.value,
                    payment_started_at__lte=started_before,
                    id__gt=after,
                )
                .order_by("id")
                .limit(batch)
            )
            if not page:
                return settled
            settled += sum(await asyncio.gather(*(one(order) for order in page)))
            after = page[-1].id

    async def _settle_by_query(self, order: Order) -> int:
        """1 when a query at the channel found the order paid and it became PAID now; every
        channel the order was offered on is asked (a second payment goes to review)."""
        settled = 0
        for trade in await ChannelTrade.filter(order_id=order.id):
            state = await self._query(trade.channel, order.order_no)  # type: ignore[arg-type]
            if state is None or state.status not in ("SUCCESS", "REFUNDED"):
                continue
            outcome = await self.paid(
                order,
                PaidEvidence(
                    cast(Channel, trade.channel),
                    state.channel_trade_no or "",
                    state.amount_fen or 0,
                    state.paid_at or clock.now(),
                    "query",
                ),
            )
            settled += outcome == Outcome.PAID
        return settled
