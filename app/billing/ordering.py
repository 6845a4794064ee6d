"""Residents' orders: a payable is quoted by its domain, then opened and paid on a channel.

Also the handlers that carry a PAID or refunded order back to the domain that owns the
payable (outbox kinds ``order.paid`` and ``order.refunded``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from app.billing.payables import PayableRegistry
from app.identity.models import ChannelAccount
from app.identity.sessions import Principal
from channels.base import Channel
from payments.errors import ChannelAccountMissing
from payments.models import Order, OrderLine
from payments.orders import Orders


@dataclass
class Ordering:
    registry: PayableRegistry
    orders: Orders

    async def open(self, citizen_id: uuid.UUID, payable_type: str, ref: str) -> Order:
        quote = await self.registry.source(payable_type).quote(ref, citizen_id)
        return await self.orders.open(citizen_id, quote)

    async def pay(
        self, order_no: str, principal: Principal, channel: Channel, mode: str
    ) -> dict[str, str]:
        order = await self.orders.owned(order_no, principal.citizen_id)
        account = await self._paying_account(principal, channel)
        return await self.orders.start_payment(order, channel, account.subject, mode=mode)

    async def _paying_account(self, principal: Principal, channel: Channel) -> ChannelAccount:
        """The account signed in now when it is on ``channel``; else the latest one there
        (a person may hold several accounts on one channel)."""
        if principal.channel == channel:
            current = await ChannelAccount.get_or_none(id=principal.account_id)
            if current is not None:
                return current
        account = (
            await ChannelAccount.filter(citizen_id=principal.citizen_id, channel=channel)
            .order_by("-last_login_at")
            .first()
        )
        if account is None:
            raise ChannelAccountMissing()
        return account

    async def on_paid(self, payload: dict[str, Any]) -> None:
        source = self.registry.source(payload["payable_type"])
        async with in_transaction() as tx:
            await source.record_paid(
                payload["payable_ref"],
                int(payload["order_id"]),
                datetime.fromisoformat(payload["paid_at"]),
                tx,
            )

    async def on_refunded(self, payload: dict[str, Any]) -> None:
        source = self.registry.source(payload["payable_type"])
        async with in_transaction() as tx:
            await source.record_refunded(
                payload["payable_ref"],
                int(payload["order_id"]),
                int(payload["refund_fen"]),
                bool(payload["fully"]),
                tx,
            )


async def order_view(order: Order) -> dict[str, Any]:
    """The order as a resident sees it, with its lines (and receipt number once issued)."""
    lines = await OrderLine.filter(order_id=order.id).order_by("position")
    return {
        "id": order.order_no,
        "status": order.status,
        "amount_fen": order.amount_fen,
        "refunded_fen": order.refunded_fen,
        "description": order.description,
        "payable": {"type": order.payable_type, "ref": order.payable_ref},
        "channel": order.channel,
        "expires_at": order.expires_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "items": [
            {
                "item_code": line.item_code,
                "name": line.name,
                "quantity": line.quantity,
                "standard_fen": line.standard_fen,
                "amount_fen": line.amount_fen,
            }
            for line in lines
        ],
    }
