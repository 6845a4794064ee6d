"""Lottery release (摇号) in-process, so the clock can walk through entry, close and draw."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from app.appointments import lottery as lottery_module
from app.appointments import publishing as pub
from app.appointments import states
from app.appointments.lottery import FIRST_COME, LotteryWindow
from app.appointments.models import Booking, Lottery, LotteryEntry, Slot, Standing, WaitlistEntry
from app.appointments.service import Appointments
from app.appointments.views import list_slots
from app.errors import (
    BookingBanned,
    LotteryAlreadyEntered,
    LotteryClosed,
    LotteryNotOpen,
    NotVerified,
    ReleaseModeLocked,
    SessionTooNew,
)
from infra import clock
from tests.appointments.conftest import travel_to
from tests.appointments.helpers import agency, in_days, lottery, morning, person, publish

ROOT = Path(__file__).resolve().parents[2]


def verifier() -> ModuleType:
    """scripts/lottery-verify.py: the independent recomputation residents can run."""
    spec = importlib.util.spec_from_file_location(
        "lottery_verify", ROOT / "scripts/lottery-verify.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def lottery_slot(appts: Appointments, *, capacity: int, fee_fen: int = 0):  # type: ignore[no-untyped-def]
    owner, _ = await agency(appts.payable.vault)
    opens = clock.now() + timedelta(hours=1)
    institution, slots = await publish(
        appts.gate,
        owner,
        [lottery("NK", "D1", in_days(3), capacity=capacity, opens_at=opens, fee_fen=fee_fen)],
    )
    draw = await Lottery.get(slot_id=slots[0].id)
    meta = await appts.booker.slots.get(slots[0].id)
    return owner, institution, slots[0], draw, meta


async def enter_many(appts: Appointments, sessions, meta, n: int) -> list:  # type: ignore[no-untyped-def]
    people = [await person(sessions) for _ in range(n)]
    for p in people:
        await appts.lotteries.enter(p.principal, meta)
    return people


async def test_the_release_mode_is_shown_and_a_lottery_cannot_turn_first_come(
    appts: Appointments, sessions
) -> None:
    _, institution, slot, draw, _ = await lottery_slot(appts, capacity=3)
    listing = await list_slots(institution, slot.date, appts.rules)
    shown = listing["slots"][0]
    assert shown["release_mode"] == "lottery" and shown["bookable"] is False
    assert shown["lottery"]["draw_at"] == draw.draw_at.isoformat()

    plain = morning("NK", "D1", slot.date, count=1, capacity=3)
    with pytest.raises(ReleaseModeLocked):
        await pub.publish_schedules(appts.gate, institution, [plain])
    assert (await Slot.get(id=slot.id)).release_mode == "lottery"

    # A first-come slot someone already booked cannot become a lottery either.
    first_come = morning("NK", "D2", slot.date, count=1, capacity=2)
    published = await pub.publish_schedules(appts.gate, institution, [first_come])
    alice = await person(sessions)
    await appts.booker.book(alice.principal, published.slot_ids[0])
    opens = clock.now() + timedelta(hours=1)
    as_lottery = pub.ScheduleSpec(
        "NK",
        "D2",
        slot.date,
        "morning",
        first_come.slots,
        "lottery",
        LotteryWindow(opens, opens + timedelta(hours=1), opens + timedelta(hours=2)),
    )
    with pytest.raises(ReleaseModeLocked):
        await pub.publish_schedules(appts.gate, institution, [as_lottery])
    assert (await Slot.get(id=published.slot_ids[0])).release_mode == FIRST_COME
    assert not await Lottery.filter(slot_id=published.slot_ids[0]).exists()


async def test_entry_is_once_per_person_inside_the_window_and_refusals_change_nothing(
    appts: Appointments, sessions
) -> None:
    _, _, slot, draw, meta = await lottery_slot(appts, capacity=2)
    alice, bob = await person(sessions), await person(sessions)
    with pytest.raises(LotteryNotOpen):
        await appts.lotteries.enter(alice.principal, meta)
    before = await appts.lotteries.view(slot.id)
    assert before["seed_sha256"] is None and before["seed"] is None

    travel_to(draw.entry_opens_at)
    published = await appts.lotteries.view(slot.id)
    assert published["seed_sha256"] == hashlib.sha256(bytes.fromhex(draw.seed)).hexdigest()
    assert published["seed"] is None

    first = await appts.lotteries.enter(alice.principal, meta)
    second = await appts.lotteries.enter(bob.principal, meta)
    assert (first.entry_no, second.entry_no) == (1, 2)
    with pytest.raises(LotteryAlreadyEntered):
        await appts.lotteries.enter(alice.principal, meta)

    banned = await person(sessions)
    await Standing.create(
        citizen_id=banned.citizen_id,
        banned_until=clock.now() + timedelta(days=30),
        updated_at=clock.now(),
    )
    with pytest.raises(BookingBanned):
        await appts.lotteries.enter(banned.principal, meta)
    with pytest.raises(NotVerified):
        await appts.lotteries.enter((await person(sessions, verified=False)).principal, meta)

    travel_to(draw.entry_closes_at)
    with pytest.raises(LotteryClosed):
        await appts.lotteries.enter((await person(sessions)).principal, meta)
    assert (await Lottery.get(id=draw.id)).entries == 2
    assert await LotteryEntry.filter(lottery_id=draw.id).count() == 2
    assert await Booking.all().count() == 0


async def test_the_draw_books_capacity_with_holds_waitlists_the_rest_in_order_and_recomputes(
    appts: Appointments, sessions
) -> None:
    _, _, slot, draw, meta = await lottery_slot(appts, capacity=3, fee_fen=1500)
    travel_to(draw.entry_opens_at)
    people = await enter_many(appts, sessions, meta, 9)
    # Banned after entering: refused at the draw, the seat goes to the next in order.
    await Standing.filter(citizen_id=people[4].citizen_id).update(
        banned_until=clock.now() + timedelta(days=30)
    )
    travel_to(draw.entry_closes_at)
    assert await appts.run_draws() == 0  # not yet the draw time
    travel_to(draw.draw_at)
    assert await appts.run_draws() == 1
    assert await appts.run_draws() == 0  # never twice

    published = await appts.lotteries.view(slot.id)
    winners, problems = verifier().verify(published)
    assert problems == []
    booked = await Booking.filter(slot_id=slot.id)
    by_entry = {e.citizen_id: e.entry_no for e in await LotteryEntry.filter(lottery_id=draw.id)}
    assert sorted(by_entry[b.citizen_id] for b in booked) == sorted(winners)
    assert len(booked) == 3
    assert {b.status for b in booked} == {states.PENDING_PAYMENT}
    assert all(b.hold_expires_at is not None for b in booked)
    assert (await Slot.get(id=slot.id)).remaining == 0

    refused = {r["entry_no"] for r in published["result"] if r["outcome"] == "refused"}
    assert refused == {by_entry[people[4].citizen_id]}
    waiting = await WaitlistEntry.filter(slot_id=slot.id).order_by("id")
    expected = [r["entry_no"] for r in published["result"] if r["outcome"] == "waitlisted"]
    assert [by_entry[w.citizen_id] for w in waiting] == expected and len(expected) == 5
    assert await appts.lotteries.drawn(slot.id)


async def test_a_draw_that_crashes_midway_resumes_to_the_same_result(
    appts: Appointments, sessions, monkeypatch
) -> None:
    _, _, slot, draw, meta = await lottery_slot(appts, capacity=5)
    travel_to(draw.entry_opens_at)
    await enter_many(appts, sessions, meta, 12)
    travel_to(draw.draw_at)

    real_booking = lottery_module.new_booking
    calls = 0

    async def crash_on_the_fourth(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 4:
            raise RuntimeError("worker killed mid-draw")
        return await real_booking(*args, **kwargs)

    monkeypatch.setattr(lottery_module, "DRAW_BATCH", 2)
    monkeypatch.setattr(lottery_module, "new_booking", crash_on_the_fourth)
    with pytest.raises(RuntimeError):
        await appts.run_draws()
    halfway = await Lottery.get(id=draw.id)
    assert halfway.status == states.DRAWING and halfway.decided == 2 and halfway.won == 2
    assert await Booking.filter(slot_id=slot.id).count() == 2  # the failed batch rolled back

    monkeypatch.setattr(lottery_module, "new_booking", real_booking)
    assert await appts.run_draws() == 1
    published = await appts.lotteries.view(slot.id)
    winners, problems = verifier().verify(published)
    assert problems == [] and len(winners) == 5
    assert await Booking.filter(slot_id=slot.id).count() == 5
    assert await WaitlistEntry.filter(slot_id=slot.id).count() == 7
    assert await LotteryEntry.filter(lottery_id=draw.id, outcome__isnull=True).count() == 0


async def test_two_workers_drawing_at_once_draw_once(appts: Appointments, sessions) -> None:
    _, _, slot, draw, meta = await lottery_slot(appts, capacity=4)
    travel_to(draw.entry_opens_at)
    await enter_many(appts, sessions, meta, 10)
    travel_to(draw.draw_at)
    finished = await asyncio.gather(appts.lotteries.draw(draw.id), appts.lotteries.draw(draw.id))
    assert sorted(finished) == [0, 1]
    assert await Booking.filter(slot_id=slot.id).count() == 4
    assert await WaitlistEntry.filter(slot_id=slot.id).count() == 6
    assert (await Slot.get(id=slot.id)).remaining == 0


async def test_in_the_release_minute_a_brand_new_session_cannot_enter_or_book(
    appts: Appointments, sessions
) -> None:
    _, institution, slot, draw, meta = await lottery_slot(appts, capacity=2)
    alice = await person(sessions)
    travel_to(draw.entry_opens_at + timedelta(seconds=5))
    with pytest.raises(SessionTooNew) as refused:
        await appts.lotteries.enter(
            alice.principal, meta, session_started=clock.now() - timedelta(seconds=3)
        )
    assert refused.value.details["retry_after"] == 7
    assert (await Lottery.get(id=draw.id)).entries == 0
    entry = await appts.lotteries.enter(
        alice.principal, meta, session_started=clock.now() - timedelta(seconds=30)
    )
    assert entry.entry_no == 1

    # First come: the same guard at the release second, and none once the minute passed.
    plain = morning("EK", "D3", slot.date, count=1, capacity=2)
    slot_id = (await pub.publish_schedules(appts.gate, institution, [plain])).slot_ids[0]
    opens = (await appts.booker.slots.get(slot_id)).window.opens_at
    travel_to(opens)
    bob = await person(sessions)
    with pytest.raises(SessionTooNew):
        await appts.booker.book(bob.principal, slot_id, session_started=clock.now())
    assert (await Slot.get(id=slot_id)).remaining == 2
    travel_to(opens + timedelta(seconds=appts.rules.release_minute_seconds))
    booking = await appts.booker.book(bob.principal, slot_id, session_started=clock.now())
    assert booking.status == states.BOOKED
