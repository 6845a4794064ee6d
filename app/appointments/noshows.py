"""No-shows (爽约) and bans: three in 90 days suspend booking for 90 days (all configurable).

A booking still ``booked`` when its session has ended is a no-show. Its seat stays consumed
(the session is over). Only no-shows after the last ban started count towards the next one,
so lifting a ban does not re-trigger it at the next marking.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.appointments import states
from app.appointments.limits import lock_standing
from app.appointments.models import BanRecord, Booking, Standing
from app.appointments.rules import at
from app.config import AppointmentRules
from app.errors import InvalidInput, NotFound
from infra import clock
from infra.transitions import move

log = logging.getLogger("yiwang.appointments")


async def mark_no_shows(rules: AppointmentRules, *, limit: int = 500) -> list[uuid.UUID]:
    """Mark ended, un-checked-in bookings; answers the citizens newly banned."""
    now = clock.now()
    due = await Booking.filter(status=states.BOOKED, session_ends_at__lte=now).limit(limit)
    banned: list[uuid.UUID] = []
    for booking in due:
        async with in_transaction() as tx:
            if not await move(
                booking,
                states.NO_SHOW,
                using=tx,
                no_show_at=now,
            ):
                continue
            if await _ban_if_due(tx, booking.citizen_id, rules, now):
                banned.append(booking.citizen_id)
    return banned


async def _ban_if_due(
    tx: BaseDBAsyncClient, citizen_id: uuid.UUID, rules: AppointmentRules, now: datetime
) -> bool:
    standing = await lock_standing(tx, citizen_id, now)
    if standing.banned_until is not None and standing.banned_until > now:
        return False
    window_start = now - timedelta(days=rules.no_show_window_days)
    strikes = Booking.filter(
        citizen_id=citizen_id, status=states.NO_SHOW, no_show_at__gte=window_start
    ).using_db(tx)
    if standing.strikes_since is not None:
        strikes = strikes.filter(no_show_at__gt=standing.strikes_since)
    count = await strikes.count()
    if count < rules.no_show_limit:
        return False
    until = at(clock.shanghai_date(now) + timedelta(days=rules.ban_days), "00:00")
    await (
        Standing.filter(citizen_id=citizen_id)
        .using_db(tx)
        .update(banned_until=until, strikes_since=now, updated_at=now)
    )
    await BanRecord.create(
        citizen_id=citizen_id, starts_at=now, ends_at=until, no_shows=count, using_db=tx
    )
    log.info("booking ban for a citizen after %d no-shows, until %s", count, until.date())
    return True


@dataclass(frozen=True)
class LiftedBan:
    citizen_id: uuid.UUID
    was_until: datetime
    reason: str


async def lift_ban(citizen_id: uuid.UUID, reason: str) -> LiftedBan:
    """An operator lifts a ban; the reason is kept with the ban record."""
    if not reason.strip():
        raise InvalidInput("A reason is required to lift a ban.", field="reason")
    now = clock.now()
    async with in_transaction() as tx:
        standing = (
            await Standing.select_for_update().using_db(tx).get_or_none(citizen_id=citizen_id)
        )
        if standing is None or standing.banned_until is None or standing.banned_until <= now:
            raise NotFound("This citizen is not banned from booking.")
        was_until = standing.banned_until
        await (
            Standing.filter(citizen_id=citizen_id)
            .using_db(tx)
            .update(banned_until=None, strikes_since=now, updated_at=now)
        )
        await (
            BanRecord.filter(citizen_id=citizen_id, lifted_at=None)
            .using_db(tx)
            .update(lifted_at=now, lift_reason=reason.strip())
        )
    return LiftedBan(citizen_id, was_until, reason.strip())
