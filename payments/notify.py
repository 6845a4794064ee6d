"""Inbound payment and refund notifications.

Order of work: log the raw body (append-only) → verify (signature, app and merchant ids,
format) → find the order → settle under a compare-and-set → commit → acknowledge. The
channel's exact success body is sent only after the commit, so a crash in between makes
the channel retry, and the retry is acknowledged as a duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from channels.base import Acknowledgement, Channel, NotificationRejected, Pay
from infra import clock, metrics
from payments.errors import NotifyAmountMismatch
from payments.models import Notification, NotificationOutcome, Order, Refund
from payments.refunds import Refunds
from payments.settle import PaidEvidence, Settlement

log = logging.getLogger("yiwang.payments.notify")


@dataclass(frozen=True)
class Reply:
    """What to send back: the channel's body, an HTTP status, and our stable code if refused."""

    ack: Acknowledgement
    status: int
    code: str | None = None


@dataclass
class Notifications:
    pay: Mapping[Channel, Pay]
    settlement: Settlement
    refunds: Refunds

    async def _log(
        self, channel: Channel, kind: str, body: bytes, content_type: str
    ) -> Notification:
        return await Notification.create(
            channel=channel,
            kind=kind,
            body=body.decode("utf-8", errors="replace"),
            content_type=content_type[:128],
            received_at=clock.now(),
        )

    async def _outcome(
        self, entry: Notification, outcome: str, order_no: str | None, detail: str = ""
    ) -> None:
        await NotificationOutcome.create(
            notification_id=entry.id,
            outcome=outcome,
            order_no=order_no,
            detail=detail[:2000],
            decided_at=clock.now(),
        )
        metrics.NOTIFICATIONS.labels(entry.channel, entry.kind, outcome).inc()

    def _refuse(self, channel: Channel, code: str, status: int) -> Reply:
        return Reply(self.pay[channel].ack_failure(code), status, code)

    async def payment(
        self,
        channel: Channel,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        entry = await self._log(channel, "payment", body, content_type)
        adapter = self.pay[channel]
        try:
            notice = adapter.parse_payment_notification(body, content_type, headers=headers)
        except NotificationRejected as exc:
            await self._outcome(entry, "rejected", None, str(exc))
            log.warning("rejected %s payment notification %s: %s", channel, entry.id, exc)
            return self._refuse(channel, "NOTIFY_SIGNATURE_INVALID", 400)
        order = await Order.get_or_none(order_no=notice.out_trade_no)
        if order is None:
            await self._outcome(entry, "unknown_order", notice.out_trade_no)
            return self._refuse(channel, "NOTIFY_UNKNOWN_ORDER", 404)
        if not notice.paid:
            await self._outcome(entry, "not_paid", order.order_no)
            return Reply(adapter.ack_success(), 200)
        evidence = PaidEvidence(
            channel,
            notice.channel_trade_no,
            notice.amount_fen,
            notice.paid_at or clock.now(),
            "notify",
        )
        try:
            outcome = await self.settlement.paid(order, evidence)
        except NotifyAmountMismatch:
            await self._outcome(
                entry,
                "amount_mismatch",
                order.order_no,
                f"notified {notice.amount_fen}, order {order.amount_fen}",
            )
            return self._refuse(channel, "NOTIFY_AMOUNT_MISMATCH", 400)
        await self._outcome(entry, outcome.value, order.order_no)
        return Reply(adapter.ack_success(), 200)

    async def refund(
        self,
        channel: Channel,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        entry = await self._log(channel, "refund", body, content_type)
        adapter = self.pay[channel]
        try:
            state = adapter.parse_refund_notification(body, content_type, headers=headers)
        except NotificationRejected as exc:
            await self._outcome(entry, "rejected", None, str(exc))
            return self._refuse(channel, "NOTIFY_SIGNATURE_INVALID", 400)
        refund = await Refund.get_or_none(refund_no=state.out_refund_no)
        if refund is None:
            await self._outcome(entry, "unknown_refund", state.out_trade_no)
            return self._refuse(channel, "NOTIFY_UNKNOWN_ORDER", 404)
        result = await self.refunds.apply_channel_state(refund, state)
        await self._outcome(entry, f"refund_{result}", state.out_trade_no)
        return Reply(adapter.ack_success(), 200)
