"""Refunding a paid appointment the resident cancelled in time, through the payment platform."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from payments.errors import OrderNotRefundable, RefundExceedsBalance
from payments.models import Order
from payments.refunds import Refunds

log = logging.getLogger("yiwang.appointments")


@dataclass
class PlatformRefunds:
    refunds: Refunds

    async def refund_order(self, order_id: int, amount_fen: int, reason: str) -> None:
        order = await Order.get(id=order_id)
        try:
            # Keyed by the order: a retried event answers the refund it already made.
            await self.refunds.request(
                order.order_no,
                amount_fen,
                reason=reason,
                requested_by="appointments",
                request_key=f"appointment-cancel-{order_id}",
            )
        except (RefundExceedsBalance, OrderNotRefundable):
            # Already refunded (a retried event): the refund exists; nothing more to do.
            log.info("appointment refund for order %s already made", order_id)
