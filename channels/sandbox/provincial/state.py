"""What the provincial platform remembers: cashier orders, refunds, messages, nonces.

In memory, like the rest of the sandbox. Orders are looked up both by the province's
``order_no`` and by the merchant's ``out_trade_no``.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from channels.sandbox import clock
from channels.sandbox.provincial.signing import NonceBook

OrderStatus = Literal["CREATED", "PAID", "CLOSED", "REFUNDED", "PARTIALLY_REFUNDED"]


@dataclass
class CashierOrder:
    order_no: str
    out_trade_no: str
    amount_fen: int
    subject: str
    user_id: str
    notify_url: str
    expire_at: datetime
    return_url: str | None
    created_at: datetime
    status: OrderStatus = "CREATED"
    paid_at: datetime | None = None
    refunded_fen: int = 0

    def terms(self) -> tuple[Any, ...]:
        """The parameters a repeated create must match to count as the same order."""
        return (
            self.amount_fen,
            self.subject,
            self.user_id,
            self.notify_url,
            self.expire_at,
            self.return_url,
        )

    def expire_if_due(self, now: datetime) -> None:
        if self.status == "CREATED" and now >= self.expire_at:
            self.status = "CLOSED"


@dataclass
class Refund:
    refund_no: str
    out_refund_no: str
    order: CashierOrder
    refund_fen: int
    reason: str
    notify_url: str
    refunded_at: datetime
    status: Literal["SUCCESS"] = "SUCCESS"


@dataclass
class SentMessage:
    message_id: str
    user_id: str
    template_id: str
    data: dict[str, str]
    page: str | None
    sent_at: datetime


@dataclass
class ProvincialState:
    orders: dict[str, CashierOrder] = field(default_factory=dict)
    by_out_trade_no: dict[str, CashierOrder] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)
    messages: list[SentMessage] = field(default_factory=list)
    nonces: NonceBook = field(default_factory=NonceBook)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_no(self, prefix: str) -> str:
        """Province-style numbers: prefix, UTC date, serial, a random tail (unguessable)."""
        day = clock.now().strftime("%Y%m%d")
        return f"{prefix}{day}{next(self._serial):08d}{secrets.randbelow(10_000):04d}"

    def order(
        self,
        *,
        order_no: str | None = None,
        out_trade_no: str | None = None,
        now: datetime | None = None,
    ) -> CashierOrder | None:
        found = (
            self.orders.get(order_no)
            if order_no is not None
            else self.by_out_trade_no.get(out_trade_no or "")
        )
        if found is not None:
            found.expire_if_due(now or clock.now())
        return found

    def add_order(self, order: CashierOrder) -> None:
        self.orders[order.order_no] = order
        self.by_out_trade_no[order.out_trade_no] = order

    def refunds_of(self, order: CashierOrder) -> list[Refund]:
        return [r for r in self.refunds.values() if r.order is order]
