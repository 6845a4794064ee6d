"""A seat that stops being held goes to the first waiter, or back to the pool.

Database first (inside the caller's transaction), then the gate after commit with the
``SeatMove`` this returns, so Redis follows what PostgreSQL decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from app.appointments import states
from app.appointments.gate import AdmissionGate, offer_holder
from app.appointments.models import Slot, WaitlistEntry
from app.config import AppointmentRules
from infra import outbox
from infra.outbox.models import OutboxEvent
from infra.transitions import move

OFFER_EVENT = "appointments.offer"


@dataclass(frozen=True)
class SeatMove:
    """What the gate must do once the transaction committed."""

    group: str
    slot_id: int
    holder: str
    to_offer: int | None  # waitlist entry id the seat was offered to, or None: back to pool
    event: OutboxEvent | None = None

    async def apply(self, gate: AdmissionGate) -> None:
        if self.to_offer is None:
            await gate.give(self.group, self.slot_id, self.holder)
        else:
            await gate.move(self.group, self.slot_id, self.holder, offer_holder(self.to_offer))


async def pass_on(
    tx: BaseDBAsyncClient,
    slot: Slot,
    holder: str,
    now: datetime,
    rules: AppointmentRules,
    bookable_until: datetime,
) -> SeatMove:
    """Offer the freed seat to the first waiter while booking is open, else free it."""
    if now < bookable_until:
        waiting = (
            await WaitlistEntry.filter(slot_id=slot.id, status=states.WAITING)
            .using_db(tx)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .first()
        )
        if waiting is not None:
            moved = await move(
                waiting,
                states.OFFERED,
                using=tx,
                offered_at=now,
                offer_expires_at=now + timedelta(minutes=rules.offer_minutes),
            )
            if moved:
                event = await outbox.emit(
                    OFFER_EVENT,
                    {"entry_id": waiting.id},
                    using=tx,
                    dedupe_key=f"appt-offer:{waiting.id}",
                )
                return SeatMove(slot.group_key, slot.id, holder, waiting.id, event)
    await Slot.filter(id=slot.id).using_db(tx).update(remaining=F("remaining") + 1)
    return SeatMove(slot.group_key, slot.id, holder, None)
