"""The way out of the refund-review queue: refund the trade at its channel, or record that
the money went back some other way (a bank transfer, cash at the counter).

Money in the queue arrived for an order we could not accept (payments/settle.py), so it was
never part of the order's payment. Refunding it moves neither the order's ``refunded_fen``
nor its status and issues no red letter: the refund is linked to the review, and its success
moves the review REFUNDING -> REFUNDED (payments/refunds.py).

Resolving is idempotent by the review's own status: OPEN -> REFUNDING or SETTLED_OFFLINE is
a compare-and-set, so of two operators (or one retried request) exactly one decides, and a
repeat of the same action answers the resolution already made, never a second refund.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from tortoise.transactions import in_transaction

from channels.base import ChannelRejected, ChannelUnavailable
from infra import clock
from payments.errors import (
    PaymentChannelFailed,
    PaymentChannelUnavailable,
    RefundReviewNotFound,
    RefundReviewResolved,
    RefundReviewTradeMismatch,
)
from payments.models import Order, Refund, RefundReview
from payments.refunds import Refunds, new_refund_no
from payments.states import (
    REVIEW_RESOLVED,
    REVIEW_UNRESOLVED,
    SETTLED,
    OrderStatus,
    RefundStatus,
    ReviewStatus,
)
from payments.transitions import move_review

log = logging.getLogger("yiwang.payments.reviews")

PAID_AT_CHANNEL = ("SUCCESS", "REFUNDED")


class ReviewAction(StrEnum):
    REFUND = "refund"
    SETTLED_OFFLINE = "settled_offline"


@dataclass(frozen=True)
class Resolution:
    """A review with its latest refund attempt (None when none was made)."""

    review: RefundReview
    refund: Refund | None


async def _latest_refund(review_id: int) -> Refund | None:
    return await Refund.filter(review_id=review_id).order_by("-id").first()


@dataclass
class RefundReviews:
    refunds: Refunds

    async def listed(self, *, resolved: bool) -> list[Resolution]:
        wanted = REVIEW_RESOLVED if resolved else REVIEW_UNRESOLVED
        reviews = (
            await RefundReview.filter(status__in=[s.value for s in wanted])
            .order_by("created_at", "id")
            .prefetch_related("order")
        )
        latest: dict[int, Refund] = {}
        for refund in await Refund.filter(review_id__in=[r.id for r in reviews]).order_by("id"):
            latest[refund.review_id] = refund  # type: ignore[attr-defined]
        return [Resolution(r, latest.get(r.id)) for r in reviews]

    async def get(self, review_id: int) -> Resolution:
        review = await RefundReview.get_or_none(id=review_id).prefetch_related("order")
        if review is None:
            raise RefundReviewNotFound(review_id=review_id)
        return Resolution(review, await _latest_refund(review.id))

    async def resolve(
        self, review_id: int, action: ReviewAction, *, note: str, by: str
    ) -> Resolution:
        current = await self.get(review_id)
        review = current.review
        if ReviewStatus(review.status) != ReviewStatus.OPEN:
            return self._repeat(current, action)
        note = note.strip()[:2000]
        if action == ReviewAction.SETTLED_OFFLINE:
            now = clock.now()
            moved = await move_review(
                review,
                ReviewStatus.SETTLED_OFFLINE,
                action=action.value,
                resolution=note,
                resolved_by=by[:64],
                decided_at=now,
                resolved_at=now,
            )
            if not moved:
                return self._repeat(await self.get(review_id), action)
            log.info("refund review %s settled offline by %s", review.id, by)
            return await self.get(review_id)
        await self._confirm_trade(review)
        refund = await self._start_refund(review, note, by)
        if refund is None:
            return self._repeat(await self.get(review_id), action)
        await self.refunds.send(refund)
        return await self.get(review_id)

    @staticmethod
    def _repeat(current: Resolution, action: ReviewAction) -> Resolution:
        """A review already decided: the same action answers it as it stands now."""
        if current.review.action == action.value:
            return current
        raise RefundReviewResolved(status=current.review.status, action=current.review.action)

    async def _confirm_trade(self, review: RefundReview) -> None:
        """Refund only what the channel shows as exactly this trade. The channel finds a
        trade by our order number, so if that number leads to the order's accepted payment,
        refunding would take back money we kept."""
        order: Order = review.order
        accepted = (
            OrderStatus(order.status) in SETTLED
            and order.channel == review.channel
            and order.channel_trade_no == review.channel_trade_no
        )
        try:
            state = await self.refunds.pay[review.channel].query(order.order_no)  # type: ignore[index]
        except ChannelUnavailable as exc:
            raise PaymentChannelUnavailable(channel=review.channel) from exc
        except ChannelRejected as exc:
            raise PaymentChannelFailed(str(exc), channel_code=exc.channel_code) from exc
        if (
            accepted
            or state.status not in PAID_AT_CHANNEL
            or state.channel_trade_no != review.channel_trade_no
        ):
            raise RefundReviewTradeMismatch(
                channel_status=state.status, channel_trade_no=state.channel_trade_no
            )

    async def _start_refund(self, review: RefundReview, note: str, by: str) -> Refund | None:
        """OPEN -> REFUNDING and the PENDING refund, together; None if another request won."""
        async with in_transaction() as tx:
            if not await move_review(
                review,
                ReviewStatus.REFUNDING,
                using=tx,
                action=ReviewAction.REFUND.value,
                resolution=note,
                resolved_by=by[:64],
                decided_at=clock.now(),
                failure=None,
            ):
                return None
            return await Refund.create(
                refund_no=new_refund_no(),
                order_id=review.order_id,  # type: ignore[attr-defined]
                review_id=review.id,
                channel=review.channel,
                amount_fen=review.amount_fen,
                reason=(note or f"退回无法受理的付款 {review.channel_trade_no}")[:256],
                requested_by=by[:64],
                status=RefundStatus.PENDING.value,
                created_at=clock.now(),
                using_db=tx,
            )
