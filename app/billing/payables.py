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
from payments.drafts import LineDraft, OrderDraft

# A quote is exactly what the payment platform opens an order from.
PayableLine = LineDraft
Quote = OrderDraft


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
