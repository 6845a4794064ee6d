"""PAID orders made straight in the database (as payments would leave them), and their
``receipt.issue`` events, so receipts can be driven before the payment HTTP layer lands."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from tortoise.transactions import in_transaction

from app.identity.models import Citizen
from infra import clock, outbox
from infra.outbox.models import OutboxEvent
from infra.pii import PiiVault
from payments.lines import numbered
from payments.models import Order, OrderLine
from payments.states import OrderStatus

AGENCY = "杭州市公安局交通警察支队"


@dataclass(frozen=True)
class Line:
    item_code: str
    name: str
    quantity: int
    standard_fen: int

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.standard_fen


DEFAULT_LINES = (Line("330100-FK-001", "道路交通安全违法罚款", 1, 12345),)


async def new_citizen() -> Citizen:
    return await Citizen.create(id=uuid.uuid4(), verified=True, created_at=clock.now())


async def paid_order(
    vault: PiiVault,
    citizen_id: uuid.UUID,
    *,
    lines: tuple[Line, ...] = DEFAULT_LINES,
    payer: str = "张三丰",
    payable_type: str = "violation",
    channel: str = "wechat",
    emit: bool = True,
) -> tuple[Order, OutboxEvent | None]:
    """A PAID order with its lines, and (like payments/settle.py) its receipt.issue event,
    all in one transaction."""
    now = clock.now()
    ref = secrets.token_hex(6)
    async with in_transaction() as tx:
        order = await Order.create(
            order_no=f"YW{secrets.token_hex(8)}",
            citizen_id=citizen_id,
            payable_type=payable_type,
            payable_ref=ref,
            paid_key=f"{payable_type}:{ref}",
            status=OrderStatus.PAID.value,
            amount_fen=sum(line.amount_fen for line in lines),
            description=lines[0].name,
            agency_id=None,
            agency_name=AGENCY,
            payer_name_enc=vault.encrypt("payer_name", payer),
            region_code="330106",
            channel=channel,
            channel_trade_no=f"T{secrets.token_hex(8)}",
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(minutes=30),
            paid_at=now,
            using_db=tx,
        )
        await OrderLine.bulk_create(numbered(OrderLine, lines, order_id=order.id), using_db=tx)
        event = None
        if emit:
            event = await outbox.emit(
                "receipt.issue",
                {"order_id": order.id},
                using=tx,
                dedupe_key=f"receipt.issue:{order.id}",
            )
    return order, event


async def refunded(order: Order, refund_fen: int, *, refund_id: int, fully: bool) -> dict:
    """The receipt.red_letter payload payments/refunds.py writes when a refund succeeds."""
    await Order.filter(id=order.id).update(
        refunded_fen=order.refunded_fen + refund_fen,
        status=(OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED).value,
    )
    order.refunded_fen += refund_fen
    return {
        "order_id": order.id,
        "refund_id": refund_id,
        "refund_fen": refund_fen,
        "fully": fully,
    }
