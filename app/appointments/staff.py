"""Kept seats (窗口/电话预约预留号): places held back for staff to book on a resident's behalf.

The elderly and those without phones cannot race a release. A share of each slot's places
(``Slot.kept``) is held out of ``remaining``, so the public rush and the gate never see it.
Only the agency that owns the institution books it, through the signed agency API, for a
resident named by ID number and name; every such booking is written to the audit chain in
its own transaction. At ``kept_until`` (``kept_open_time`` the day before the slot) what
is left opens to everyone: to the waiters first, then the pool.

The per-person rules hold for staff bookings too (one per doctor/window and session, the
weekly and monthly limits, a no-show ban), so a kept seat is no back door for scalpers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.agency.models import Agency
from app.appointments import states
from app.appointments.booking import Booker, new_booking
from app.appointments.limits import admit_person
from app.appointments.models import Booking, Institution, Slot
from app.appointments.rules import at
from app.appointments.seats import SeatMove, pass_on
from app.catalog import audit
from app.config import AppointmentRules
from app.errors import (
    AlreadyBooked,
    AppointmentNotActive,
    AppointmentNotFound,
    BookingClosed,
    DomainError,
    NoKeptSeat,
    NotFound,
    SlotNotFound,
)
from app.identity.models import ChannelAccount, Citizen
from app.identity.sessions import Principal
from infra import clock, metrics
from infra.transitions import move

STAFF_CHANNELS = ("hall", "phone")


def kept_until(rules: AppointmentRules, day: date) -> datetime:
    """When a slot's kept seats open to everyone: ``kept_open_time`` the day before."""
    return at(day - timedelta(days=1), rules.kept_open_time)


async def agency_institution(agency: Agency, institution_id: int) -> Institution:
    """The agency's own institution; another agency's looks exactly like none (404)."""
    institution = await Institution.get_or_none(id=institution_id, agency_id=agency.id)
    if institution is None:
        raise NotFound("No such institution.")
    return institution


@dataclass(frozen=True)
class Resident:
    """Whom staff book for: the citizen record holding this ID number, and how they asked."""

    citizen_id: uuid.UUID
    account_id: int
    name_masked: str
    id_number_masked: str


async def resident_of(citizen: Citizen) -> Resident:
    """Reminders go to the person's most recently used channel account, if they have one."""
    account = await ChannelAccount.filter(citizen_id=citizen.id).order_by("-last_login_at").first()
    return Resident(
        citizen_id=citizen.id,
        account_id=account.id if account is not None else 0,
        name_masked=citizen.name_masked or "",
        id_number_masked=citizen.id_number_masked or "",
    )


async def refuse_without_kept_seat(booker: Booker, institution: Institution, slot_id: int) -> None:
    """Checked before the resident is looked up, so a refused request leaves no trace."""
    meta = await booker.slots.get(slot_id)
    if meta.institution_id != institution.id:
        raise SlotNotFound()
    if not await Slot.filter(id=slot_id, kept__gt=0, kept_until__gt=clock.now()).exists():
        raise NoKeptSeat(slot_id=slot_id)


