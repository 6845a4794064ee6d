"""A seat that stops being held goes to the first waiter, or back to the pool later.

Database first (inside the caller's transaction), then the gate after commit with the
``SeatMove`` this returns, so Redis follows what PostgreSQL decided.

With nobody waiting, the seat does not return to the pool at the second it was freed:
scripts polling for cancellations would take it before any person could. It is held as a
``Rerelease`` (gate holder ``release:<id>``) until a moment drawn from the OS CSPRNG within
the configured window, and an outbox event due at that moment gives it back (to a waiter
who joined meanwhile, else to the pool): see ``app/appointments/rerelease.py``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from app.appointments import states
from app.appointments.gate import AdmissionGate, offer_holder, release_holder
from app.appointments.models import Rerelease, Slot, WaitlistEntry
from app.config import AppointmentRules
from infra import metrics, outbox
from infra.outbox.models import OutboxEvent
from infra.transitions import move

OFFER_EVENT = "appointments.offer"
RERELEASE_EVENT = "appointments.rerelease"


@dataclass(frozen=True)
class SeatMove:
    """What the gate must do once the transaction committed."""

    group: str
    slot_id: int
    holder: str
    to_offer: int | None  # waitlist entry id the seat was offered to, or None: back to pool
    event: OutboxEvent | None = None
    # Set when the seat waits for its re-release moment: the Rerelease row holding it.
    to_rerelease: int | None = None

    async def apply(self, gate: AdmissionGate) -> None:
        if self.to_offer is not None:
            await gate.move(self.group, self.slot_id, self.holder, offer_holder(self.to_offer))
        elif self.to_rerelease is not None:
            await gate.move(
                self.group, self.slot_id, self.holder, release_holder(self.to_rerelease)
            )
        else:
            await gate.give(self.group, self.slot_id, self.holder)


def rerelease_moment(
    now: datetime, rules: AppointmentRules, bookable_until: datetime
) -> datetime | None:
    """A moment drawn uniformly, to the millisecond, from the OS CSPRNG within the window
    ``[now + min, now + max]`` (cut at the booking's close); None to free the seat at once
    (the window is off, or booking closes before its earliest moment)."""
    if rules.rerelease_max_seconds <= 0:
        return None
    earliest = now + timedelta(seconds=rules.rerelease_min_seconds)
    latest = min(now + timedelta(seconds=rules.rerelease_max_seconds), bookable_until)
    if latest <= earliest:
        return None
    span_ms = int((latest - earliest) / timedelta(milliseconds=1))
    return earliest + timedelta(milliseconds=secrets.randbelow(span_ms + 1))


async def pass_on(
    tx: BaseDBAsyncClient,
    slot: Slot,
    holder: str,
    now: datetime,
    rules: AppointmentRules,
    bookable_until: datetime,
    *,
    delay: bool = True,
) -> SeatMove:
    """Offer the freed seat to the first waiter while booking is open; else hold it for a
    re-release at a drawn moment (``delay``), or free it now (the moment came, or booking
    closed)."""
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
        moment = rerelease_moment(now, rules, bookable_until) if delay else None
        if moment is not None:
            held = await Rerelease.create(
                slot_id=slot.id,
                group_key=slot.group_key,
                freed_by=holder,
                release_at=moment,
                status=states.RERELEASE_PENDING,
                created_at=now,
                using_db=tx,
            )
            # Due at the drawn moment: the outbox sweep hands it over then, not before.
            await outbox.emit(
                RERELEASE_EVENT,
                {"rerelease_id": held.id},
                using=tx,
                dedupe_key=f"appt-rerelease:{held.id}",
                due_at=moment,
            )
            metrics.RERELEASES.labels("held").inc()
            return SeatMove(slot.group_key, slot.id, holder, None, to_rerelease=held.id)
    await Slot.filter(id=slot.id).using_db(tx).update(remaining=F("remaining") + 1)
    return SeatMove(slot.group_key, slot.id, holder, None)
