"""What residents pay for: the seam between the domains and the payment platform.

A payable is one thing a resident owes — a payment notice, a decided traffic violation, a
fee-bearing appointment — named by ``(type, ref)``. Each domain that owns a kind of payable
registers a :class:`PayableSource`. The order flow asks it for a :class:`Quote` (amount
computed on our side, in fen, with itemised lines) and, after the order is PAID, tells it
through the outbox so it can record the payment in its own tables.

``payments`` never imports a domain: it only stores the quote it was given.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tortoise.backends.base.client import BaseDBAsyncClient

from app.errors import InvalidInput


@dataclass(frozen=True)
class PayableLine:
    """One line of what is paid; these lines are printed on the e-receipt too."""

    item_code: str
    name: str
    quantity: int
    standard_fen: int
    amount_fen: int


@dataclass(frozen=True)
class Quote:
    payable_type: str
    payable_ref: str
    lines: tuple[PayableLine, ...]
    # Shown on the channel's cashier and on the receipt.
    description: str
    # The collecting agency (执收单位), named on the receipt.
    agency_id: int | None
    agency_name: str
    # The payer as printed on the receipt (a name; masked on public views).
    payer_name: str
    # 6-digit region code, used for receipt numbering.
    region_code: str
    # A payable may need paying sooner than the order's default expiry (e.g. a held slot).
    pay_before: datetime | None = None

    @property
    def amount_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)


class PayableSource(Protocol):
    payable_type: str

    async def quote(self, ref: str, citizen_id: uuid.UUID) -> Quote:
        """The amount due now for ``ref`` by this citizen.

        Raises the domain's own errors: NotFound (also for someone else's payable, so
        existence is not revealed), AlreadyPaid, or a specific refusal (not decided yet,
        past due, ...).
        """
        ...

    async def record_paid(
        self, ref: str, order_id: int, paid_at: datetime, tx: BaseDBAsyncClient
    ) -> None:
        """Mark the payable paid in the domain's tables (idempotent), inside ``tx``.

        Runs from the outbox after the order became PAID; emit any further consequences
        (e.g. the agency webhook) into the outbox with ``tx``.
        """
        ...

    async def record_refunded(
        self, ref: str, order_id: int, refunded_fen: int, fully: bool, tx: BaseDBAsyncClient
    ) -> None:
        """Reflect a refund in the domain's tables (idempotent), inside ``tx``."""
        ...


@dataclass
class PayableRegistry:
    sources: Mapping[str, PayableSource]

    def source(self, payable_type: str) -> PayableSource:
        source = self.sources.get(payable_type)
        if source is None:
            raise InvalidInput("Unknown payable type.", field="payable.type")
        return source
