"""Who may hold one more seat: standing (bans) and the per-person limits, checked under a lock.

The person's ``Standing`` row is locked FOR UPDATE first, so two bookings by the same person
never count each other's absence; different people never wait on each other.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from app.appointments import states
from app.appointments.models import Booking, Standing
from app.appointments.rules import month_of, week_of
from app.appointments.slots import SlotMeta, ban_ends_on
from app.config import AppointmentRules
from app.errors import AlreadyBooked, BookingBanned, LimitReached


async def lock_standing(tx: BaseDBAsyncClient, citizen_id: uuid.UUID, now: datetime) -> Standing:
    await Standing.bulk_create(
        [Standing(citizen_id=citizen_id, updated_at=now)], ignore_conflicts=True, using_db=tx
    )
    return await Standing.select_for_update().using_db(tx).get(citizen_id=citizen_id)


def refuse_if_banned(standing: Standing, now: datetime) -> None:
    if standing.banned_until is not None and standing.banned_until > now:
        raise BookingBanned(banned_until=ban_ends_on(standing.banned_until))


async def check_limits(
    tx: BaseDBAsyncClient, citizen_id: uuid.UUID, meta: SlotMeta, rules: AppointmentRules
) -> None:
    mine = Booking.filter(citizen_id=citizen_id).using_db(tx)
    if await mine.filter(active_group_key=meta.group_key, status__in=states.HOLDING).exists():
        raise AlreadyBooked()
    counted = mine.filter(status__in=states.COUNTED)
    same_session = await counted.filter(
        department_id=meta.department_id, date=meta.date, session=meta.session
    ).count()
    if same_session >= rules.per_department_session:
        raise LimitReached(
            "You already have an appointment in this department for this session.",
            limit="department_session",
            allowed=rules.per_department_session,
        )
    start, end = week_of(meta.date)
    if await counted.filter(date__gte=start, date__lte=end).count() >= rules.per_week:
        raise LimitReached(
            f"You can hold at most {rules.per_week} appointments in one week.",
            limit="week",
            allowed=rules.per_week,
        )
    start, end = month_of(meta.date)
    if await counted.filter(date__gte=start, date__lte=end).count() >= rules.per_month:
        raise LimitReached(
            f"You can hold at most {rules.per_month} appointments in one month.",
            limit="month",
            allowed=rules.per_month,
        )


async def admit_person(
    tx: BaseDBAsyncClient,
    citizen_id: uuid.UUID,
    meta: SlotMeta,
    rules: AppointmentRules,
    now: datetime,
) -> None:
    """Everything about the person that must hold before a seat is theirs (the truth)."""
    standing = await lock_standing(tx, citizen_id, now)
    refuse_if_banned(standing, now)
    await check_limits(tx, citizen_id, meta, rules)
