"""Waitlist, fee holds, payments racing the release, check-in, no-shows, bans, reminders."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

import pytest

from app.appointments import checkin, gate_sync, states
from app.appointments.gate import offer_holder
from app.appointments.models import BanRecord, Booking, Rerelease, Slot, WaitlistEntry
from app.appointments.noshows import lift_ban
from app.appointments.rules import at
from app.appointments.service import Appointments
from app.errors import (
    AlreadyBooked,
    BookingBanned,
    CheckInCodeInvalid,
    CheckInCodeUsed,
    CheckInNotAllowed,
    PaymentHoldExpired,
    SlotFull,
    WaitlistAlreadyJoined,
    WaitlistNotNeeded,
    WaitlistNotOffered,
    WaitlistOfferExpired,
)
from infra import clock, outbox
from infra.outbox.models import OutboxEvent
from payments.errors import AlreadyPaid
from tests import independent_sm2
from tests.appointments.conftest import travel_to
from tests.appointments.helpers import (
    agency,
    in_days,
    morning,
    person,
    publish,
    reach_rerelease,
)


async def deliver_all() -> None:
    for event_id in await OutboxEvent.filter(status="pending").values_list("id", flat=True):
        await outbox.deliver(int(event_id))


async def no_drift(appts: Appointments) -> None:
    report = await gate_sync.drift_report(appts.gate)
    assert [d.as_dict() for d in report.drifted] == []


async def test_waitlist_offers_a_cancelled_seat_in_order_and_it_lapses_to_the_next(
    appts: Appointments, sessions, messages
) -> None:
    owner, _ = await agency(appts.payable.vault)
    day = in_days(4)
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", day, count=1)])
    slot = slots[0]
    holder = await person(sessions, channel="app")
    first = await person(sessions, channel="alipay")
    second = await person(sessions, channel="wechat")
    rusher = await person(sessions)
    booking = await appts.booker.book(holder.principal, slot.id)

    _, free = await publish(appts.gate, owner, [morning("EK", "D3", day, count=1)])
    with pytest.raises(WaitlistNotNeeded):
        await appts.waitlist.join(holder.principal, free[0].id)
    with pytest.raises(AlreadyBooked):
        await appts.waitlist.join(holder.principal, slot.id)
    e1 = await appts.waitlist.join(first.principal, slot.id)
    e2 = await appts.waitlist.join(second.principal, slot.id)
    with pytest.raises(WaitlistAlreadyJoined):
        await appts.waitlist.join(first.principal, slot.id)
    with pytest.raises(WaitlistNotOffered):
        await appts.waitlist.accept(first.principal, e1.id)

    await appts.booker.cancel(holder.principal, booking.id)
    offered = await WaitlistEntry.get(id=e1.id)
    assert offered.status == states.OFFERED
    assert offered.offer_expires_at == offered.offered_at + timedelta(minutes=30)  # type: ignore[operator]
    # The offered seat is out of the pool: the rush cannot take it from the waiter.
    assert (await Slot.get(id=slot.id)).remaining == 0
    with pytest.raises(SlotFull):
        await appts.booker.book(rusher.principal, slot.id)
    view = await appts.gate.view(slot.group_key)
    assert view.seats == {offer_holder(e1.id): slot.id}
    await no_drift(appts)

    # The waiter is told through the channel they joined from (Alipay here).
    await deliver_all()
    assert [m.subject for m in messages["alipay"].sent] and messages["wechat"].sent == []
    assert messages["alipay"].sent[0].template_id == appts.rules.offer_template

    # 30 minutes pass: the offer lapses and passes to the next waiter.
    clock.travel(timedelta(minutes=31))
    with pytest.raises(WaitlistOfferExpired):
        await appts.waitlist.accept(first.principal, e1.id)
    assert await appts.lapse_offers() == 1
    assert (await WaitlistEntry.get(id=e1.id)).status == states.LAPSED
    assert (await WaitlistEntry.get(id=e2.id)).status == states.OFFERED
    await no_drift(appts)
    taken = await appts.waitlist.accept(second.principal, e2.id)
    assert taken.status == states.BOOKED and taken.slot_id == slot.id  # type: ignore[attr-defined]
    assert (await WaitlistEntry.get(id=e2.id)).booking_id == taken.id
    assert (await Slot.get(id=slot.id)).remaining == 0
    await no_drift(appts)


async def test_an_offer_with_nobody_left_returns_the_seat_to_the_pool(
    appts: Appointments, sessions
) -> None:
    owner, _ = await agency(appts.payable.vault)
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", in_days(4), count=1)])
    holder, waiter = await person(sessions), await person(sessions)
    booking = await appts.booker.book(holder.principal, slots[0].id)
    entry = await appts.waitlist.join(waiter.principal, slots[0].id)
    await appts.booker.cancel(holder.principal, booking.id)
    declined = await appts.waitlist.leave(waiter.principal, entry.id)
    assert declined.status == states.LEFT
    # Nobody else waits: the seat is held for a re-release at its drawn moment, then freed.
    held = await Rerelease.get(slot_id=slots[0].id)
    assert (held.status, held.freed_by) == (states.RERELEASE_PENDING, offer_holder(entry.id))
    assert (await Slot.get(id=slots[0].id)).remaining == 0
    await no_drift(appts)
    travel_to(held.release_at)
    await deliver_all()
    assert (await Slot.get(id=slots[0].id)).remaining == 1
    await no_drift(appts)


async def test_fee_slot_is_held_for_payment_and_released_when_unpaid(
    appts: Appointments, sessions
) -> None:
    owner, _ = await agency(appts.payable.vault)
    _, slots = await publish(
        appts.gate, owner, [morning("NK", "D1", in_days(4), count=2, fee_fen=2500)]
    )
    alice, bob = await person(sessions), await person(sessions)
    held = await appts.booker.book(alice.principal, slots[0].id)
    assert held.status == states.PENDING_PAYMENT
    assert held.hold_expires_at == held.created_at + timedelta(minutes=15)
    quote = await appts.payable.quote(str(held.id), alice.citizen_id)
    assert quote.amount_fen == 2500 and quote.pay_before == held.hold_expires_at
    assert quote.payable_type == "appointment" and quote.region_code == "330100"
    assert quote.lines[0].item_code == "APPT-REG"
    from app.errors import AppointmentNotFound

    with pytest.raises(AppointmentNotFound):  # someone else's payable does not exist for bob
        await appts.payable.quote(str(held.id), bob.citizen_id)
    assert appts.check_in_code(held) is None  # no QR before it is paid

    clock.travel(timedelta(minutes=14))
    assert await appts.release_unpaid() == 0
    clock.travel(timedelta(minutes=2))
    assert await appts.release_unpaid() == 1
    released = await Booking.get(id=held.id)
    assert released.status == states.RELEASED and released.active_slot_id is None
    # Held for its drawn re-release moment (not at once: scripts would take it first).
    assert (await Slot.get(id=slots[0].id)).remaining == 0
    with pytest.raises(PaymentHoldExpired):
        await appts.payable.quote(str(held.id), alice.citizen_id)
    await no_drift(appts)
    await reach_rerelease(slots[0].id)
    assert (await Slot.get(id=slots[0].id)).remaining == 1
    await no_drift(appts)
    # The seat is free for the next person once its moment came.
    assert (await appts.booker.book(bob.principal, slots[0].id)).status == states.PENDING_PAYMENT


async def test_payment_and_release_racing_only_one_wins(appts: Appointments, sessions) -> None:
    from tortoise.transactions import in_transaction

    owner, _ = await agency(appts.payable.vault)
    _, slots = await publish(
        appts.gate, owner, [morning("NK", "D1", in_days(4), count=2, fee_fen=800)]
    )
    alice, bob = await person(sessions), await person(sessions)
    paid = await appts.booker.book(alice.principal, slots[0].id)
    clock.travel(timedelta(minutes=15, seconds=1))
    # The payment lands first (the hold has just run out): the release job must not free it.
    async with in_transaction() as tx:
        await appts.payable.record_paid(str(paid.id), 41, clock.now(), tx)
    async with in_transaction() as tx:  # a duplicate notification changes nothing
        await appts.payable.record_paid(str(paid.id), 41, clock.now(), tx)
    assert await appts.release_unpaid() == 0
    after = await Booking.get(id=paid.id)
    assert after.status == states.BOOKED and after.paid_order_id == 41
    with pytest.raises(AlreadyPaid):
        await appts.payable.quote(str(paid.id), alice.citizen_id)

    # The other way round: released first, then the payment lands; a seat is still free,
    # so the booking is re-instated and the gate is told through the outbox.
    late = await appts.booker.book(bob.principal, slots[1].id)
    clock.travel(timedelta(minutes=16))
    assert await appts.release_unpaid() == 1
    async with in_transaction() as tx:
        await appts.payable.record_paid(str(late.id), 42, clock.now(), tx)
    await deliver_all()
    back = await Booking.get(id=late.id)
    assert back.status == states.BOOKED and back.active_slot_id == slots[1].id
    assert (await Slot.get(id=slots[1].id)).remaining == 0
    await no_drift(appts)

    # A full refund of the paid one frees its seat.
    async with in_transaction() as tx:
        await appts.payable.record_refunded(str(paid.id), 41, 800, True, tx)
    await deliver_all()
    assert (await Booking.get(id=paid.id)).status == states.CANCELLED
    assert (await Slot.get(id=slots[0].id)).remaining == 1
    await no_drift(appts)


async def test_check_in_code_is_signed_single_use_and_bound_to_its_institution_and_day(
    appts: Appointments, sessions
) -> None:
    owner, _ = await agency(appts.payable.vault)
    day = in_days(3)
    institution, slots = await publish(appts.gate, owner, [morning("NK", "D1", day, count=2)])
    alice = await person(sessions)
    booking = await appts.booker.book(alice.principal, slots[0].id)
    code = appts.check_in_code(booking)
    assert code is not None and code.startswith("YWCI2.")
    # The SM2 signature, checked by an independent implementation (the pure-Python gmssl).
    message, _, signature = code.rpartition(".")
    point = checkin._signer(appts.rules.checkin_key).public.point
    der = base64.urlsafe_b64decode(signature + "==")
    assert independent_sm2.verifies(point, der, message.encode())
    # A code shown before the move to SM2 (HMAC-SHA256) still reads.
    legacy = message.replace("YWCI2.", "YWCI1.", 1)
    legacy += "." + checkin._mac(appts.rules.checkin_key, legacy)
    assert checkin.verify(appts.rules.checkin_key, legacy).booking_id == booking.id
    with pytest.raises(CheckInCodeInvalid):
        checkin.verify(appts.rules.checkin_key, legacy[:-2] + "AA")
    with pytest.raises(CheckInNotAllowed):  # not today yet
        await appts.check_in(code, institution.id)
    travel_to(at(day, "08:05"))
    forged = code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")
    with pytest.raises(CheckInCodeInvalid):
        await appts.check_in(forged, institution.id)
    other_key = checkin.sign(b"another-key-of-32-bytes-length!!", booking)
    with pytest.raises(CheckInCodeInvalid):
        await appts.check_in(other_key, institution.id)
    with pytest.raises(CheckInCodeInvalid):
        await appts.check_in(code, institution.id + 1)
    done = await appts.check_in(code, institution.id)
    assert done.status == states.CHECKED_IN and done.checked_in_at is not None
    with pytest.raises(CheckInCodeUsed):
        await appts.check_in(code, institution.id)


async def test_the_desk_code_checks_in_only_today_at_its_own_institution_once(
    appts: Appointments, sessions
) -> None:
    owner, _ = await agency(appts.payable.vault)
    day = in_days(3)
    institution, slots = await publish(appts.gate, owner, [morning("NK", "D1", day, count=2)])
    alice, bob = await person(sessions), await person(sessions)
    mine = await appts.booker.book(alice.principal, slots[0].id)
    theirs = await appts.booker.book(bob.principal, slots[1].id)
    typed = appts.desk_code(mine)
    assert typed is not None and len(typed) == 8 and typed.isdigit()
    assert typed != appts.desk_code(theirs)
    with pytest.raises(CheckInCodeInvalid):  # not today yet: no booking of today has it
        await appts.check_in(None, institution.id, desk_code=typed)
    travel_to(at(day, "08:05"))
    with pytest.raises(CheckInCodeInvalid):
        await appts.check_in(None, institution.id + 1, desk_code=typed)
    wrong = f"{(int(typed) + 1) % 10**8:08d}"
    if wrong != appts.desk_code(theirs):
        with pytest.raises(CheckInCodeInvalid):
            await appts.check_in(None, institution.id, desk_code=wrong)
    done = await appts.check_in(None, institution.id, desk_code=typed)
    assert done.id == mine.id and done.status == states.CHECKED_IN
    assert (await Booking.get(id=theirs.id)).status == states.BOOKED
    with pytest.raises(CheckInCodeUsed):
        await appts.check_in(None, institution.id, desk_code=typed)
    assert appts.desk_code(done) is None  # a checked-in booking shows no code


async def test_three_no_shows_in_90_days_ban_booking_for_90_days_until_lifted(
    appts: Appointments, sessions
) -> None:
    owner, _ = await agency(appts.payable.vault)
    days = [in_days(2), in_days(3), in_days(4), in_days(20)]
    _, slots = await publish(
        appts.gate, owner, [morning("NK", "D1", d, count=1, capacity=3) for d in days]
    )
    alice = await person(sessions)
    for slot in slots[:3]:
        await appts.booker.book(alice.principal, slot.id)
    travel_to(at(days[0], "12:00"))
    assert await appts.mark_no_shows() == 0
    assert (await Booking.filter(status=states.NO_SHOW).count()) == 1
    travel_to(at(days[2], "12:00"))
    assert await appts.mark_no_shows() == 1  # the third no-show bans
    standing_ban = await BanRecord.get(citizen_id=alice.citizen_id)
    ends_on = (clock.shanghai_date() + timedelta(days=90)).isoformat()
    assert standing_ban.no_shows == 3
    travel_to(at(days[3] - timedelta(days=7), "07:00"))
    with pytest.raises(BookingBanned) as banned:
        await appts.booker.book(alice.principal, slots[3].id)
    assert banned.value.details == {"banned_until": ends_on}
    assert banned.value.code == "BOOKING_BANNED"
    assert (await Slot.get(id=slots[3].id)).remaining == 3
    await no_drift(appts)

    lifted = await lift_ban(alice.citizen_id, "hospital confirmed an emergency")
    assert lifted.reason == "hospital confirmed an emergency"
    assert (await BanRecord.get(citizen_id=alice.citizen_id)).lift_reason == lifted.reason
    appts.booker.standing.forget(alice.citizen_id)
    assert (await appts.booker.book(alice.principal, slots[3].id)).status == states.BOOKED
    from app.errors import NotFound

    with pytest.raises(NotFound):
        await lift_ban(uuid.uuid4(), "nobody")


async def test_checked_in_people_are_not_no_shows(appts: Appointments, sessions) -> None:
    owner, _ = await agency(appts.payable.vault)
    day = in_days(2)
    institution, slots = await publish(appts.gate, owner, [morning("NK", "D1", day, count=1)])
    alice = await person(sessions)
    booking = await appts.booker.book(alice.principal, slots[0].id)
    travel_to(at(day, "08:00"))
    await appts.check_in(appts.check_in_code(booking) or "", institution.id)
    travel_to(at(day, "18:00"))
    await appts.mark_no_shows()
    assert (await Booking.get(id=booking.id)).status == states.CHECKED_IN


async def test_reminder_the_day_before_through_the_booking_channel_once(
    appts: Appointments, sessions, messages
) -> None:
    owner, _ = await agency(appts.payable.vault)
    day = in_days(3)
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", day, count=2)])
    wechat, alipay = (
        await person(sessions, channel="wechat"),
        await person(sessions, channel="alipay"),
    )
    await appts.booker.book(wechat.principal, slots[0].id)
    await appts.booker.book(alipay.principal, slots[1].id)
    travel_to(at(day - timedelta(days=1), "08:59"))
    assert await appts.queue_reminders() == 0
    travel_to(at(day - timedelta(days=1), "09:00"))
    assert await appts.queue_reminders() == 2
    assert await appts.queue_reminders() == 0
    await deliver_all()
    await deliver_all()
    assert len(messages["wechat"].sent) == 1 and len(messages["alipay"].sent) == 1
    sent = messages["wechat"].sent[0]
    assert sent.template_id == appts.rules.reminder_template
    assert sent.data["thing1"] == "杭州市第一人民医院"
    assert await Booking.filter(reminded_at__isnull=False).count() == 2


async def test_gate_rebuilds_after_a_flush_with_bookings_in_flight(
    appts: Appointments, sessions, redis
) -> None:
    owner, _ = await agency(appts.payable.vault)
    _, slots = await publish(appts.gate, owner, [morning("NK", "D1", in_days(3), count=3)])
    people = [await person(sessions) for _ in range(4)]
    await appts.booker.book(people[0].principal, slots[0].id)
    meta = await appts.booker.slots.get(slots[1].id)
    # people[1] passed the gate; Redis is flushed before their transaction commits.
    from app.appointments.gate import Admission

    assert (
        await appts.gate.take(meta.group_key, meta.id, str(people[1].citizen_id))
        is Admission.ADMITTED
    )
    await redis.flushdb()
    booking = await appts.booker._after_gate(people[1].principal, meta, str(people[1].citizen_id))
    # people[2] passes the gate before the flush, then fails in the database (limit).
    meta2 = await appts.booker.slots.get(slots[2].id)
    await appts.booker.book(people[2].principal, slots[2].id)
    await appts.booker.cancel(
        people[2].principal, (await Booking.get(citizen_id=people[2].citizen_id)).id
    )
    assert booking.status == states.BOOKED
    await no_drift(appts)
    report = await gate_sync.drift_report(appts.gate)
    assert report.not_loaded == [] and report.drifted == []
    # people[2]'s seat waits for its re-release moment, held in the gate as well.
    assert (await appts.gate.view(meta2.group_key)).left == {
        slots[0].id: 0,
        slots[1].id: 0,
        slots[2].id: 0,
    }
    # The operator's rebuild leaves the same picture.
    assert await appts.rebuild_gate() == 1
    await no_drift(appts)
    await reach_rerelease(slots[2].id)
    assert (await appts.gate.view(meta2.group_key)).left == {
        slots[0].id: 0,
        slots[1].id: 0,
        slots[2].id: 1,
    }
    await no_drift(appts)
