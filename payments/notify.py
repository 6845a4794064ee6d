"""Inbound payment and refund notifications.

Order of work: verify (signature, app and merchant ids, format) → find the order → settle
under a compare-and-set → commit → acknowledge. Every notification, whatever became of it,
leaves two append-only rows: the raw body as received and its outcome. Both are written in
one statement (PostgreSQL: one round trip), and when the notification settles an order,
inside the settlement's own transaction, so the log, the settlement and its reason commit
together or not at all. The channel's exact success body is sent only after the commit, so
a crash in between makes the channel retry, and the retry is acknowledged as a duplicate.

A retry of what already settled an order (most of what a channel sends) costs one
statement on PostgreSQL: it reads the order and, only if the order is settled by the same
trade for the same amount, writes the log and the ``duplicate`` outcome.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from channels.base import Acknowledgement, Channel, NotificationRejected, Pay, ReplayGuard
from infra import clock, metrics
from payments.errors import NotifyAmountMismatch
from payments.models import Order, Refund
from payments.refunds import Refunds
from payments.settle import Outcome, PaidEvidence, Settlement
from payments.states import SETTLED

log = logging.getLogger("yiwang.payments.notify")


@dataclass(frozen=True)
class Reply:
    """What to send back: the channel's body, an HTTP status, and our stable code if refused."""

    ack: Acknowledgement
    status: int
    code: str | None = None


@dataclass(frozen=True)
class Received:
    """A notification as it arrived, not yet written (it is written with its outcome)."""

    channel: Channel
    kind: str
    body: str
    content_type: str
    headers: str
    received_at: datetime

    @classmethod
    def of(
        cls,
        channel: Channel,
        kind: str,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None,
    ) -> Received:
        return cls(
            channel,
            kind,
            body.decode("utf-8", errors="replace"),
            content_type[:128],
            _loggable(headers),
            clock.now(),
        )

    def row(self) -> list[object]:
        return [
            self.channel,
            self.kind,
            self.body,
            self.content_type,
            self.headers,
            self.received_at,
        ]


_LOG_COLUMNS = "channel, kind, body, content_type, headers, received_at"
_OUTCOME_COLUMNS = "notification_id, outcome, order_no, detail, decided_at"
# PostgreSQL: the raw row and its outcome in one statement.
_PG_RECORD = (
    f"WITH n AS (INSERT INTO payment_notification ({_LOG_COLUMNS}) "
    "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id) "
    f"INSERT INTO payment_notification_outcome ({_OUTCOME_COLUMNS}) "
    "SELECT n.id, $7, $8, $9, $10 FROM n RETURNING notification_id"
)
# PostgreSQL: a retry of what settled the order (same trade, same amount) is logged as a
# duplicate in the same statement that finds it; no row comes back for anything else.
_PG_DUPLICATE = (
    "WITH o AS (SELECT order_no FROM payment_order WHERE order_no = $7 "
    "AND status = ANY($9::text[]) AND channel_trade_no = $10 AND amount_fen = $11), "
    f"n AS (INSERT INTO payment_notification ({_LOG_COLUMNS}) "
    "SELECT $1, $2, $3, $4, $5, $6 FROM o RETURNING id) "
    f"INSERT INTO payment_notification_outcome ({_OUTCOME_COLUMNS}) "
    "SELECT n.id, 'duplicate', $7, '', $8 FROM n RETURNING notification_id"
)
_SETTLED = sorted(status.value for status in SETTLED)


async def record(
    received: Received,
    outcome: str,
    order_no: str | None,
    detail: str = "",
    *,
    using: BaseDBAsyncClient | None = None,
) -> int:
    """Write the raw notification and its outcome (append-only, both or neither); its id."""
    conn = using or connections.get("default")
    values = [outcome, order_no, detail[:2000], clock.now()]
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(_PG_RECORD, [*received.row(), *values])
        notification_id = int(rows[0]["notification_id"])
    else:
        async with in_transaction() if using is None else _same(using) as tx:
            _, rows = await tx.execute_query(
                f"INSERT INTO payment_notification ({_LOG_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                received.row(),
            )
            notification_id = int(rows[0]["id"])
            await tx.execute_query(
                f"INSERT INTO payment_notification_outcome ({_OUTCOME_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?)",
                [notification_id, *values],
            )
    metrics.NOTIFICATIONS.labels(received.channel, received.kind, outcome).inc()
    return notification_id


