"""The 07:00 release rush: 5,000 signed-in residents, 300 single places, one release instant.

Setup signs 5,000 residents in the real way (sandbox person, login code, ``POST
/api/v1/sessions``: real tokens, real sessions), then publishes one clinic (5 departments ×
2 doctors × 30 slots of capacity 1) whose release time is the next whole minute at least
``RELEASE_LEAD_SECONDS`` ahead: its slots are for the day ``horizon_days`` after the release
day, so they open exactly then. The probe, before the release, must be refused with 409
``NOT_YET_RELEASED``; the measured wrk run starts just before the release instant (no
warm-up: the release has to fall inside the measured window). wrk then books random
(resident, slot) pairs: the places go in the first moments, and nearly every later attempt
is turned away by the Redis gate (SLOT_FULL / ALREADY_BOOKED), which is what the rush looks
like.

The check refuses any broken invariant: a booking made before the release instant, more
bookings than places, a slot below zero or whose ``remaining`` disagrees with its bookings,
a person twice in a department session, more accepted answers than bookings, and any drift
between the Redis gate and PostgreSQL (``python -m app appointments drift``, the operators'
own report).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.agency.signing import signature
from bench.context import BenchContext
from bench.residents import Resident, SetupFailed, sign_in_resident
from bench.scenarios import Request, Scenario
from bench.wrk import WrkResult

# BENCH_RUSH_RESIDENTS lowers it for a quick look (a profile); the figures use 5,000.
RESIDENTS = int(os.environ.get("BENCH_RUSH_RESIDENTS", "5000"))
DEPARTMENTS, DOCTORS, SLOTS = 5, 2, 30
HORIZON_DAYS = 7
# Sessions must be older than the release-minute guard (APPOINTMENT_FRESH_SESSION_SECONDS,
# 10 s) at the release instant, and the publication needs a moment.
RELEASE_LEAD_SECONDS = 20
SIGN_IN_CONCURRENCY = 16
SHANGHAI = ZoneInfo("Asia/Shanghai")
SCRIPT = (
    __import__("pathlib").Path(__file__).resolve().parent.parent / "lua" / "appointments_rush.lua"
)
RUSH_REF = "BENCH-RUSH"
# How long the check waits for bookings still committing after wrk stopped.
SETTLE_SECONDS = 60


async def _signed(ctx: BenchContext, creds: dict, path: str, body: dict) -> dict:
    raw = json.dumps(body, ensure_ascii=False).encode()
    ts = str(int(time.time()))
    answer = await ctx.client.post(
        ctx.api + path,
        content=raw,
        headers={
            "Content-Type": "application/json",
            "X-Agency-Key": creds["key"],
            "X-Timestamp": ts,
            "X-Signature": signature(creds["secret"], "POST", path, ts, raw),
        },
    )
    if answer.status_code != 201:
        raise SetupFailed(f"{path}: HTTP {answer.status_code} {answer.text[:300]}")
    return answer.json()


async def sign_in_residents(ctx: BenchContext, base: int, count: int) -> list[Resident]:
    """``count`` residents signed in through the API, a few at a time (indexes from ``base``)."""
    gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

    async def one(index: int) -> Resident:
        async with gate:
            return await sign_in_resident(ctx, index=index)

    started = time.perf_counter()
    residents = list(await asyncio.gather(*(one(base + i) for i in range(count))))
    print(
        f"… {count} residents signed in in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    return residents


async def publish_clinic(
    ctx: BenchContext,
    ref: str,
    day: object,
    institution_fields: dict[str, object] | None = None,
    **schedule_fields: object,
) -> list[int]:
    """One clinic (5 departments × 2 doctors × 30 slots of capacity 1 on ``day``), published
    through the signed agency API; its slot ids. ``institution_fields`` go into the
    institution (release time, horizon); ``schedule_fields`` into every schedule (a
    lottery's release mode and times)."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "agency",
            "create",
            "--name",
            "杭州市第一人民医院",
            "--kind",
            "health",
            "--region",
            "330100",
        ],
        env={**os.environ, **ctx.env},
        capture_output=True,
        text=True,
        check=True,
    )
    creds = json.loads(out.stdout.strip().splitlines()[-1])
    institution = await _signed(
        ctx,
        creds,
        "/api/v1/agency/institutions",
        {
            "ref": ref,
            "name": "杭州市第一人民医院",
            "kind": "clinic",
            "region_code": "330100",
            **(institution_fields or {}),
            "departments": [
                {
                    "code": f"K{d}",
                    "name": f"科室{d}",
                    "resources": [
                        {"code": f"D{d}{r}", "name": f"医生{d}{r}"} for r in range(DOCTORS)
                    ],
                }
                for d in range(DEPARTMENTS)
            ],
        },
    )
    first = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=8)  # type: ignore[arg-type]
    published = await _signed(
        ctx,
        creds,
        f"/api/v1/agency/institutions/{institution['id']}/schedules",
        {
            "schedules": [
                {
                    "department_code": f"K{d}",
                    "resource_code": f"D{d}{r}",
                    "date": day.isoformat(),  # type: ignore[attr-defined]
                    "session": "morning",
                    "slots": [
                        {
                            "starts_at": (first + timedelta(minutes=10 * i)).isoformat(),
                            "ends_at": (first + timedelta(minutes=10 * (i + 1))).isoformat(),
                            "capacity": 1,
                        }
                        for i in range(SLOTS)
                    ],
                    **schedule_fields,
                }
                for d in range(DEPARTMENTS)
                for r in range(DOCTORS)
            ]
        },
    )
    return list(published["slot_ids"])


