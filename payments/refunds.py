"""Refunds: full or partial, by an operator with a reason, never beyond what is left.

The balance is reserved by a guarded update (``refunded_fen + x <= amount_fen``) before
the channel is asked, so two refunds racing each other cannot both pass; a refund the
channel refuses gives its reservation back.

An operator's request carries an idempotency key, stored on the refund and unique per
order: a retried request (a browser retry after a timeout, a command re-run from the shell
history) finds the refund it made instead of refunding twice.

A refund linked to a refund review returns money we never accepted (payments/reviews.py).
It shares the channel calls, the notifications and the polling with order refunds, but
settles the review instead of the order: no refunded_fen, no order status, no red letter.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from channels.base import (
    Channel,
    ChannelRejected,
    ChannelUnavailable,
    Pay,
    RefundRequest,
    RefundState,
)
from infra import clock, metrics, outbox
from payments.errors import (
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    OrderNotFound,
    OrderNotRefundable,
    PaymentChannelFailed,
    RefundExceedsBalance,
)
from payments.models import Order, Refund, RefundReview
from payments.states import REFUNDABLE, OrderStatus, RefundStatus, ReviewStatus
from payments.transitions import move_order, move_refund, move_review

log = logging.getLogger("yiwang.payments.refunds")

ORDER_REFUNDED = "order.refunded"
RECEIPT_RED_LETTER = "receipt.red_letter"


REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def new_refund_no() -> str:
    return f"RF{clock.shanghai_now().strftime('%Y%m%d%H%M%S')}{secrets.randbelow(10**6):06d}"


def checked_request_key(key: str | None) -> str:
    """An operator's idempotency key: required, 8-64 characters a header can carry as is."""
    if not key:
        raise IdempotencyKeyMissing()
    if not REQUEST_KEY.fullmatch(key):
        raise IdempotencyKeyInvalid()
    return key


def _same_request(earlier: Refund, amount_fen: int, reason: str) -> Refund:
    if earlier.amount_fen != amount_fen or earlier.reason != reason:
        raise IdempotencyKeyReused(refund_no=earlier.refund_no)
    return earlier


@dataclass(frozen=True)
class Requested:
    """A refund, and whether a retry found it (``replayed``) rather than this call making it."""

    refund: Refund
    replayed: bool = False