async def record_if_duplicate(
    received: Received, order_no: str, channel_trade_no: str, amount_fen: int
) -> bool:
    """Log ``received`` as a ``duplicate`` if the order is settled by this very payment."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(
            _PG_DUPLICATE,
            [*received.row(), order_no, clock.now(), _SETTLED, channel_trade_no, amount_fen],
        )
        if not rows:
            return False
        metrics.NOTIFICATIONS.labels(received.channel, received.kind, "duplicate").inc()
        return True
    settled = await Order.filter(
        order_no=order_no,
        status__in=_SETTLED,
        channel_trade_no=channel_trade_no,
        amount_fen=amount_fen,
    ).exists()
    if settled:
        await record(received, Outcome.DUPLICATE.value, order_no)
    return settled


class _same:
    """``async with`` over a connection already in a transaction (SQLite path of record)."""

    def __init__(self, conn: BaseDBAsyncClient) -> None:
        self.conn = conn

    async def __aenter__(self) -> BaseDBAsyncClient:
        return self.conn

    async def __aexit__(self, *_: object) -> None:
        return None


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
        entry: Received,
        headers: Mapping[str, str] | None,
        order_no: str | None,
    ) -> Reply | None:
        """After the signature verified: refuse a nonce already seen (replay)."""
        guard = self.replay_guards.get(dialect or "")
        if guard is None or await guard.first_sight(headers or {}):
            return None
        logged = await record(entry, "rejected", order_no, "replayed: nonce already seen")
        log.warning("replayed %s notification %s refused", dialect, logged)
        return self._refuse(channel, "NOTIFY_REPLAYED", 400, dialect)

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
        entry = Received.of(channel, "payment", body, content_type, headers)
        adapter = self._adapter(channel, dialect)
        if adapter is None:
            return await self._not_configured(channel, dialect, entry)
        try:
            notice = adapter.parse_payment_notification(body, content_type, headers=headers)
        except NotificationRejected as exc:
            logged = await record(entry, "rejected", None, str(exc))
            log.warning("rejected %s payment notification %s: %s", channel, logged, exc)
            return self._refuse(channel, "NOTIFY_SIGNATURE_INVALID", 400, dialect)
        replayed = await self._screen(channel, dialect, entry, headers, notice.out_trade_no)
        if replayed is not None:
            return replayed
        if notice.paid and await record_if_duplicate(
            entry, notice.out_trade_no, notice.channel_trade_no, notice.amount_fen
        ):
            return self._accept(adapter)
        order = await Order.get_or_none(order_no=notice.out_trade_no)
        if order is None:
            await record(entry, "unknown_order", notice.out_trade_no)
            return self._refuse(channel, "NOTIFY_UNKNOWN_ORDER", 404, dialect)
        if not notice.paid:
            await record(entry, "not_paid", order.order_no)
            return self._accept(adapter)
        evidence = PaidEvidence(
            channel,
            notice.channel_trade_no,
            notice.amount_fen,
            notice.paid_at or clock.now(),
            "notify",
        )
        order_no = order.order_no

        async def settled(tx: BaseDBAsyncClient | None, outcome: Outcome) -> None:
            await record(entry, outcome.value, order_no, using=tx)

        try:
            await self.settlement.paid(order, evidence, record=settled)
        except NotifyAmountMismatch:
            await record(
                entry,
                "amount_mismatch",
                order.order_no,
                f"notified {notice.amount_fen}, order {order.amount_fen}",
            )
            return self._refuse(channel, "NOTIFY_AMOUNT_MISMATCH", 400, dialect)
        return self._accept(adapter)

    async def refund(
        self,
        channel: Channel,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        dialect: str | None = None,
    ) -> Reply:
        entry = Received.of(channel, "refund", body, content_type, headers)
        adapter = self._adapter(channel, dialect)
        if adapter is None:
            return await self._not_configured(channel, dialect, entry)
        try:
            state = adapter.parse_refund_notification(body, content_type, headers=headers)
        except NotificationRejected as exc:
            await record(entry, "rejected", None, str(exc))
            return self._refuse(channel, "NOTIFY_SIGNATURE_INVALID", 400, dialect)
        replayed = await self._screen(channel, dialect, entry, headers, state.out_trade_no)
        if replayed is not None:
            return replayed
        refund = await Refund.get_or_none(refund_no=state.out_refund_no)
        if refund is None:
            await record(entry, "unknown_refund", state.out_trade_no)
            return self._refuse(channel, "NOTIFY_UNKNOWN_ORDER", 404, dialect)
        result = await self.refunds.apply_channel_state(refund, state)
        await record(entry, f"refund_{result}", state.out_trade_no)
        return self._accept(adapter)

    async def _not_configured(
        self, channel: Channel, dialect: str | None, entry: Received
    ) -> Reply:
        logged = await record(entry, "rejected", None, f"{dialect} is not configured here")
        log.warning("%s notification %s refused: %s not configured", channel, logged, dialect)
        return self._refuse(channel, "NOTIFY_API_NOT_CONFIGURED", 404)


# Request headers that authenticate a caller to us, not the channel to us: never logged.
UNLOGGED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


def _loggable(headers: Mapping[str, str] | None) -> str:
    """The headers as received (signature, timestamp, nonce, serial), as JSON."""
    kept = {k: v for k, v in (headers or {}).items() if k.lower() not in UNLOGGED_HEADERS}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True)
