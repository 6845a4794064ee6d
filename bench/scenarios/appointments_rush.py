"""The 07:00 release rush: many residents booking 300 single places at once.

Setup publishes one clinic (5 departments × 2 doctors × 30 slots of capacity 1, two days
ahead) through the signed agency API and signs residents in through the sandbox. wrk then
books random (resident, slot) pairs: after the first seconds nearly every attempt is turned
away by the Redis gate (SLOT_FULL / ALREADY_BOOKED), which is what the rush looks like.

The check prints how many bookings the database holds and refuses any broken invariant:
more bookings than places, a slot below zero, a person twice in a department session, or
more accepted answers than bookings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.agency.signing import signature
from bench.context import BenchContext
from bench.residents import SetupFailed, sign_in_resident
from bench.scenarios import Request, Scenario
from bench.wrk import WrkResult

# Sign-in is rate-limited per client address (30/min), and residents are made through the
# API, so the rush has 20 people: at most 1 per department session each, 100 bookings.
RESIDENTS = 20
DEPARTMENTS, DOCTORS, SLOTS = 5, 2, 30
SHANGHAI = ZoneInfo("Asia/Shanghai")
SCRIPT = (
    __import__("pathlib").Path(__file__).resolve().parent.parent / "lua" / "appointments_rush.lua"
)


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


async def publish_clinic(
    ctx: BenchContext, ref: str, resident_base: int, **schedule_fields: object
) -> tuple[list[int], list]:
    """One clinic (5 departments × 2 doctors × 30 slots of capacity 1, two days ahead),
    published through the signed agency API, and RESIDENTS signed-in residents.
    ``schedule_fields`` go into every schedule (a lottery's release mode and times)."""
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
    day = datetime.now(SHANGHAI).date() + timedelta(days=2)
    first = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=8)
    published = await _signed(
        ctx,
        creds,
        f"/api/v1/agency/institutions/{institution['id']}/schedules",
        {
            "schedules": [
                {
                    "department_code": f"K{d}",
                    "resource_code": f"D{d}{r}",
                    "date": day.isoformat(),
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
    residents = [await sign_in_resident(ctx, index=resident_base + i) for i in range(RESIDENTS)]
    return published["slot_ids"], residents


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


async def setup(ctx: BenchContext) -> Request:
    slot_ids, residents = await publish_clinic(ctx, "BENCH-RUSH", 52000)
    return attempts(ctx, "appointments-rush", slot_ids, residents)


async def check(ctx: BenchContext, request: Request, result: WrkResult) -> list[str]:
    places = DEPARTMENTS * DOCTORS * SLOTS
    booked = await ctx.fetchval(
        "SELECT count(*) FROM appt_booking b JOIN appt_institution i ON i.id = b.institution_id "
        "WHERE i.ref = 'BENCH-RUSH'"
    )
    negative = await ctx.fetchval("SELECT count(*) FROM appt_slot WHERE remaining < 0")
    doubled = await ctx.fetchval(
        "SELECT count(*) FROM (SELECT citizen_id FROM appt_booking "
        "GROUP BY citizen_id, department_id, date, session HAVING count(*) > 1) t"
    )
    accepted = result.requests - result.non_2xx + 1  # + the probe's booking
    print(
        f"appointments_rush: {booked} bookings in the database for {places} places; "
        f"{accepted} accepted answers counted by wrk",
        flush=True,
    )
    problems = []
    if booked > min(places, RESIDENTS * DEPARTMENTS):
        problems.append(f"{booked} bookings: more than places or than the limits allow")
    if negative:
        problems.append(f"{negative} slots below zero")
    if doubled:
        problems.append(f"{doubled} people twice in one department session")
    if accepted > booked:
        problems.append(f"{accepted} accepted answers but {booked} bookings")
    return problems


SCENARIO = Scenario(
    "appointments_rush",
    "the release rush: booking 300 places, the gate turning the rest away",
    setup,
    check=check,
)
