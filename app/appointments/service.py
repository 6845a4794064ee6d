"""The appointments room as one object in the per-process Services container."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis

from app.appointments import (
    checkin,
    gate_heal,
    gate_sync,
    holds,
    noshows,
    notices,
    rerelease,
    states,
)
from app.appointments.booking import REFUND_EVENT, Booker
from app.appointments.gate import AdmissionGate
from app.appointments.lottery import Lotteries
from app.appointments.models import Booking
from app.appointments.payable import GATE_SYNC_EVENT, AppointmentPayable
from app.appointments.refunds import PlatformRefunds
from app.appointments.seats import OFFER_EVENT, RERELEASE_EVENT
from app.appointments.slots import SlotCache, StandingCache
from app.appointments.staff import StaffDesk
from app.appointments.waitlist import Waitlist
from app.config import AppointmentRules
from app.errors import AppointmentNotFound, ServiceUnavailable
from channels.base import Messages
from infra import outbox
from infra.jobs import JobQueue
from infra.pii import PiiVault
from payments.refunds import Refunds


class RefundRequester(Protocol):
    """The payment platform's refund entry, connected when payments is wired in."""

    async def refund_order(self, order_id: int, amount_fen: int, reason: str) -> None: ...


@dataclass
class Appointments:
    rules: AppointmentRules
    booker: Booker
    waitlist: Waitlist
    payable: AppointmentPayable
    notices: notices.Notices
    lotteries: Lotteries
    staff: StaffDesk
    refunds: RefundRequester | None = field(default=None)

    @property
    def gate(self) -> AdmissionGate:
        return self.booker.gate

    async def mine(self, citizen_id: uuid.UUID, booking_id: int) -> Booking:
        booking = await Booking.get_or_none(id=booking_id, citizen_id=citizen_id)
        if booking is None:
            raise AppointmentNotFound()
        return booking

    def check_in_code(self, booking: Booking) -> str | None:
        if booking.status != states.BOOKED:
            return None
        return checkin.sign(self.rules.checkin_key, booking)

    def desk_code(self, booking: Booking) -> str | None:
        if booking.status != states.BOOKED:
            return None
        return checkin.desk_code(self.rules.checkin_key, booking)

    async def check_in(
        self, code: str | None, institution_id: int, *, desk_code: str | None = None
    ) -> Booking:
        """By the scanned QR, or by the 8-digit desk code staff type when scanning fails."""
        if code is None:
            code = await checkin.by_desk_code(
                self.rules.checkin_key, desk_code or "", institution_id
            )
        return await checkin.check_in(self.rules.checkin_key, code, institution_id)

    # --- scheduled work (app/runtime/worker.py)

    async def release_unpaid(self) -> int:
        return await holds.release_unpaid(self.booker)

    async def lapse_offers(self) -> int:
        return await self.waitlist.lapse_offers()

    async def mark_no_shows(self) -> int:
        banned = await noshows.mark_no_shows(self.rules)
        for citizen_id in banned:
            self.booker.standing.forget(citizen_id)
        return len(banned)

    async def run_draws(self) -> int:
        return await self.lotteries.run_due()

    async def open_kept_seats(self) -> int:
        return await self.staff.open_kept()

    async def queue_reminders(self) -> int:
        return await notices.queue_reminders(self.rules)

    # --- outbox handlers (app/runtime/services.py)

    async def on_gate_sync(self, payload: dict[str, Any]) -> None:
        if payload.get("from"):
            await self.gate.move(
                payload["group"], payload["slot_id"], payload["from"], payload["holder"]
            )
        elif payload.get("give"):
            await self.gate.give(payload["group"], payload["slot_id"], payload["holder"])
        else:
            await self.gate.confirm(payload["group"], payload["slot_id"], payload["holder"])

    async def on_refund_due(self, payload: dict[str, Any]) -> None:
        if self.refunds is None:
            raise ServiceUnavailable("refunds are not connected yet; the event waits")
        await self.refunds.refund_order(
            payload["order_id"], payload["amount_fen"], "appointment cancelled by the resident"
        )

    async def on_rerelease_due(self, payload: dict[str, Any]) -> None:
        await rerelease.release_due(self.booker, payload)

    def connect(self, jobs: JobQueue, refunds: Refunds) -> None:
        """Wire the collaborators that exist only once Services is built."""
        self.booker.jobs = jobs
        self.refunds = PlatformRefunds(refunds)
        self.register_outbox_handlers()

    def register_outbox_handlers(self) -> None:
        outbox.register_handler(notices.REMIND_EVENT, self.notices.remind)
        outbox.register_handler(OFFER_EVENT, self.notices.offer)
        outbox.register_handler(GATE_SYNC_EVENT, self.on_gate_sync)
        outbox.register_handler(REFUND_EVENT, self.on_refund_due)
        outbox.register_handler(RERELEASE_EVENT, self.on_rerelease_due)

    async def drift(self) -> gate_sync.DriftReport:
        return await gate_sync.drift_report(self.gate)

    async def rebuild_gate(self) -> int:
        return await gate_sync.rebuild(self.gate)

    async def heal_gate(self) -> gate_heal.HealReport:
        return await gate_heal.heal(self.gate, stale_after=self.rules.gate_heal_after_seconds)


def build_appointments(
    rules: AppointmentRules,
    redis: aioredis.Redis,
    vault: PiiVault,
    messages: Mapping[str, Messages],
) -> Appointments:
    booker = Booker(rules, AdmissionGate(redis), SlotCache(rules), StandingCache())
    return Appointments(
        rules=rules,
        booker=booker,
        waitlist=Waitlist(booker),
        payable=AppointmentPayable(vault),
        notices=notices.Notices(messages, rules),
        lotteries=Lotteries(booker),
        staff=StaffDesk(booker),
    )
