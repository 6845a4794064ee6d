"""The waitlist (候补): join a full slot, be offered a freed seat, take it within the offer time.

An offered seat stays out of the pool: PostgreSQL keeps ``remaining`` unchanged and the gate
records the seat under ``offer:<entry id>``, so the rush cannot snatch it from the waiter.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.appointments import states
from app.appointments.booking import Booker, new_booking
from app.appointments.expiry import expire_due
from app.appointments.gate import offer_holder
from app.appointments.limits import admit_person
from app.appointments.models import Booking, Slot, WaitlistEntry
from app.appointments.seats import SeatMove, pass_on
from app.errors import (
    AlreadyBooked,
    WaitlistAlreadyJoined,
    WaitlistEntryNotFound,
    WaitlistNotNeeded,
    WaitlistNotOffered,
    WaitlistOfferExpired,
)
from app.identity.sessions import Principal
from infra import clock
from infra.transitions import move


@dataclass
class Waitlist:
    booker: Booker

    async def join(self, principal: Principal, slot_id: int) -> WaitlistEntry:
        meta = await self.booker.slots.get(slot_id)
        self.booker.refuse_outside_window(meta)
        await self.booker.standing.check(principal.citizen_id)
        slot = await Slot.get(id=slot_id)
        if slot.remaining > 0:
            raise WaitlistNotNeeded(remaining=slot.remaining)
        if await Booking.filter(
            citizen_id=principal.citizen_id, active_group_key=meta.group_key
        ).exists():
            raise AlreadyBooked()
        try:
            return await WaitlistEntry.create(
                slot_id=slot_id,
                citizen_id=principal.citizen_id,
                account_id=principal.account_id,
                channel=principal.channel,
                status=states.WAITING,
                active_slot_id=slot_id,
                created_at=clock.now(),
            )
        except IntegrityError as exc:
            raise WaitlistAlreadyJoined() from exc

    async def accept(self, principal: Principal, entry_id: int) -> Booking:
        now = clock.now()
        try:
            async with in_transaction() as tx:
                entry = await self._mine(principal.citizen_id, entry_id, tx)
                if entry.status == states.LAPSED or (
                    entry.status == states.OFFERED
                    and entry.offer_expires_at is not None
                    and entry.offer_expires_at <= now
                ):
                    raise WaitlistOfferExpired()
                if entry.status != states.OFFERED:
                    raise WaitlistNotOffered(status=entry.status)
                meta = await self.booker.slots.get(entry.slot_id)  # type: ignore[attr-defined]
                await admit_person(tx, principal.citizen_id, meta, self.booker.rules, now)
                booking = await new_booking(tx, principal, meta, self.booker.rules, now)
                await move(
                    entry,
                    states.ACCEPTED,
                    using=tx,
                    active_slot_id=None,
                    booking_id=booking.id,
                )
        except IntegrityError as exc:
            raise AlreadyBooked() from exc
        await self.booker.gate.move(
            meta.group_key, meta.id, offer_holder(entry.id), str(principal.citizen_id)
        )
        return booking

    async def leave(self, principal: Principal, entry_id: int) -> WaitlistEntry:
        """Leave the queue, or decline an offer (which passes the seat on at once)."""
        now = clock.now()
        seat_move: SeatMove | None = None
        async with in_transaction() as tx:
            entry = await self._mine(principal.citizen_id, entry_id, tx)
            if entry.status not in (states.WAITING, states.OFFERED):
                raise WaitlistNotOffered(status=entry.status)
            declined_offer = entry.status == states.OFFERED
            await move(entry, states.LEFT, using=tx, active_slot_id=None)
            if declined_offer:
                seat_move = await self._pass_on(tx, entry, now)
        await self.booker.after_commit(seat_move)
        return await WaitlistEntry.get(id=entry_id)

    async def lapse_offers(self, *, limit: int = 200) -> int:
        """Offers not taken in time pass to the next waiter (or back to the pool)."""
        return await expire_due(
            self.booker,
            WaitlistEntry,
            waiting=states.OFFERED,
            expired=states.LAPSED,
            deadline="offer_expires_at",
            holder=lambda entry: offer_holder(entry.id),
            limit=limit,
            active_slot_id=None,
        )

    async def _pass_on(self, tx, entry: WaitlistEntry, now) -> SeatMove:  # type: ignore[no-untyped-def]
        slot = await Slot.get(id=entry.slot_id).using_db(tx)  # type: ignore[attr-defined]
        meta = await self.booker.slots.get(slot.id)
        return await pass_on(
            tx, slot, offer_holder(entry.id), now, self.booker.rules, meta.window.closes_at
        )

    async def _mine(self, citizen_id: uuid.UUID, entry_id: int, tx) -> WaitlistEntry:  # type: ignore[no-untyped-def]
        entry = (
            await WaitlistEntry.filter(id=entry_id, citizen_id=citizen_id)
            .using_db(tx)
            .select_for_update()
            .first()
        )
        if entry is None:
            raise WaitlistEntryNotFound()
        return entry
