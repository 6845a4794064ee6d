"""Order, refund and refund-review states, and the ONE transition table for each.

Every status change is persisted by :func:`infra.transitions.move`, a compare-and-set
that must change exactly one row; a transition not listed here is refused.
"""

from __future__ import annotations

from enum import StrEnum

from infra.transitions import Transitions


class OrderStatus(StrEnum):
    CREATED = "CREATED"
    PAYING = "PAYING"
    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    CLOSED = "CLOSED"


class RefundStatus(StrEnum):
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


class ReviewStatus(StrEnum):
    """Money we could not accept, on its way back to the payer."""

    OPEN = "OPEN"
    REFUNDING = "REFUNDING"
    REFUNDED = "REFUNDED"
    SETTLED_OFFLINE = "SETTLED_OFFLINE"


ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    # CREATED -> PAID: the channel trade was opened but we crashed before recording PAYING.
    OrderStatus.CREATED: frozenset({OrderStatus.PAYING, OrderStatus.PAID, OrderStatus.CLOSED}),
    OrderStatus.PAYING: frozenset({OrderStatus.PAID, OrderStatus.CLOSED}),
    OrderStatus.PAID: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
    OrderStatus.REFUNDED: frozenset(),
    OrderStatus.CLOSED: frozenset(),
}

REFUND_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    RefundStatus.PENDING: frozenset({RefundStatus.SUCCESS, RefundStatus.FAILED}),
    RefundStatus.SUCCESS: frozenset(),
    RefundStatus.FAILED: frozenset(),
}

REVIEW_TRANSITIONS: dict[ReviewStatus, frozenset[ReviewStatus]] = {
    ReviewStatus.OPEN: frozenset({ReviewStatus.REFUNDING, ReviewStatus.SETTLED_OFFLINE}),
    # REFUNDING -> OPEN: the channel refused the refund, so an operator decides again.
    ReviewStatus.REFUNDING: frozenset({ReviewStatus.REFUNDED, ReviewStatus.OPEN}),
    ReviewStatus.REFUNDED: frozenset(),
    ReviewStatus.SETTLED_OFFLINE: frozenset(),
}

ORDER = Transitions.of("order", ORDER_TRANSITIONS, stamp="updated_at")
REFUND = Transitions.of("refund", REFUND_TRANSITIONS)
REVIEW = Transitions.of("refund review", REVIEW_TRANSITIONS)

OPEN = frozenset({OrderStatus.CREATED, OrderStatus.PAYING})
SETTLED = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED})
REFUNDABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})
REVIEW_UNRESOLVED = frozenset({ReviewStatus.OPEN, ReviewStatus.REFUNDING})
REVIEW_RESOLVED = frozenset({ReviewStatus.REFUNDED, ReviewStatus.SETTLED_OFFLINE})
