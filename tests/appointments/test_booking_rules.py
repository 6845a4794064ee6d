"""Booking rules against real PostgreSQL and Redis, in-process so time can move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise import connections

from app.appointments import gate_sync, states
from app.appointments.models import Booking, Slot
from app.appointments.rules import at
from app.appointments.service import Appointments
from app.errors import (
    AlreadyBooked,
    AppointmentNotActive,
    BookingClosed,
    CancellationClosed,
    LimitReached,
    NotVerified,
    NotYetReleased,
    SlotFull,
    SlotNotFound,
)
from infra import clock
from tests.appointments.conftest import travel_to
from tests.appointments.helpers import agency, in_days, morning, person, publish, reach_rerelease


async def test_the_database_itself_refuses_overselling_and_double_booking(appts) -> None:
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'appt_slot'::regclass AND contype = 'c'"
    )
    assert "appt_slot_remaining_nonnegative" in {r["conname"] for r in rows}
    owner, _ = await agency(appts.payable.vault)
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", in_days(3), count=1)])
    with pytest.raises(Exception, match="appt_slot_remaining_nonnegative"):
        await Slot.filter(id=slots[0].id).update(remaining=-1)
    uniques = await conn.execute_query_dict(
        "SELECT indexdef FROM pg_indexes "
        "WHERE tablename = 'appt_booking' AND indexdef LIKE '%UNIQUE%'"
    )
    defs = " ".join(r["indexdef"] for r in uniques)
    assert "active_slot_id, citizen_id" in defs and "citizen_id, active_group_key" in defs


async def test_a_verified_person_books_and_redis_agrees(appts: Appointments, sessions) -> None:
    owner, _ = await agency(appts.payable.vault)
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", in_days(3), capacity=2)])
    alice = await person(sessions)
    booking = await appts.booker.book(alice.principal, slots[0].id)
    assert booking.status == states.BOOKED and booking.active_slot_id == slots[0].id
    assert (await Slot.get(id=slots[0].id)).remaining == 1
    report = await gate_sync.drift_report(appts.gate)
    assert (report.drifted == [] and len(report.not_loaded) == 0) or report.groups == 1


async def test_refusals_each_have_their_own_code(appts: Appointments, sessions) -> None:
    owner, _ = await agency(appts.payable.vault)
    day = in_days(3)
    _, slots = await publish(
        appts.gate,
        owner,
        [
            morning("NK", "D1", day, count=2),
            morning("NK", "D2", day, count=1),
            morning("EK", "D3", day),
        ],
    )
    d1a, d1b, d2, ek = slots[0], slots[1], slots[2], slots[3]
    alice, bob, unverified = (
        await person(sessions),
        await person(sessions),
        await person(sessions, verified=False),
    )

    with pytest.raises(NotVerified):
        await appts.booker.book(unverified.principal, d1a.id)
    with pytest.raises(SlotNotFound):
        await appts.booker.book(alice.principal, 999_999)

    await appts.booker.book(alice.principal, d1a.id)
    with pytest.raises(SlotFull) as full:
        await appts.booker.book(bob.principal, d1a.id)
    assert full.value.code == "SLOT_FULL"
    with pytest.raises(AlreadyBooked):  # same doctor, same session, another time
        await appts.booker.book(alice.principal, d1b.id)
    with pytest.raises(LimitReached) as limit:  # another doctor of the same department
        await appts.booker.book(alice.principal, d2.id)
    assert limit.value.details["limit"] == "department_session"
    other_department = await appts.booker.book(alice.principal, ek.id)
    assert other_department.department_id != d1a.department_id

    # Refusals changed nothing: one seat taken per booking, none leaked at the gate.
    assert await Booking.all().count() == 2
    assert [s.remaining for s in await Slot.filter(id__in=[d1b.id, d2.id])] == [1, 1]
    assert (await gate_sync.drift_report(appts.gate)).drifted == []


async def test_release_at_0700_seven_days_ahead_and_close_at_1500_the_day_before(
    appts: Appointments, sessions
) -> None:
    owner, _ = await agency(appts.payable.vault)
    day = in_days(9)
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", day, count=3, capacity=5)])
    alice = await person(sessions)
    release = at(day - timedelta(days=7), "07:00")
    travel_to(release - timedelta(seconds=1))
    with pytest.raises(NotYetReleased) as early:
        await appts.booker.book(alice.principal, slots[0].id)
    assert early.value.details["opens_at"] == release.isoformat()
    travel_to(release)
    assert (await appts.booker.book(alice.principal, slots[0].id)).status == states.BOOKED
    bob = await person(sessions)
    travel_to(at(day - timedelta(days=1), "15:00"))
    with pytest.raises(BookingClosed):
        await appts.booker.book(bob.principal, slots[1].id)


async def test_institution_rules_and_settings_override_the_defaults(
    appts: Appointments, sessions
) -> None:
    owner, _ = await agency(appts.payable.vault)
    day = in_days(12)
    _, slots = await publish(
        appts.gate, owner, [morning("NK", "D1", day)], release_time="08:30", horizon_days=14
    )
    alice = await person(sessions)
    travel_to(at(day - timedelta(days=14), "08:29"))
    with pytest.raises(NotYetReleased):
        await appts.booker.book(alice.principal, slots[0].id)
    travel_to(at(day - timedelta(days=14), "08:30"))
    await appts.booker.book(alice.principal, slots[0].id)


async def test_weekly_and_monthly_limits(appts: Appointments, sessions) -> None:
    appts.booker.rules = appts.rules.model_copy(update={"per_week": 2, "per_month": 3})
    owner, _ = await agency(appts.payable.vault)
    monday = in_days(3)
    monday -= timedelta(days=monday.weekday())
    monday += timedelta(days=7)
    days = [monday + timedelta(days=i) for i in range(3)]
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", d, count=1) for d in days])
    alice = await person(sessions)
    travel_to(at(days[-1] - timedelta(days=7), "07:00"))
    await appts.booker.book(alice.principal, slots[0].id)
    await appts.booker.book(alice.principal, slots[1].id)
    with pytest.raises(LimitReached) as week:
        await appts.booker.book(alice.principal, slots[2].id)
    assert week.value.details == {"limit": "week", "allowed": 2}
    assert (await Slot.get(id=slots[2].id)).remaining == 1
    assert (await gate_sync.drift_report(appts.gate)).drifted == []


async def test_monthly_limit(appts: Appointments, sessions) -> None:
    appts.booker.rules = appts.rules.model_copy(update={"per_week": 10, "per_month": 2})
    owner, _ = await agency(appts.payable.vault)
    first = in_days(40).replace(day=1)
    days = [first + timedelta(days=7 * i) for i in range(3)]
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", d, count=1) for d in days])
    alice = await person(sessions)
    for i, slot in enumerate(slots):
        travel_to(at(days[i] - timedelta(days=7), "07:00"))
        if i < 2:
            await appts.booker.book(alice.principal, slot.id)
        else:
            with pytest.raises(LimitReached) as month:
                await appts.booker.book(alice.principal, slot.id)
            assert month.value.details["limit"] == "month"


async def test_cancel_until_1400_the_day_before_gives_the_seat_back(
    appts: Appointments, sessions
) -> None:
    owner, _ = await agency(appts.payable.vault)
    day = in_days(4)
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", day, count=2)])
    alice, bob = await person(sessions), await person(sessions)
    first = await appts.booker.book(alice.principal, slots[0].id)
    second = await appts.booker.book(bob.principal, slots[1].id)
    travel_to(at(day - timedelta(days=1), "13:59"))
    cancelled = await appts.booker.cancel(alice.principal, first.id)
    assert cancelled.status == states.CANCELLED and cancelled.active_slot_id is None
    # The seat goes back at its drawn re-release moment (within 15 minutes, before 14:30).
    assert (await Slot.get(id=slots[0].id)).remaining == 0
    with pytest.raises(AppointmentNotActive):
        await appts.booker.cancel(alice.principal, first.id)
    travel_to(at(day - timedelta(days=1), "14:00"))
    with pytest.raises(CancellationClosed):
        await appts.booker.cancel(bob.principal, second.id)
    assert (await Booking.get(id=second.id)).status == states.BOOKED
    assert (await gate_sync.drift_report(appts.gate)).drifted == []
    # The freed seat can be booked again, even by the person who cancelled (before cut-off).
    travel_to(at(day - timedelta(days=1), "14:30"))
    await reach_rerelease(slots[0].id)
    # The moment had passed by 14:30: the clock did not have to move on.
    assert clock.now() - at(day - timedelta(days=1), "14:30") < timedelta(seconds=30)
    assert (await Slot.get(id=slots[0].id)).remaining == 1
    again = await appts.booker.book(alice.principal, slots[0].id)
    assert again.status == states.BOOKED


async def test_the_first_bookable_day_skips_a_day_whose_booking_closed_at_15_00(appts) -> None:
    from app.appointments.views import first_bookable_day

    owner, _ = await agency(appts.payable.vault)
    institution, slots = await publish(
        appts.gate,
        owner,
        [morning("NK", "D1", in_days(1), count=1), morning("NK", "D2", in_days(3), count=1)],
    )
    today = in_days(0)
    travel_to(at(today, "09:00"))
    assert await first_bookable_day(institution, appts.rules) == in_days(1)
    travel_to(at(today, "15:00"))  # tomorrow's booking has just closed
    assert await first_bookable_day(institution, appts.rules) == in_days(3)
    travel_to(at(today, "23:30"))
    assert await first_bookable_day(institution, appts.rules) == in_days(3)
    await Slot.filter(id=slots[1].id).update(remaining=0)  # and the only later slot is full
    assert await first_bookable_day(institution, appts.rules) == today