def attempts(ctx: BenchContext, name: str, slot_ids: list[int], residents: list) -> Request:
    """wrk POSTs /appointments for (resident, slot) pairs drawn from a file (lua script)."""
    rush_file = ctx.workdir / f"{name}.txt"
    rush_file.write_text(
        "\n".join(
            f"{r.token} {slot_ids[(i * 7 + j) % len(slot_ids)]}"
            for i, r in enumerate(residents)
            for j in range(8)
        )
    )
    return Request(
        "/api/v1/appointments",
        method="POST",
        headers={**residents[0].authorization, "Content-Type": "application/json"},
        body=json.dumps({"slot_id": slot_ids[0]}).encode(),
        script=SCRIPT,
        script_env={"BENCH_RUSH_FILE": str(rush_file)},
        expect_status=201,
        refusals_expected=True,
    )


def release_instant(now: datetime) -> datetime:
    """The first whole minute (Shanghai) at least RELEASE_LEAD_SECONDS after ``now``."""
    soon = now.astimezone(SHANGHAI) + timedelta(seconds=RELEASE_LEAD_SECONDS + 59)
    return soon.replace(second=0, microsecond=0)


async def setup(ctx: BenchContext) -> Request:
    residents = await sign_in_residents(ctx, 60000, RESIDENTS)
    release = release_instant(datetime.now(SHANGHAI))
    slot_ids = await publish_clinic(
        ctx,
        RUSH_REF,
        release.date() + timedelta(days=HORIZON_DAYS),
        {"release_time": release.strftime("%H:%M"), "horizon_days": HORIZON_DAYS},
    )
    print(f"… release at {release.isoformat()}", file=sys.stderr, flush=True)
    request = attempts(ctx, "appointments-rush", slot_ids, residents)
    # Probed before the release (refused), measured from just before it.
    return Request(
        request.path,
        method=request.method,
        headers=request.headers,
        body=request.body,
        script=request.script,
        script_env=request.script_env,
        expect_status=409,
        refusals_expected=True,
        starts_at=release.timestamp(),
    )


def gate_drift(ctx: BenchContext) -> subprocess.CompletedProcess[str]:
    """The operators' drift report (exit 1 when the Redis gate and PostgreSQL disagree)."""
    return subprocess.run(
        [sys.executable, "-m", "app", "appointments", "drift"],
        env={**os.environ, **ctx.env},
        capture_output=True,
        text=True,
    )


async def check(ctx: BenchContext, request: Request, result: WrkResult) -> list[str]:
    # Bookings wrk gave up on at the end of the run are still committing (their part after
    # the gate is shielded from the hang-up): until they finish, the gate holds seats that
    # PostgreSQL does not have yet. A real drift stays; that one goes within seconds.
    settle_deadline = time.monotonic() + SETTLE_SECONDS
    drift = gate_drift(ctx)
    while drift.returncode != 0 and time.monotonic() < settle_deadline:
        await asyncio.sleep(2)
        drift = gate_drift(ctx)
    places = DEPARTMENTS * DOCTORS * SLOTS
    scope = "JOIN appt_institution i ON i.id = b.institution_id WHERE i.ref = $1"
    booked = await ctx.fetchval(f"SELECT count(*) FROM appt_booking b {scope}", RUSH_REF)
    early = await ctx.fetchval(
        f"SELECT count(*) FROM appt_booking b {scope} AND b.created_at < to_timestamp($2)",
        RUSH_REF,
        request.starts_at,
    )
    negative = await ctx.fetchval("SELECT count(*) FROM appt_slot WHERE remaining < 0")
    miscounted = await ctx.fetchval(
        "SELECT count(*) FROM appt_slot s JOIN appt_institution i ON i.id = s.institution_id "
        "WHERE i.ref = $1 AND s.remaining <> s.capacity - (SELECT count(*) "
        "FROM appt_booking b WHERE b.active_slot_id = s.id)",
        RUSH_REF,
    )
    doubled = await ctx.fetchval(
        "SELECT count(*) FROM (SELECT citizen_id FROM appt_booking "
        "GROUP BY citizen_id, department_id, date, session HAVING count(*) > 1) t"
    )
    accepted = result.requests - result.non_2xx
    print(
        f"appointments_rush: {RESIDENTS} residents, {booked} bookings in the database for "
        f"{places} places; {accepted} accepted answers counted by wrk; gate drift: "
        f"{'none' if drift.returncode == 0 else drift.stdout.strip()[:300]}",
        flush=True,
    )
    problems = []
    if early:
        problems.append(f"{early} bookings made before the release instant")
    if booked > places:  # type: ignore[operator]
        problems.append(f"{booked} bookings for {places} places: oversold")
    if negative:
        problems.append(f"{negative} slots below zero")
    if miscounted:
        problems.append(f"{miscounted} slots whose remaining disagrees with their bookings")
    if doubled:
        problems.append(f"{doubled} people twice in one department session")
    if accepted > booked:  # type: ignore[operator]
        problems.append(f"{accepted} accepted answers but {booked} bookings")
    if drift.returncode != 0:
        problems.append(f"the Redis gate drifted from PostgreSQL: {drift.stdout[-300:]}")
    return problems


SCENARIO = Scenario(
    "appointments_rush",
    "the release rush: 5,000 residents booking 300 places from a set instant, the gate "
    "turning the rest away",
    setup,
    check=check,
)
