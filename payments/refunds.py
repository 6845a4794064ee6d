"""Refunds: full or partial, by an operator with a reason, never beyond what is left.

The balance is reserved by a guarded update (``refunded_fen + x <= amount_fen``) before
the channel is asked, so two refunds racing each other cannot both pass; a refund the
channel refuses gives its reservation back.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

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
from infra import clock, outbox
from payments.errors import (
    OrderNotFound,
    OrderNotRefundable,
    PaymentChannelFailed,
    RefundExceedsBalance,
)
from payments.models import Order, Refund
from payments.states import REFUNDABLE, OrderStatus, RefundStatus
from payments.transitions import move_order, move_refund

log = logging.getLogger("yiwang.payments.refunds")

ORDER_REFUNDED = "order.refunded"
RECEIPT_RED_LETTER = "receipt.red_letter"


def new_refund_no() -> str:
    return f"RF{clock.shanghai_now().strftime('%Y%m%d%H%M%S')}{secrets.randbelow(10**6):06d}"


@dataclass
class Refunds:
    pay: Mapping[Channel, Pay]
    notify_url_for: Mapping[Channel, str]

    async def request(
        self, order_no: str, amount_fen: int, *, reason: str, requested_by: str
    ) -> Refund:
        if amount_fen <= 0:
            raise RefundExceedsBalance("A refund must be a positive amount.")
        if not reason.strip():
            raise OrderNotRefundable("A refund needs a reason.")
        refund = await self._reserve(order_no, amount_fen, reason.strip(), requested_by)
        order = await Order.get(id=refund.order_id)  # type: ignore[attr-defined]
        channel: Channel = refund.channel  # type: ignore[assignment]
        request = RefundRequest(
            out_trade_no=order.order_no,
            out_refund_no=refund.refund_no,
            refund_fen=amount_fen,
            total_fen=order.amount_fen,
            reason=refund.reason,
            notify_url=self.notify_url_for.get(channel),
        )
        try:
            state = await self.pay[channel].refund(request)
        except ChannelRejected as exc:
            await self._fail(refund, str(exc))
            raise PaymentChannelFailed(str(exc), channel_code=exc.channel_code) from exc
        except ChannelUnavailable:
            log.warning("refund %s pending: channel unavailable, will be queried", refund.refund_no)
            return refund
        await self.apply_channel_state(refund, state)
        return await Refund.get(id=refund.id)

    async def _reserve(self, order_no: str, amount_fen: int, reason: str, by: str) -> Refund:
        async with in_transaction() as tx:
            order = await Order.filter(order_no=order_no).using_db(tx).select_for_update().first()
            if order is None:
                raise OrderNotFound()
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
            return await Refund.create(
                refund_no=new_refund_no(),
                order_id=order.id,
                channel=order.channel or "",
                amount_fen=amount_fen,
                reason=reason[:256],
                requested_by=by[:64],
                status=RefundStatus.PENDING.value,
                created_at=clock.now(),
                using_db=tx,
            )

    async def _fail(self, refund: Refund, why: str) -> None:
        async with in_transaction() as tx:
            if await move_refund(
                refund, RefundStatus.FAILED, using=tx, failure=why[:2000], settled_at=clock.now()
            ):
                await (
                    Order.filter(id=refund.order_id)
                    .using_db(tx)
                    .update(  # type: ignore[attr-defined]
                        refunded_fen=F("refunded_fen") - refund.amount_fen
                    )
                )

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
        async with in_transaction() as tx:
            if not await move_refund(
                refund,
                RefundStatus.SUCCESS,
                using=tx,
                channel_refund_no=channel_refund_no,
                settled_at=clock.now(),
            ):
                return
            order = await Order.filter(id=refund.order_id).using_db(tx).select_for_update().get()  # type: ignore[attr-defined]
            done = sum(
                await Refund.filter(order_id=order.id, status=RefundStatus.SUCCESS.value)
                .using_db(tx)
                .values_list("amount_fen", flat=True)
            )
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

    async def poll_pending(self, *, older_than: timedelta, limit: int = 100) -> int:
        pending = await Refund.filter(
            status=RefundStatus.PENDING.value, created_at__lte=clock.now() - older_than
        ).limit(limit)
        settled = 0
        for refund in pending:
            order = await Order.get(id=refund.order_id)  # type: ignore[attr-defined]
            try:
                state = await self.pay[refund.channel].query_refund(
                    order.order_no, refund.refund_no
                )  # type: ignore[index]
            except (ChannelRejected, ChannelUnavailable) as exc:
                log.warning("refund query %s failed: %s", refund.refund_no, exc)
                continue
            settled += await self.apply_channel_state(refund, state) in ("success", "failed")
        return settled
