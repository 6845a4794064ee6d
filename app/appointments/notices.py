"""Reminders and waitlist offers, sent through the channel the person booked from.

Jobs decide *that* a message is due and record it in the outbox; these handlers send it.
Each handler is idempotent: it re-reads the row, skips what was already sent or no longer
applies, and marks what it sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.appointments import states
from app.appointments.models import Booking, Institution, Resource, Slot, WaitlistEntry
from app.appointments.rules import at
from app.config import AppointmentRules
from app.identity.models import ChannelAccount
from channels.base import ChannelRejected, Messages, OutboundMessage
from infra import clock, outbox
from infra.clock import SHANGHAI

log = logging.getLogger("yiwang.appointments")

REMIND_EVENT = "appointments.remind"


async def queue_reminders(rules: AppointmentRules, *, limit: int = 1000) -> int:
    """From the reminder time on the day before, each booking gets one reminder event."""
    now = clock.now()
    today = clock.shanghai_date(now)
    if now < at(today, rules.reminder_time):
        return 0
    due = (
        await Booking.filter(
            status=states.BOOKED, date=today + timedelta(days=1), reminder_queued=False
        )
        .limit(limit)
        .values_list("id", flat=True)
    )
    queued = 0
    for booking_id in due:
        async with in_transaction() as tx:
            claimed = (
                await Booking.filter(id=booking_id, reminder_queued=False)
                .using_db(tx)
                .update(reminder_queued=True)
            )
            if claimed == 1:
                await outbox.emit(
                    REMIND_EVENT,
                    {"booking_id": booking_id},
                    using=tx,
                    dedupe_key=f"appt-remind:{booking_id}",
                )
                queued += 1
    return queued


def _local(instant: Any) -> str:
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


@dataclass
class Notices:
    messages: Mapping[str, Messages]
    rules: AppointmentRules

    async def _send(
        self, account_id: int, template_id: str, data: dict[str, str], page: str
    ) -> None:
        account = await ChannelAccount.get_or_none(id=account_id)
        if account is None:
            log.warning("no channel account %s for an appointment notice", account_id)
            return
        try:
            await self.messages[account.channel].send(
                OutboundMessage(
                    subject=account.subject, template_id=template_id, data=data, page=page
                )
            )
        except ChannelRejected as exc:
            # Final: e.g. the person has not subscribed. Retrying would not change it.
            log.info("appointment notice refused by %s: %s", account.channel, exc)

    async def _where(self, slot_id: int) -> tuple[Slot, Institution, Resource]:
        slot = await Slot.get(id=slot_id)
        resource = await Resource.get(id=slot.resource_id)  # type: ignore[attr-defined]
        institution = await Institution.get(id=slot.institution_id)
        return slot, institution, resource

    async def remind(self, payload: dict[str, Any]) -> None:
        booking = await Booking.get_or_none(id=payload["booking_id"])
        if booking is None or booking.status != states.BOOKED or booking.reminded_at is not None:
            return
        slot, institution, resource = await self._where(booking.slot_id)  # type: ignore[attr-defined]
        await self._send(
            booking.account_id,
            self.rules.reminder_template,
            {
                "thing1": institution.name[:20],
                "thing2": f"{resource.name} {resource.title}".strip()[:20],
                "time3": _local(slot.starts_at),
                "thing4": "请按时到达并出示签到码",
            },
            f"pages/appointments/detail?id={booking.id}",
        )
        await Booking.filter(id=booking.id, reminded_at=None).update(reminded_at=clock.now())

    async def offer(self, payload: dict[str, Any]) -> None:
        entry = await WaitlistEntry.get_or_none(id=payload["entry_id"])
        if entry is None or entry.status != states.OFFERED:
            return
        slot, institution, resource = await self._where(entry.slot_id)  # type: ignore[attr-defined]
        await self._send(
            entry.account_id,
            self.rules.offer_template,
            {
                "thing1": institution.name[:20],
                "thing2": f"{resource.name} {resource.title}".strip()[:20],
                "time3": _local(slot.starts_at),
                "time4": _local(entry.offer_expires_at),
                "thing5": "候补成功，请在截止前确认预约",
            },
            f"pages/appointments/waitlist?id={entry.id}",
        )
