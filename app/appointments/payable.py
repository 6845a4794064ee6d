"""The "appointment" payable: a fee-bearing booking's registration fee (挂号费).

The quote's ``pay_before`` is the hold's expiry, so the order expires with the hold.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from app.agency.models import Agency
from app.appointments import rerelease, states
from app.appointments.gate import release_holder
from app.appointments.models import Booking, Department, Institution, Resource, Slot
from app.billing.payables import PayableLine, Quote
from app.errors import AppointmentNotFound, NotFound, PaymentHoldExpired
from app.identity.models import Citizen
from infra import clock, outbox
from infra.pii import PiiVault
from infra.transitions import move
from payments.errors import AlreadyPaid

log = logging.getLogger("yiwang.appointments")

PAYABLE_TYPE = "appointment"
GATE_SYNC_EVENT = "appointments.gate_sync"
FEE_ITEM_CODE = "APPT-REG"


def _ref(ref: str) -> int:
    try:
        return int(ref)
    except ValueError as exc:
        raise AppointmentNotFound() from exc


class AppointmentPayable:
    payable_type = PAYABLE_TYPE

    def __init__(self, vault: PiiVault) -> None:
        self.vault = vault

    async def quote(self, ref: str, citizen_id: uuid.UUID) -> Quote:
        booking = await Booking.get_or_none(id=_ref(ref), citizen_id=citizen_id)
        if booking is None or booking.fee_fen <= 0:
            raise AppointmentNotFound()
        if booking.paid_order_id is not None or booking.status in (
            states.BOOKED,
            states.CHECKED_IN,
            states.NO_SHOW,
        ):
            raise AlreadyPaid()
        if booking.status != states.PENDING_PAYMENT or (
            booking.hold_expires_at is not None and booking.hold_expires_at <= clock.now()
        ):
            raise PaymentHoldExpired()
        slot = await Slot.get(id=booking.slot_id)  # type: ignore[attr-defined]
        resource = await Resource.get(id=slot.resource_id)  # type: ignore[attr-defined]
        department = await Department.get(id=slot.department_id)
        institution = await Institution.get(id=slot.institution_id)
        agency = await Agency.get_or_none(id=institution.agency_id)
        citizen = await Citizen.get(id=citizen_id)
        payer = self.vault.decrypt("name", citizen.name_enc) if citizen.name_enc else ""
        when = clock.shanghai_date(slot.starts_at).isoformat()
        name = f"挂号费 {department.name} {resource.name}"[:60]
        return Quote(
            payable_type=PAYABLE_TYPE,
            payable_ref=str(booking.id),
            lines=(PayableLine(FEE_ITEM_CODE, name, 1, booking.fee_fen, booking.fee_fen),),
            description=f"{institution.name} {when} {booking.session}"[:120],
            agency_id=agency.id if agency else None,
            agency_name=agency.name if agency else institution.name,
            payer_name=payer,
            region_code=institution.region_code,
            pay_before=booking.hold_expires_at,
        )

    async def record_paid(
        self, ref: str, order_id: int, paid_at: datetime, tx: BaseDBAsyncClient
    ) -> None:
        booking = await Booking.filter(id=_ref(ref)).using_db(tx).select_for_update().first()
        if booking is None:
            raise NotFound(f"appointment {ref} does not exist")
        if booking.paid_order_id == order_id:
            return
        if booking.status == states.PENDING_PAYMENT:
            await move(
                booking,
                states.BOOKED,
                using=tx,
                paid_order_id=order_id,
                paid_at=paid_at,
                hold_expires_at=None,
            )
            return
        if booking.status == states.RELEASED and await self._retake(booking, tx):
            await move(
                booking,
                states.BOOKED,
                using=tx,
                paid_order_id=order_id,
                paid_at=paid_at,
                hold_expires_at=None,
                active_slot_id=booking.slot_id,  # type: ignore[attr-defined]
                active_group_key=(await Slot.get(id=booking.slot_id).using_db(tx)).group_key,  # type: ignore[attr-defined]
            )
            return
        # The seat is gone (or the resident cancelled): keep the order on the booking so
        # the payment platform's refund review finds what it paid for.
        await (
            Booking.filter(id=booking.id, paid_order_id=None)
            .using_db(tx)
            .update(paid_order_id=order_id, paid_at=paid_at)
        )
        log.warning("payment for appointment %s arrived after its seat was given up", booking.id)

    async def _retake(self, booking: Booking, tx: BaseDBAsyncClient) -> bool:
        slot = await Slot.get(id=booking.slot_id).using_db(tx)  # type: ignore[attr-defined]
        if (
            await Booking.filter(citizen_id=booking.citizen_id, active_group_key=slot.group_key)
            .using_db(tx)
            .exists()
        ):
            return False
        reclaimed = await rerelease.reclaim(tx, slot, str(booking.citizen_id), booking.id)
        if reclaimed is not None:  # its own seat, still waiting for its re-release moment
            await outbox.emit(
                GATE_SYNC_EVENT,
                {
                    "group": slot.group_key,
                    "slot_id": slot.id,
                    "holder": str(booking.citizen_id),
                    "from": release_holder(reclaimed),
                },
                using=tx,
                dedupe_key=f"appt-retake:{booking.id}",
            )
            return True
        taken = (
            await Slot.filter(id=slot.id, remaining__gt=0)
            .using_db(tx)
            .update(remaining=F("remaining") - 1)
        )
        if taken != 1:
            return False
        await outbox.emit(
            GATE_SYNC_EVENT,
            {"group": slot.group_key, "slot_id": slot.id, "holder": str(booking.citizen_id)},
            using=tx,
            dedupe_key=f"appt-retake:{booking.id}",
        )
        return True

    async def record_refunded(
        self, ref: str, order_id: int, refunded_fen: int, fully: bool, tx: BaseDBAsyncClient
    ) -> None:
        """A full refund of a booking not yet used cancels it and frees the seat."""
        booking = await Booking.filter(id=_ref(ref)).using_db(tx).select_for_update().first()
        if booking is None or not fully or booking.status != states.BOOKED:
            return
        now = clock.now()
        await move(
            booking,
            states.CANCELLED,
            using=tx,
            cancelled_at=now,
            active_slot_id=None,
            active_group_key=None,
        )
        await (
            Slot.filter(id=booking.slot_id)
            .using_db(tx)
            .update(  # type: ignore[attr-defined]
                remaining=F("remaining") + 1
            )
        )
        slot = await Slot.get(id=booking.slot_id).using_db(tx)  # type: ignore[attr-defined]
        await outbox.emit(
            GATE_SYNC_EVENT,
            {
                "group": slot.group_key,
                "slot_id": slot.id,
                "holder": str(booking.citizen_id),
                "give": True,
            },
            using=tx,
            dedupe_key=f"appt-refund-free:{booking.id}",
        )
