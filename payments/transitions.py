"""The payment platform's moves, by name: each is :func:`infra.transitions.move` with the
model's table (``payments/states.py``), typed for the aggregate it moves."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from infra.transitions import IllegalTransition, move
from payments.models import Order, Refund, RefundReview
from payments.states import OrderStatus, RefundStatus, ReviewStatus

__all__ = ["IllegalTransition", "move_order", "move_refund", "move_review"]


async def move_order(
    order: Order, dst: OrderStatus, *, using: BaseDBAsyncClient | None = None, **changes: Any
) -> bool:
    """Move ``order`` to ``dst`` (``updated_at`` follows); False if someone moved it first."""
    return await move(order, dst, using=using, **changes)


async def move_refund(
    refund: Refund, dst: RefundStatus, *, using: BaseDBAsyncClient | None = None, **changes: Any
) -> bool:
    return await move(refund, dst, using=using, **changes)


async def move_review(
    review: RefundReview,
    dst: ReviewStatus,
    *,
    using: BaseDBAsyncClient | None = None,
    **changes: Any,
) -> bool:
    return await move(review, dst, using=using, **changes)
