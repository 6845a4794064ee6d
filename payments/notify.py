"""Inbound payment and refund notifications.

Order of work: log the raw body (append-only) → verify (signature, app and merchant ids,
format) → find the order → settle under a compare-and-set → commit → acknowledge. The
channel's exact success body is sent only after the commit, so a crash in between makes
the channel retry, and the retry is acknowledged as a duplicate.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from channels.base import Acknowledgement, Channel, NotificationRejected, Pay, ReplayGuard
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
    # Parsers by route for a channel with several wire dialects ("wechat/v2", "wechat/v3");
    # a route whose dialect is absent refuses, logged like any refusal.
    dialects: Mapping[str, Pay] = field(default_factory=dict)
    replay_guards: Mapping[str, ReplayGuard] = field(default_factory=dict)

    def _adapter(self, channel: Channel, dialect: str | None) -> Pay | None:
        return self.pay[channel] if dialect is None else self.dialects.get(dialect)

    async def _screen(
        self,
        channel: Channel,
        dialect: str | None,
        entry: Notification,
        headers: Mapping[str, str] | None,
        order_no: str | None,
    ) -> Reply | None:
        """After the signature verified: refuse a nonce already seen (replay)."""
        guard = self.replay_guards.get(dialect or "")
        if guard is None or await guard.first_sight(headers or {}):
            return None
        await self._outcome(entry, "rejected", order_no, "replayed: nonce already seen")
        log.warning("replayed %s notification %s refused", dialect, entry.id)
        return self._refuse(channel, "NOTIFY_REPLAYED", 400, dialect)

    async def _log(
        self,
        channel: Channel,
        kind: str,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> Notification:
        return await Notification.create(
            channel=channel,
            kind=kind,
            body=body.decode("utf-8", errors="replace"),
            headers=_loggable(headers),
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

    def _refuse(
        self, channel: Channel, code: str, status: int, dialect: str | None = None
    ) -> Reply:
        adapter = self._adapter(channel, dialect) or self.pay[channel]
        return Reply(adapter.ack_failure(code), status, code)

    def _accept(self, adapter: Pay) -> Reply:
        ack = adapter.ack_success()
        return Reply(ack, ack.status)

    async def payment(
        self,
        channel: Channel,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        dialect: str | None = None,
    ) -> Reply:
        entry = await self._log(channel, "payment", body, content_type, headers)
        adapter = self._adapter(channel, dialect)
        if adapter is None:
            return await self._not_configured(channel, dialect, entry)
        try:
            notice = adapter.parse_payment_notification(body, content_type, headers=headers)
        except NotificationRejected as exc:
            await self._outcome(entry, "rejected", None, str(exc))
            log.warning("rejected %s payment notification %s: %s", channel, entry.id, exc)
            return self._refuse(channel, "NOTIFY_SIGNATURE_INVALID", 400, dialect)
        replayed = await self._screen(channel, dialect, entry, headers, notice.out_trade_no)
        if replayed is not None:
            return replayed
        order = await Order.get_or_none(order_no=notice.out_trade_no)
        if order is None:
            await self._outcome(entry, "unknown_order", notice.out_trade_no)
            return self._refuse(channel, "NOTIFY_UNKNOWN_ORDER", 404, dialect)
        if not notice.paid:
            await self._outcome(entry, "not_paid", order.order_no)
            return self._accept(adapter)
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
            return self._refuse(channel, "NOTIFY_AMOUNT_MISMATCH", 400, dialect)
        await self._outcome(entry, outcome.value, order.order_no)
        return self._accept(adapter)

    async def refund(
        self,
        channel: Channel,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        dialect: str | None = None,
    ) -> Reply:
        entry = await self._log(channel, "refund", body, content_type, headers)
        adapter = self._adapter(channel, dialect)
        if adapter is None:
            return await self._not_configured(channel, dialect, entry)
        try:
            state = adapter.parse_refund_notification(body, content_type, headers=headers)
        except NotificationRejected as exc:
            await self._outcome(entry, "rejected", None, str(exc))
            return self._refuse(channel, "NOTIFY_SIGNATURE_INVALID", 400, dialect)
        replayed = await self._screen(channel, dialect, entry, headers, state.out_trade_no)
        if replayed is not None:
            return replayed
        refund = await Refund.get_or_none(refund_no=state.out_refund_no)
        if refund is None:
            await self._outcome(entry, "unknown_refund", state.out_trade_no)
            return self._refuse(channel, "NOTIFY_UNKNOWN_ORDER", 404, dialect)
        result = await self.refunds.apply_channel_state(refund, state)
        await self._outcome(entry, f"refund_{result}", state.out_trade_no)
        return self._accept(adapter)

    async def _not_configured(
        self, channel: Channel, dialect: str | None, entry: Notification
    ) -> Reply:
        await self._outcome(entry, "rejected", None, f"{dialect} is not configured here")
        log.warning("%s notification %s refused: %s not configured", channel, entry.id, dialect)
        return self._refuse(channel, "NOTIFY_API_NOT_CONFIGURED", 404)


# Request headers that authenticate a caller to us, not the channel to us: never logged.
UNLOGGED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


def _loggable(headers: Mapping[str, str] | None) -> str:
    """The headers as received (signature, timestamp, nonce, serial), as JSON."""
    kept = {k: v for k, v in (headers or {}).items() if k.lower() not in UNLOGGED_HEADERS}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True)
