"""Booking and cancelling: the gate first, then the truth, then the gate follows the truth.

``book`` refuses what it can from memory (release window, standing), asks the gate (one Lua
call: capacity and "already holds a seat here"), and only then opens a transaction that
re-checks the person, takes the seat with a conditional update that must change exactly one
row, and inserts the booking under the unique keys. Anything failing after the gate gives
the place back. The post-gate part is shielded from request cancellation, so a client
hanging up cannot leave Redis and PostgreSQL disagreeing.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.appointments import gate_sync, states
from app.appointments.fresh_sessions import refuse_fresh_session
from app.appointments.gate import Admission, AdmissionGate
from app.appointments.limits import admit_person
from app.appointments.models import Booking, Slot
from app.appointments.seats import SeatMove, pass_on
from app.appointments.slots import SlotCache, SlotMeta, StandingCache
from app.config import AppointmentRules
from app.errors import (
    AlreadyBooked,
    AppointmentNotActive,
    AppointmentNotFound,
    BookingClosed,
    CancellationClosed,
    DomainError,
    NotYetReleased,
    SlotFull,
)
from app.identity.sessions import Principal
from infra import clock, metrics, outbox
from infra.jobs import JobQueue
from infra.transitions import move

log = logging.getLogger("yiwang.appointments")

REFUND_EVENT = "appointments.refund_due"


@dataclass
class Booker:
    rules: AppointmentRules
    gate: AdmissionGate
    slots: SlotCache
    standing: StandingCache
    # Connected once the process's job queue exists; the outbox sweep covers its absence.
    jobs: JobQueue | None = None

    async def book(
        self, principal: Principal, slot_id: int, *, session_started: datetime | None = None
    ) -> Booking:
        """``session_started``: when the caller's session was issued (the release-minute
        guard refuses a session seconds old); None where no resident session books."""
        try:
            booking = await self._book(principal, slot_id, session_started)
        except DomainError as refused:
            metrics.BOOKINGS.labels(refused.code).inc()
            raise
        metrics.BOOKINGS.labels("BOOKED").inc()
        return booking

    async def _book(
        self, principal: Principal, slot_id: int, session_started: datetime | None
    ) -> Booking:
        meta = await self.slots.get(slot_id)
        self.refuse_outside_window(meta)
        refuse_fresh_session(self.rules, session_started, meta.window.opens_at, clock.now())
        await self.standing.check(principal.citizen_id)
        holder = str(principal.citizen_id)
        admission = await self.gate.take(meta.group_key, meta.id, holder)
        if admission is Admission.NOT_LOADED:
            await gate_sync.load(self.gate, meta.group_key)
            admission = await self.gate.take(meta.group_key, meta.id, holder)
        if admission is Admission.FULL:
            raise SlotFull(slot_id=meta.id)
        if admission is Admission.HELD:
            raise AlreadyBooked()
        if admission is Admission.NOT_LOADED:
            raise SlotFull(slot_id=meta.id)
        return await asyncio.shield(self._after_gate(principal, meta, holder))

    def refuse_outside_window(self, meta: SlotMeta) -> None:
        now = clock.now()
        state = meta.window.state(now)
        if state == "not_yet_released":
            raise NotYetReleased(opens_at=meta.window.opens_at.isoformat())
        if state == "closed" or meta.starts_at <= now:
            raise BookingClosed(closed_at=meta.window.closes_at.isoformat())

    async def _after_gate(self, principal: Principal, meta: SlotMeta, holder: str) -> Booking:
        try:
            booking = await self._commit(principal, meta)
        except BaseException:
            await self.gate.give(meta.group_key, meta.id, holder)
            raise
        # Normally a no-op; after a flush mid-flight it re-records the seat we now hold.
        try:
            await self.gate.confirm(meta.group_key, meta.id, holder)
        except RedisError:
            # The booking stands (PostgreSQL decided); the drift report shows the gap.
            log.warning("gate confirm failed for slot %s; run the drift report", meta.id)
        return booking

    async def _commit(self, principal: Principal, meta: SlotMeta) -> Booking:
        now = clock.now()
        try:
            async with in_transaction() as tx:
                await admit_person(tx, principal.citizen_id, meta, self.rules, now)
                taken = (
                    await Slot.filter(id=meta.id, remaining__gt=0)
                    .using_db(tx)
                    .update(remaining=F("remaining") - 1)
                )
                if taken != 1:
                    raise SlotFull(slot_id=meta.id)
                return await new_booking(tx, principal, meta, self.rules, now)
        except IntegrityError as exc:
            raise AlreadyBooked() from exc

    async def cancel(self, principal: Principal, booking_id: int) -> Booking:
        now = clock.now()
        async with in_transaction() as tx:
            booking = (
                await Booking.filter(id=booking_id, citizen_id=principal.citizen_id)
                .using_db(tx)
                .select_for_update()
                .first()
            )
            if booking is None:
                raise AppointmentNotFound()
            if booking.status not in states.HOLDING:
                raise AppointmentNotActive(status=booking.status)
            meta = await self.slots.get(booking.slot_id)  # type: ignore[attr-defined]
            if now >= meta.window.cancel_until or now >= booking.starts_at:
                raise CancellationClosed(deadline=meta.window.cancel_until.isoformat())
            paid_seat = booking.paid_order_id is not None and booking.status == states.BOOKED
            await move(
                booking,
                states.CANCELLED,
                using=tx,
                cancelled_at=now,
                active_slot_id=None,
                active_group_key=None,
                hold_expires_at=None,
            )
            slot = await Slot.get(id=meta.id).using_db(tx)
            seat_move = await pass_on(
                tx, slot, str(principal.citizen_id), now, self.rules, meta.window.closes_at
            )
            refund = None
            if paid_seat:
                refund = await outbox.emit(
                    REFUND_EVENT,
                    {
                        "booking_id": booking.id,
                        "order_id": booking.paid_order_id,
                        "amount_fen": booking.fee_fen,
                    },
                    using=tx,
                    dedupe_key=f"appt-refund:{booking.id}",
                )
        await self.after_commit(seat_move, refund.id if refund else None)
        return await Booking.get(id=booking.id)

    async def after_commit(self, move: SeatMove | None, *event_ids: int | None) -> None:
        if move is not None:
            await move.apply(self.gate)
            if move.event is not None:
                await self.kick(move.event.id)
        for event_id in event_ids:
            if event_id is not None:
                await self.kick(event_id)

    async def kick(self, event_id: int) -> None:
        if self.jobs is None:
            return
        try:
            await self.jobs.enqueue("deliver_outbox_event", event_id, job_id=f"outbox:{event_id}")
        except Exception:  # the periodic sweep delivers it anyway
            log.warning("could not enqueue outbox event %s; the sweep will", event_id)


async def new_booking(
    tx: BaseDBAsyncClient,
    principal: Principal,
    meta: SlotMeta,
    rules: AppointmentRules,
    now: datetime,
    *,
    hold_for_payment: bool = True,
    booked_by_agency_id: int | None = None,
) -> Booking:
    """Insert the booking row; fee-bearing slots start as a hold awaiting online payment
    (not a staff booking, whose fee is paid at the counter)."""
    fee = meta.fee_fen > 0 and hold_for_payment
    return await Booking.create(
        slot_id=meta.id,
        citizen_id=principal.citizen_id,
        account_id=principal.account_id,
        channel=principal.channel,
        institution_id=meta.institution_id,
        department_id=meta.department_id,
        resource_id=meta.resource_id,
        date=meta.date,
        session=meta.session,
        starts_at=meta.starts_at,
        session_ends_at=meta.session_ends_at,
        fee_fen=meta.fee_fen,
        status=states.PENDING_PAYMENT if fee else states.BOOKED,
        active_slot_id=meta.id,
        active_group_key=meta.group_key,
        hold_expires_at=now + timedelta(minutes=rules.payment_hold_minutes) if fee else None,
        checkin_nonce=secrets.token_hex(16),
        booked_by_agency_id=booked_by_agency_id,
        created_at=now,
        using_db=tx,
    )