@dataclass
class Refunds:
    pay: Mapping[Channel, Pay]
    notify_url_for: Mapping[Channel, str]

    async def request(
        self,
        order_no: str,
        amount_fen: int,
        *,
        reason: str,
        requested_by: str,
        request_key: str | None = None,
    ) -> Requested:
        """Refund part of an order. With ``request_key``, a repeat of the same request answers
        the refund it made, as it stands now (even PENDING or FAILED), without asking the
        channel again; the same key with another amount or reason is IdempotencyKeyReused."""
        if amount_fen <= 0:
            raise RefundExceedsBalance("A refund must be a positive amount.")
        reason = reason.strip()[:256]
        if not reason:
            raise OrderNotRefundable("A refund needs a reason.")
        if request_key is not None:
            request_key = checked_request_key(request_key)
        made = await self._reserve(order_no, amount_fen, reason, requested_by, request_key)
        if made.replayed:
            log.info("refund %s replayed for key %s", made.refund.refund_no, request_key)
            return made
        return Requested(await self.send(made.refund))

    async def send(self, refund: Refund) -> Refund:
        """Ask the channel for a PENDING refund. A refusal fails it (PaymentChannelFailed);
        an unreachable channel leaves it PENDING for ``poll_pending``. Channels refund one
        ``out_refund_no`` at most once, so sending the same refund again is safe."""
        order = await Order.get(id=refund.order_id)  # type: ignore[attr-defined]
        total_fen = order.amount_fen
        if refund.review_id is not None:  # type: ignore[attr-defined]
            # The reviewed trade is its own payment; its total is what the channel holds.
            total_fen = (await RefundReview.get(id=refund.review_id)).amount_fen  # type: ignore[attr-defined]
        channel: Channel = refund.channel  # type: ignore[assignment]
        request = RefundRequest(
            out_trade_no=order.order_no,
            out_refund_no=refund.refund_no,
            refund_fen=refund.amount_fen,
            total_fen=total_fen,
            reason=refund.reason,
            notify_url=self.notify_url_for.get(channel),
        )
        try:
            state = await self.pay[channel].refund(request)
        except ChannelRejected as exc:
            await self._fail(refund, str(exc))
            raise PaymentChannelFailed(
                str(exc), channel_code=exc.channel_code, refund_no=refund.refund_no
            ) from exc
        except ChannelUnavailable:
            log.warning("refund %s pending: channel unavailable, will be queried", refund.refund_no)
            return refund
        await self.apply_channel_state(refund, state)
        return await Refund.get(id=refund.id)

    async def _reserve(
        self, order_no: str, amount_fen: int, reason: str, by: str, key: str | None
    ) -> Requested:
        try:
            return await self._reserve_once(order_no, amount_fen, reason, by, key)
        except IntegrityError:
            # Two requests with one key: the unique (order, request_key) let one refund in.
            earlier = None
            if key is not None:
                earlier = await Refund.filter(order__order_no=order_no, request_key=key).first()
            if earlier is None:
                raise
            return Requested(_same_request(earlier, amount_fen, reason), replayed=True)

    async def _reserve_once(
        self, order_no: str, amount_fen: int, reason: str, by: str, key: str | None
    ) -> Requested:
        async with in_transaction() as tx:
            order = await Order.filter(order_no=order_no).using_db(tx).select_for_update().first()
            if order is None:
                raise OrderNotFound()
            if key is not None:
                # Under the order's row lock, so a concurrent twin has committed by now.
                earlier = (
                    await Refund.filter(order_id=order.id, request_key=key).using_db(tx).first()
                )
                if earlier is not None:
                    return Requested(_same_request(earlier, amount_fen, reason), replayed=True)
            if OrderStatus(order.status) not in REFUNDABLE:
                raise OrderNotRefundable()
            reserved = (
                await Order.filter(
                    id=order.id,
                    status__in=[s.value for s in REFUNDABLE],
                    refunded_fen__lte=order.amount_fen - amount_fen,
                )
                .using_db(tx)
                .update(refunded_fen=F("refunded_fen") + amount_fen)
            )
            if reserved != 1:
                raise RefundExceedsBalance(left_fen=order.amount_fen - order.refunded_fen)
            refund = await Refund.create(
                refund_no=new_refund_no(),
                order_id=order.id,
                channel=order.channel or "",
                amount_fen=amount_fen,
                reason=reason,
                requested_by=by[:64],
                status=RefundStatus.PENDING.value,
                created_at=clock.now(),
                request_key=key,
                using_db=tx,
            )
            return Requested(refund)

    async def _fail(self, refund: Refund, why: str) -> None:
        async with in_transaction() as tx:
            if not await move_refund(
                refund, RefundStatus.FAILED, using=tx, failure=why[:2000], settled_at=clock.now()
            ):
                return
            if refund.review_id is not None:  # type: ignore[attr-defined]
                await self._review_moves(
                    tx, refund, ReviewStatus.OPEN, action=None, failure=why[:2000]
                )
                return
            await (
                Order.filter(id=refund.order_id)  # type: ignore[attr-defined]
                .using_db(tx)
                .update(refunded_fen=F("refunded_fen") - refund.amount_fen)
            )

    async def _review_moves(
        self, tx: BaseDBAsyncClient, refund: Refund, dst: ReviewStatus, **changes: object
    ) -> None:
        """Settle the review behind a review refund: REFUNDED, or OPEN again after a failure."""
        review = (
            await RefundReview.filter(id=refund.review_id)  # type: ignore[attr-defined]
            .using_db(tx)
            .select_for_update()
            .get()
        )
        if ReviewStatus(review.status) != ReviewStatus.REFUNDING:
            log.error("review %s is %s under refund %s", review.id, review.status, refund.refund_no)
            return
        await move_review(review, dst, using=tx, **changes)

    async def apply_channel_state(self, refund: Refund, state: RefundState) -> str:
        """Settle a pending refund from the channel's word; idempotent."""
        if RefundStatus(refund.status) != RefundStatus.PENDING:
            return "duplicate"
        if state.status == "SUCCESS":
            await self._succeed(refund, state.channel_refund_no)
            return "success"
        if state.status == "FAILED":
            await self._fail(refund, "the channel reported the refund failed")
            return "failed"
        return "pending"

    async def _succeed(self, refund: Refund, channel_refund_no: str | None) -> None:
        refunded_on: str | None = None
        async with in_transaction() as tx:
            if not await move_refund(
                refund,
                RefundStatus.SUCCESS,
                using=tx,
                channel_refund_no=channel_refund_no,
                settled_at=clock.now(),
            ):
                return
            if refund.review_id is not None:  # type: ignore[attr-defined]
                await self._review_moves(tx, refund, ReviewStatus.REFUNDED, resolved_at=clock.now())
                log.info("refund %s returned reviewed money", refund.refund_no)
                return
            order = await Order.filter(id=refund.order_id).using_db(tx).select_for_update().get()  # type: ignore[attr-defined]
            amounts: list[int] = await Refund.filter(
                order_id=order.id, status=RefundStatus.SUCCESS.value, review_id=None
            ).using_db(tx).values_list("amount_fen", flat=True)  # type: ignore[assignment]
            done = sum(amounts)
            fully = done >= order.amount_fen
            target = OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED
            await move_order(order, target, using=tx)
            await outbox.emit(
                ORDER_REFUNDED,
                {
                    "order_id": order.id,
                    "order_no": order.order_no,
                    "refund_id": refund.id,
                    "refund_no": refund.refund_no,
                    "refund_fen": refund.amount_fen,
                    "payable_type": order.payable_type,
                    "payable_ref": order.payable_ref,
                    "fully": fully,
                },
                using=tx,
                dedupe_key=f"{ORDER_REFUNDED}:{refund.id}",
            )
            await outbox.emit(
                RECEIPT_RED_LETTER,
                {
                    "order_id": order.id,
                    "refund_id": refund.id,
                    "refund_fen": refund.amount_fen,
                    "fully": fully,
                },
                using=tx,
                dedupe_key=f"{RECEIPT_RED_LETTER}:{refund.id}",
            )
            refunded_on = order.channel or "none"
        if refunded_on is not None:
            metrics.ORDERS.labels("refunded", refunded_on).inc()

    async def poll_pending(self, *, older_than: timedelta, limit: int = 100) -> int:
        pending = await Refund.filter(
            status=RefundStatus.PENDING.value, created_at__lte=clock.now() - older_than
        ).limit(limit)
        settled = 0
        for refund in pending:
            order = await Order.get(id=refund.order_id)  # type: ignore[attr-defined]
            try:
                state = await self.pay[cast(Channel, refund.channel)].query_refund(
                    order.order_no, refund.refund_no
                )
            except (ChannelRejected, ChannelUnavailable) as exc:
                log.warning("refund query %s failed: %s", refund.refund_no, exc)
                continue
            if state.status == "NOT_FOUND":
                settled += await self._resend(refund)
                continue
            settled += await self.apply_channel_state(refund, state) in ("success", "failed")
        return settled

    async def _resend(self, refund: Refund) -> bool:
        """A PENDING refund the channel never received (we crashed after reserving, or the
        request was lost): send it now, under the same out_refund_no."""
        log.warning("refund %s unknown at the channel: sending it again", refund.refund_no)
        try:
            sent = await self.send(refund)
        except PaymentChannelFailed:
            return True
        return RefundStatus(sent.status) != RefundStatus.PENDING
