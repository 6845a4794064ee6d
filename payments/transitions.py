"""Persisting status changes: the transition table decides, a compare-and-set applies."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from infra import clock
from payments.models import Order, Refund, RefundReview
from payments.states import (
    OrderStatus,
    RefundStatus,
    ReviewStatus,
    order_may_move,
    refund_may_move,
    review_may_move,
)


class IllegalTransition(RuntimeError):
    """A code path asked for a move the table forbids: a bug, never a user error."""


async def move_order(
    order: Order,
    dst: OrderStatus,
    *,
    using: BaseDBAsyncClient | None = None,
    **changes: Any,
) -> bool:
    """Move ``order`` from its current status to ``dst``; False if someone moved it first."""
    src = OrderStatus(order.status)
    if not order_may_move(src, dst):
        raise IllegalTransition(f"order {order.order_no}: {src} -> {dst}")
    query = Order.filter(id=order.id, status=src.value)
    if using is not None:
        query = query.using_db(using)
    moved = await query.update(status=dst.value, updated_at=clock.now(), **changes) == 1
    if moved:
        order.status = dst.value
        for name, value in changes.items():
            setattr(order, name, value)
    return moved


async def move_refund(
    refund: Refund,
    dst: RefundStatus,
    *,
    using: BaseDBAsyncClient | None = None,
    **changes: Any,
) -> bool:
    src = RefundStatus(refund.status)
    if not refund_may_move(src, dst):
        raise IllegalTransition(f"refund {refund.refund_no}: {src} -> {dst}")
    query = Refund.filter(id=refund.id, status=src.value)
    if using is not None:
        query = query.using_db(using)
    moved = await query.update(status=dst.value, **changes) == 1
    if moved:
        refund.status = dst.value
        for name, value in changes.items():
            setattr(refund, name, value)
    return moved


async def move_review(
    review: RefundReview,
    dst: ReviewStatus,
    *,
    using: BaseDBAsyncClient | None = None,
    **changes: Any,
) -> bool:
    src = ReviewStatus(review.status)
    if not review_may_move(src, dst):
        raise IllegalTransition(f"refund review {review.id}: {src} -> {dst}")
    query = RefundReview.filter(id=review.id, status=src.value)
    if using is not None:
        query = query.using_db(using)
    moved = await query.update(status=dst.value, **changes) == 1
    if moved:
        review.status = dst.value
        for name, value in changes.items():
            setattr(review, name, value)
    return moved
