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


async def _compare_and_set(
    row: Order | Refund | RefundReview,
    src: str,
    dst: str,
    using: BaseDBAsyncClient | None,
    changes: dict[str, Any],
) -> bool:
    """``status`` from ``src`` to ``dst`` only if the row still holds ``src``; the instance
    follows when it moved. False: someone moved it first."""
    query = type(row).filter(id=row.id, status=src)
    if using is not None:
        query = query.using_db(using)
    moved = await query.update(status=dst, **changes) == 1
    if moved:
        row.status = dst
        for name, value in changes.items():
            setattr(row, name, value)
    return moved


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
    return await _compare_and_set(
        order, src.value, dst.value, using, {"updated_at": clock.now(), **changes}
    )


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
    return await _compare_and_set(refund, src.value, dst.value, using, changes)


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
    return await _compare_and_set(review, src.value, dst.value, using, changes)
