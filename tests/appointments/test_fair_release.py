"""Fair release: a freed seat returns at a drawn moment (never before, surviving restarts),
and kept seats are booked by staff for a named resident, then open to everyone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from app.appointments import states
from app.appointments.gate import release_holder
from app.appointments.models import Booking, Rerelease, Slot, WaitlistEntry
from app.appointments.rerelease import NotDueYet, release_due
from app.appointments.seats import RERELEASE_EVENT, rerelease_moment
from app.appointments.service import Appointments, build_appointments
from app.appointments.staff import Resident
from app.catalog.models import AuditEntry
from app.errors import AlreadyBooked, NoKeptSeat, NotFound, SlotFull, SlotNotFound
from infra import clock, outbox
from infra.outbox.models import OutboxEvent
from tests.appointments.conftest import travel_to
from tests.appointments.helpers import agency, in_days, morning, person, publish
from tests.appointments.test_lifecycle import deliver_all, no_drift


async def _book_and_cancel(appts: Appointments, sessions, slot_id: int) -> Rerelease:  # type: ignore[no-untyped-def]
    holder = await person(sessions)
    booking = await appts.booker.book(holder.principal, slot_id)
    await appts.booker.cancel(holder.principal, booking.id)
    return await Rerelease.get(slot_id=slot_id, status=states.RERELEASE_PENDING)


async def test_a_cancelled_seat_returns_only_at_its_drawn_moment(
    appts: Appointments, sessions
) -> None:
    owner, _ = await agency(appts.payable.vault)
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", in_days(4), count=1)])
    slot = slots[0]
    freed_at = clock.now()
    held = await _book_and_cancel(appts, sessions, slot.id)
    rules = appts.rules
    assert freed_at + timedelta(seconds=rules.rerelease_min_seconds) <= held.release_at
    assert held.release_at <= clock.now() + timedelta(seconds=rules.rerelease_max_seconds)
    event = await OutboxEvent.get(kind=RERELEASE_EVENT)
    assert event.payload == {"rerelease_id": held.id}
    assert event.next_attempt_at == held.release_at  # due at the moment, not before
    # Held out of the pool in PostgreSQL and at the gate: a script polling gets nothing.
    assert (await Slot.get(id=slot.id)).remaining == 0
    assert (await appts.gate.view(slot.group_key)).seats[release_holder(held.id)] == slot.id
    rusher = await person(sessions)
    with pytest.raises(SlotFull):
        await appts.booker.book(rusher.principal, slot.id)
    await no_drift(appts)

    # Five seconds before the moment: the sweep has nothing due and the worker delivers nothing.
    travel_to(held.release_at - timedelta(seconds=5))
    assert await outbox.sweep(_no_enqueue) == 0
    await deliver_all()
    # Even a handler run early by mistake refuses and changes nothing.
    with pytest.raises(NotDueYet):
        await release_due(appts.booker, {"rerelease_id": held.id})
    assert (await Rerelease.get(id=held.id)).status == states.RERELEASE_PENDING
    assert (await Slot.get(id=slot.id)).remaining == 0
    with pytest.raises(SlotFull):
        await appts.booker.book(rusher.principal, slot.id)

    travel_to(held.release_at)
    await deliver_all()
    after = await Rerelease.get(id=held.id)
    assert (after.status, after.outcome) == (states.RERELEASED, "pool")
    assert after.released_at is not None and after.released_at >= held.release_at
    assert (await Slot.get(id=slot.id)).remaining == 1
    await no_drift(appts)
    assert (await appts.booker.book(rusher.principal, slot.id)).status == states.BOOKED
    # A duplicate delivery of the same event frees nothing twice.
    await release_due(appts.booker, {"rerelease_id": held.id})
    assert (await Slot.get(id=slot.id)).remaining == 0
    await no_drift(appts)


async def _no_enqueue(event_id: int, job_id: str) -> None:
    raise AssertionError(f"outbox event {event_id} was handed over before it was due")


async def test_a_restart_between_cancel_and_rerelease_loses_nothing(
    appts: Appointments, sessions, settings, redis, vault, messages
) -> None:
    owner, _ = await agency(appts.payable.vault)
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", in_days(4), count=1)])
    slot = slots[0]
    held = await _book_and_cancel(appts, sessions, slot.id)

    # Every process restarts and Redis comes back empty: the job queue and the gate are gone.
    await redis.flushdb()
    restarted = build_appointments(settings.appointments.model_copy(), redis, vault, messages)
    restarted.register_outbox_handlers()
    rusher = await person(sessions)
    with pytest.raises(SlotFull):  # the gate reloads from PostgreSQL: the seat is still held
        await restarted.booker.book(rusher.principal, slot.id)
    assert (await restarted.gate.view(slot.group_key)).seats[release_holder(held.id)] == slot.id
    await no_drift(restarted)

    # The restarted worker's sweep finds the event once due, from PostgreSQL alone.
    travel_to(held.release_at + timedelta(seconds=1))
    handed: list[int] = []

    async def enqueue(event_id: int, job_id: str) -> None:
        handed.append(event_id)

    assert await outbox.sweep(enqueue) == 1
    for event_id in handed:
        assert await outbox.deliver(event_id)
    assert (await Rerelease.get(id=held.id)).status == states.RERELEASED
    assert (await Slot.get(id=slot.id)).remaining == 1
    await no_drift(restarted)
    assert (await restarted.booker.book(rusher.principal, slot.id)).status == states.BOOKED
    await no_drift(restarted)


async def test_a_waiter_who_joined_meanwhile_is_offered_the_seat_at_its_moment(
    appts: Appointments, sessions
) -> None:
    owner, _ = await agency(appts.payable.vault)
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", in_days(4), count=1)])
    slot = slots[0]
    held = await _book_and_cancel(appts, sessions, slot.id)
    waiter = await person(sessions)
    entry = await appts.waitlist.join(waiter.principal, slot.id)  # the slot shows full
    travel_to(held.release_at)
    await deliver_all()
    assert (await WaitlistEntry.get(id=entry.id)).status == states.OFFERED
    assert (await Rerelease.get(id=held.id)).outcome == f"offer:{entry.id}"
    assert (await Slot.get(id=slot.id)).remaining == 0
    await no_drift(appts)
    booking = await appts.waitlist.accept(waiter.principal, entry.id)
    assert booking.status == states.BOOKED
    await no_drift(appts)


async def test_a_late_payment_reclaims_its_own_seat_still_waiting_for_its_moment(
    appts: Appointments, sessions
) -> None:
    owner, _ = await agency(appts.payable.vault)
    _, slots = await publish(
        appts.gate, owner, [morning("NK", "D1", in_days(4), count=1, fee_fen=900)]
    )
    payer = await person(sessions)
    hold = await appts.booker.book(payer.principal, slots[0].id)
    clock.travel(timedelta(minutes=16))
    assert await appts.release_unpaid() == 1
    held = await Rerelease.get(slot_id=slots[0].id)
    assert held.freed_by == str(payer.citizen_id)
    async with in_transaction() as tx:
        await appts.payable.record_paid(str(hold.id), 77, clock.now(), tx)
    travel_to(held.release_at)
    await deliver_all()
    assert (await Rerelease.get(id=held.id)).status == states.RECLAIMED
    back = await Booking.get(id=hold.id)
    assert back.status == states.BOOKED and back.paid_order_id == 77
    assert (await Slot.get(id=slots[0].id)).remaining == 0  # the moment gave nothing away
    await no_drift(appts)


def test_the_moment_is_drawn_uniformly_within_the_window_and_cut_at_the_close(appts) -> None:
    rules = appts.rules.model_copy(
        update={"rerelease_min_seconds": 60, "rerelease_max_seconds": 900}
    )
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    far = now + timedelta(days=1)
    drawn = [rerelease_moment(now, rules, far) for _ in range(4000)]
    offsets = [(d - now).total_seconds() for d in drawn if d is not None]
    assert len(offsets) == 4000 and all(60 <= o <= 900 for o in offsets)
    assert len(set(offsets)) > 3900  # not a handful of predictable seconds
    quarters = [0, 0, 0, 0]
    for o in offsets:
        quarters[min(int((o - 60) / 210), 3)] += 1
    assert all(850 < q < 1150 for q in quarters), quarters  # expected 1000 each; 5 sd wide
    # Cut at the booking's close; freed at once when the close comes before the earliest.
    soon = now + timedelta(seconds=300)
    assert all(
        now + timedelta(seconds=60) <= rerelease_moment(now, rules, soon) <= soon
        for _ in range(200)
    )  # type: ignore[operator]
    assert rerelease_moment(now, rules, now + timedelta(seconds=30)) is None
    off = rules.model_copy(update={"rerelease_max_seconds": 0})
    assert rerelease_moment(now, off, far) is None


# ----------------------------------------------------------------------------- kept seats


async def _resident(person_) -> Resident:  # type: ignore[no-untyped-def]
    return Resident(person_.citizen_id, person_.principal.account_id, "张*", "3301**********1236")


async def test_kept_seats_are_out_of_the_rush_booked_by_staff_audited_then_opened(
    appts: Appointments, sessions
) -> None:
    from dataclasses import replace

    from app.appointments.staff import kept_until

    owner, _ = await agency(appts.payable.vault)
    other, _ = await agency(appts.payable.vault, name="杭州市第二人民医院")
    day = in_days(4)
    opens = kept_until(appts.rules, day)
    spec = replace(morning("NK", "D1", day, count=1, capacity=4), kept_percent=50, kept_until=opens)
    institution, slots = await publish(appts.gate, owner, [spec])
    slot = slots[0]
    assert (slot.capacity, slot.remaining, slot.kept, slot.kept_until) == (4, 2, 2, opens)

    # The public takes the two public places; the kept ones stay out of reach.
    a, b, c = [await person(sessions) for _ in range(3)]
    await appts.booker.book(a.principal, slot.id)
    await appts.booker.book(b.principal, slot.id)
    with pytest.raises(SlotFull):
        await appts.booker.book(c.principal, slot.id)
    await no_drift(appts)

    elder = await person(sessions)
    audits = await AuditEntry.all().count()
    # Another agency cannot book here: the institution is not found, nothing changes.
    with pytest.raises(NotFound):
        await appts.staff.book(
            other, institution.id, slot.id, await _resident(elder), channel="hall", staff_ref="S1"
        )
    # Nor a slot of another institution through this one.
    _, elsewhere = await publish(appts.gate, owner, [morning("EK", "D3", day, count=1)], ref="HZ2")
    with pytest.raises(SlotNotFound):
        await appts.staff.book(
            owner,
            institution.id,
            elsewhere[0].id,
            await _resident(elder),
            channel="hall",
            staff_ref="S1",
        )
    assert (await Slot.get(id=slot.id)).kept == 2 and await AuditEntry.all().count() == audits

    booked = await appts.staff.book(
        owner, institution.id, slot.id, await _resident(elder), channel="phone", staff_ref="S1"
    )
    assert booked.status == states.BOOKED and booked.booked_by_agency_id == owner.id
    assert booked.channel == "phone"
    assert (await Slot.get(id=slot.id)).kept == 1
    entry = await AuditEntry.filter(action="appointments.staff_booking").get()
    assert entry.subject_id == str(booked.id) and entry.after["agency"] == owner.key  # type: ignore[index]
    assert "330106" not in str(entry.after)  # masked only
    await no_drift(appts)
    # The per-person rules hold for staff bookings too.
    with pytest.raises(AlreadyBooked):
        await appts.staff.book(
            owner, institution.id, slot.id, await _resident(elder), channel="hall", staff_ref="S1"
        )
    assert (await Slot.get(id=slot.id)).kept == 1

    # At the opening time the last kept seat goes to the first waiter, then the pool.
    waiter = await person(sessions)
    entry_w = await appts.waitlist.join(waiter.principal, slot.id)
    travel_to(opens - timedelta(seconds=5))
    assert await appts.open_kept_seats() == 0
    travel_to(opens)
    assert await appts.open_kept_seats() == 1
    assert (await WaitlistEntry.get(id=entry_w.id)).status == states.OFFERED
    assert ((await Slot.get(id=slot.id)).kept, (await Slot.get(id=slot.id)).remaining) == (0, 0)
    await no_drift(appts)
    late = await person(sessions)
    with pytest.raises(NoKeptSeat):
        await appts.staff.book(
            owner, institution.id, slot.id, await _resident(late), channel="hall", staff_ref="S1"
        )
    assert await appts.open_kept_seats() == 0  # opened once


async def test_staff_cancel_returns_the_seat_to_the_kept_share_before_opening(
    appts: Appointments, sessions
) -> None:
    from dataclasses import replace

    from app.appointments.staff import kept_until

    owner, _ = await agency(appts.payable.vault)
    other, _ = await agency(appts.payable.vault, name="杭州市第二人民医院")
    day = in_days(4)
    spec = replace(
        morning("NK", "D1", day, count=1, capacity=2),
        kept_percent=50,
        kept_until=kept_until(appts.rules, day),
    )
    institution, slots = await publish(appts.gate, owner, [spec])
    elder = await person(sessions)
    booked = await appts.staff.book(
        owner, institution.id, slots[0].id, await _resident(elder), channel="hall", staff_ref="S9"
    )
    with pytest.raises(NotFound):
        await appts.staff.cancel(other, institution.id, booked.id)
    assert (await Booking.get(id=booked.id)).status == states.BOOKED
    cancelled = await appts.staff.cancel(owner, institution.id, booked.id)
    assert cancelled.status == states.CANCELLED
    assert ((await Slot.get(id=slots[0].id)).kept, (await Slot.get(id=slots[0].id)).remaining) == (
        1,
        1,
    )
    assert await Rerelease.all().count() == 0
    await no_drift(appts)
