"""A seat a dead process left at the gate goes back; one still on its way to the database
does not; and the worker looks only after a server process died."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from app.appointments import gate_heal, gate_sync
from app.appointments.models import Booking
from app.appointments.service import Appointments
from app.appointments.slots import SlotMeta
from infra import heartbeats
from tests.appointments.helpers import agency, in_days, morning, person, publish


async def _published(appts: Appointments, capacity: int = 1) -> SlotMeta:
    owner, _ = await agency(appts.payable.vault)
    _, slots = await publish(
        appts.gate, owner, [morning("NK", "D1", in_days(3), count=1, capacity=capacity)]
    )
    meta = await appts.booker.slots.get(slots[0].id)
    await gate_sync.load(appts.gate, meta.group_key)
    return meta


async def test_a_seat_taken_and_never_committed_is_given_back(
    appts: Appointments, sessions
) -> None:
    meta = await _published(appts)
    dead, alive = await person(sessions), await person(sessions)
    # What a process killed between the gate and the commit leaves behind.
    await appts.gate.take(meta.group_key, meta.id, str(dead.citizen_id))
    assert (await gate_sync.drift_report(appts.gate)).drifted

    report = await gate_heal.heal(appts.gate, stale_after=0.05)
    assert report.given_back == [
        {"group": meta.group_key, "holder": str(dead.citizen_id), "slot_id": meta.id}
    ]
    assert not (await gate_sync.drift_report(appts.gate)).drifted
    # The place is bookable again, by the one who was told ALREADY_BOOKED or anyone else.
    booked = await appts.booker.book(alive.principal, meta.id)
    assert booked.slot_id == meta.id  # type: ignore[attr-defined]


async def test_a_seat_whose_commit_lands_between_the_two_looks_is_left_alone(
    appts: Appointments, sessions
) -> None:
    meta = await _published(appts)
    slow = await person(sessions)
    await appts.gate.take(meta.group_key, meta.id, str(slow.citizen_id))

    async def commit_late() -> None:
        await asyncio.sleep(0.05)
        await appts.booker._commit(slow.principal, meta)

    report, _ = await asyncio.gather(
        gate_heal.heal(appts.gate, stale_after=0.3), commit_late()
    )
    assert report.given_back == [] and report.confirmed == []
    assert await Booking.filter(slot_id=meta.id, active_slot_id=meta.id).count() == 1
    assert not (await gate_sync.drift_report(appts.gate)).drifted


async def test_only_a_process_that_died_without_goodbye_is_reported(
    redis: aioredis.Redis,
) -> None:
    await redis.delete(heartbeats.REGISTRY)
    stays, leaves, dies = (heartbeats.Heartbeat(redis) for _ in range(3))
    for process in (stays, leaves, dies):
        await process.beat()
    await leaves.leave()
    # Killed: its live key lapses, its name stays registered.
    await redis.delete(f"yiwang:process:{dies.name}")
    assert await heartbeats.departed(redis) == [dies.name]
    assert await heartbeats.departed(redis) == []  # reported once
    assert await redis.smembers(heartbeats.REGISTRY) == {stays.name.encode()}
