"""The release rush: 5,000 people, 20,000 attempts, 300 places, two server workers.

Ends with exactly 300 bookings, nobody twice in a department session, ``remaining`` never
below zero, and the Redis gate agreeing with PostgreSQL; then the same again with the
server's Redis db flushed in the middle of the rush.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections import Counter
from datetime import datetime, timedelta

import httpx
import pytest
import redis.asyncio as aioredis
from tortoise import connections

from app.appointments import gate_sync
from app.appointments import publishing as pub
from app.appointments.gate import AdmissionGate
from app.appointments.models import Booking, Slot
from app.identity.sessions import SessionStore
from infra.clock import SHANGHAI
from infra.pii import PiiVault
from tests.appointments.helpers import agency, in_days
from tests.appointments.live import RawConnection, fresh_ids, verified_people

pytestmark = pytest.mark.usefixtures("clean")

PEOPLE = int(os.environ.get("RUSH_PEOPLE", "5000"))
ATTEMPTS = int(os.environ.get("RUSH_ATTEMPTS", "20000"))
DEPARTMENTS = 5
DOCTORS = 2  # per department
SLOTS_PER_DOCTOR = 30  # 5 × 2 × 30 = 300 places of capacity 1
CONCURRENCY = 32


async def publish_rush(owner, ref: str) -> list[int]:  # type: ignore[no-untyped-def]
    spec = pub.InstitutionSpec(
        ref=ref,
        name="杭州市第一人民医院",
        kind="clinic",
        region_code="330100",
        address="",
        departments=tuple(
            pub.DepartmentSpec(
                f"K{d}",
                f"科室{d}",
                tuple(
                    pub.ResourceSpec(f"D{d}{r}", f"医生{d}{r}", "主任医师") for r in range(DOCTORS)
                ),
            )
            for d in range(DEPARTMENTS)
        ),
    )
    institution = await pub.publish_institution(owner, spec)
    day = in_days(2)
    first = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=8)
    schedules = [
        pub.ScheduleSpec(
            f"K{d}",
            f"D{d}{r}",
            day,
            "morning",
            tuple(
                pub.SlotSpec(
                    first + timedelta(minutes=10 * i), first + timedelta(minutes=10 * (i + 1)), 1
                )
                for i in range(SLOTS_PER_DOCTOR)
            ),
        )
        for d in range(DEPARTMENTS)
        for r in range(DOCTORS)
    ]
    published = await pub.publish_schedules(None, institution, schedules)
    return list(published.slot_ids)


async def rush(
    api: str,
    tokens: list[str],
    slot_ids: list[int],
    seed: int,
    on_success=None,  # type: ignore[no-untyped-def]
) -> tuple[Counter, list[int], float]:
    rng = random.Random(seed)
    attempts = [(tokens[i % len(tokens)], rng.choice(slot_ids)) for i in range(ATTEMPTS)]
    rng.shuffle(attempts)
    codes: Counter = Counter()
    booked: list[int] = []
    queue = iter(attempts)
    url = httpx.URL(api)

    async def worker() -> None:
        connection = RawConnection(url.host, url.port or 80)
        try:
            for token, slot_id in queue:
                body = json.dumps({"slot_id": slot_id}).encode()
                status, answer = await connection.post_json("/api/v1/appointments", body, token)
                data = json.loads(answer)
                if status == 201:
                    codes["CREATED"] += 1
                    booked.append(data["id"])
                    if on_success is not None:
                        await on_success(len(booked))
                else:
                    codes[data.get("code", str(status))] += 1
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return codes, booked, time.perf_counter() - started


async def assert_truth(slot_ids: list[int], booked: list[int], redis: aioredis.Redis) -> None:
    bookings = await Booking.filter(slot_id__in=slot_ids)
    assert len(bookings) == len(slot_ids) == 300
    assert sorted(b.id for b in bookings) == sorted(booked)
    assert Counter(b.slot_id for b in bookings).most_common(1)[0][1] == 1  # type: ignore[attr-defined]
    per_person_session = Counter((b.citizen_id, b.department_id, b.session) for b in bookings)
    assert per_person_session.most_common(1)[0][1] == 1
    assert {s.remaining for s in await Slot.filter(id__in=slot_ids)} == {0}
    negative = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM appt_slot WHERE remaining < 0"
    )
    assert negative[0]["n"] == 0
    gate = AdmissionGate(redis)
    groups = {s.group_key for s in await Slot.filter(id__in=slot_ids)}
    drifts = [await gate_sync.compare(gate, g) for g in sorted(groups)]
    assert all(d.loaded for d in drifts)
    assert [d.as_dict() for d in drifts if d.drifted] == []


async def test_the_rush_books_exactly_the_places_there_are_even_across_a_redis_flush(
    live_server, redis: aioredis.Redis
) -> None:
    await fresh_ids()
    vault = PiiVault.international(os.urandom(32), os.urandom(32))
    owner, _ = await agency(vault)
    sessions = SessionStore(redis, timedelta(days=1))
    started = time.perf_counter()
    tokens = await verified_people(sessions, PEOPLE)
    print(f"\n{PEOPLE} people in {time.perf_counter() - started:.1f}s")

    # 1. The plain rush.
    slots_a = await publish_rush(owner, "RUSH-A")
    codes, booked, seconds = await rush(live_server.api, tokens, slots_a, seed=1)
    print(
        f"\nrush: {ATTEMPTS} attempts in {seconds:.1f}s ({ATTEMPTS / seconds:.0f}/s): {dict(codes)}"
    )
    assert codes["CREATED"] == 300
    assert set(codes) <= {"CREATED", "SLOT_FULL", "ALREADY_BOOKED", "LIMIT_REACHED"}
    await assert_truth(slots_a, booked, redis)

    # 2. Again, with the server's Redis db flushed when half the places are gone.
    slots_b = await publish_rush(owner, "RUSH-B")
    flushed = asyncio.Event()

    async def flush_halfway(successes: int) -> None:
        if successes >= 150 and not flushed.is_set():
            flushed.set()
            await redis.flushdb()

    codes, booked, seconds = await rush(
        live_server.api, tokens, slots_b, seed=2, on_success=flush_halfway
    )
    print(f"rush with flush: {seconds:.1f}s: {dict(codes)}")
    assert flushed.is_set()
    assert codes["CREATED"] == 300
    assert set(codes) <= {"CREATED", "SLOT_FULL", "ALREADY_BOOKED", "LIMIT_REACHED"}
    await assert_truth(slots_b, booked, redis)