@dataclass
class StaffDesk:
    booker: Booker

    async def book(
        self,
        agency: Agency,
        institution_id: int,
        slot_id: int,
        resident: Resident,
        *,
        channel: str,
        staff_ref: str,
    ) -> Booking:
        try:
            booking = await self._book(
                agency, institution_id, slot_id, resident, channel, staff_ref
            )
        except DomainError as refused:
            metrics.STAFF_BOOKINGS.labels(refused.code).inc()
            raise
        metrics.STAFF_BOOKINGS.labels("BOOKED").inc()
        return booking

    async def _book(
        self,
        agency: Agency,
        institution_id: int,
        slot_id: int,
        resident: Resident,
        channel: str,
        staff_ref: str,
    ) -> Booking:
        institution = await agency_institution(agency, institution_id)
        meta = await self.booker.slots.get(slot_id)
        if meta.institution_id != institution.id:
            raise SlotNotFound()
        now = clock.now()
        if meta.starts_at <= now:
            raise BookingClosed(closed_at=meta.starts_at.isoformat())
        principal = Principal(resident.citizen_id, resident.account_id, channel, "", now)
        try:
            async with in_transaction() as tx:
                await admit_person(tx, resident.citizen_id, meta, self.booker.rules, now)
                taken = (
                    await Slot.filter(id=meta.id, kept__gt=0, kept_until__gt=now)
                    .using_db(tx)
                    .update(kept=F("kept") - 1)
                )
                if taken != 1:
                    raise NoKeptSeat(slot_id=meta.id)
                # The fee, if any, is paid at the counter: no online payment hold.
                booking = await new_booking(
                    tx,
                    principal,
                    meta,
                    self.booker.rules,
                    now,
                    hold_for_payment=False,
                    booked_by_agency_id=agency.id,
                )
                await audit.record(
                    None,
                    "appointments.staff_booking",
                    "appointment",
                    str(booking.id),
                    department=None,
                    using=tx,
                    after={
                        "agency": agency.key,
                        "agency_name": agency.name,
                        "institution_id": institution.id,
                        "slot_id": meta.id,
                        "channel": channel,
                        "resident_name": resident.name_masked,
                        "resident_id_number": resident.id_number_masked,
                    },
                    reason=f"staff {staff_ref}",
                )
        except IntegrityError as exc:
            raise AlreadyBooked() from exc
        # The gate never counted kept seats: reload the group so it records the new holder.
        await self.booker.gate.reset(meta.group_key)
        return booking

    async def cancel(self, agency: Agency, institution_id: int, booking_id: int) -> Booking:
        """Staff cancel a booking they made: before ``kept_until`` the seat returns to the
        kept share; later it passes on like any cancelled seat."""
        institution = await agency_institution(agency, institution_id)
        now = clock.now()
        seat_move: SeatMove | None = None
        async with in_transaction() as tx:
            booking = (
                await Booking.filter(
                    id=booking_id,
                    institution_id=institution.id,
                    booked_by_agency_id=agency.id,
                )
                .using_db(tx)
                .select_for_update()
                .first()
            )
            if booking is None:
                raise AppointmentNotFound()
            if booking.status not in states.HOLDING or booking.starts_at <= now:
                raise AppointmentNotActive(status=booking.status)
            await move(
                booking,
                states.CANCELLED,
                using=tx,
                cancelled_at=now,
                active_slot_id=None,
                active_group_key=None,
                hold_expires_at=None,
            )
            slot = await Slot.get(id=booking.slot_id).using_db(tx)  # type: ignore[attr-defined]
            back_to_kept = slot.kept_until is not None and now < slot.kept_until
            if back_to_kept:
                await Slot.filter(id=slot.id).using_db(tx).update(kept=F("kept") + 1)
            else:
                meta = await self.booker.slots.get(slot.id)
                seat_move = await pass_on(
                    tx,
                    slot,
                    str(booking.citizen_id),
                    now,
                    self.booker.rules,
                    meta.window.closes_at,
                )
            await audit.record(
                None,
                "appointments.staff_cancel",
                "appointment",
                str(booking.id),
                department=None,
                using=tx,
                after={"agency": agency.key, "slot_id": slot.id, "to_kept": back_to_kept},
            )
        if seat_move is None:
            await self.booker.gate.reset(slot.group_key)
        await self.booker.after_commit(seat_move)
        return await Booking.get(id=booking.id)

    async def open_kept(self, *, limit: int = 200) -> int:
        """Slots whose kept seats are due to open: each left seat goes to the first waiter,
        else to the pool, now (the opening time is published, so nobody gains by it)."""
        now = clock.now()
        due = await Slot.filter(kept__gt=0, kept_until__lte=now).order_by("kept_until").limit(limit)
        opened = 0
        for candidate in due:
            moves: list[SeatMove] = []
            async with in_transaction() as tx:
                slot = (
                    await Slot.filter(id=candidate.id, kept__gt=0)
                    .using_db(tx)
                    .select_for_update()
                    .first()
                )
                if slot is None:
                    continue
                await Slot.filter(id=slot.id).using_db(tx).update(kept=0)
                meta = await self.booker.slots.get(slot.id)
                for _ in range(slot.kept):
                    moves.append(
                        await pass_on(
                            tx,
                            slot,
                            "kept",
                            now,
                            self.booker.rules,
                            meta.window.closes_at,
                            delay=False,
                        )
                    )
                opened += slot.kept
            # Kept seats were never in the gate: reload the group from the database.
            await self.booker.gate.reset(slot.group_key)
            for seat_move in moves:
                if seat_move.event is not None:
                    await self.booker.kick(seat_move.event.id)
        return opened
