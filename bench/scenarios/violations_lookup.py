"""GET /api/v1/violations for a bound vehicle: session (Redis), two rate-limit windows
(Redis), one pipelined read of the plate's and the citizen's cache entries (Redis), late
fees computed for today, JSON view. No database read once the caches are warm.

Setup goes through the real API: a traffic agency (the CLI) pushes three violations with
the signed agency API, a resident signs in and binds the vehicle with its VIN tail. A
lookup writes nothing: after the load the resident still has exactly one proof row, and
the answer still lists the three violations with the overdue one's late fee.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from urllib.parse import quote

from app.agency.signing import signature
from bench.context import BenchContext
from bench.residents import SetupFailed, sign_in_resident
from bench.scenarios import Request, Scenario
from bench.wrk import WrkResult
from infra import clock

PLATE_NO = "浙A12345"
VIN = "LSVAU2A37N2123456"
AGENCY_PATH = "/api/v1/agency/violations"


def _at(days_ago: int) -> str:
    day = clock.shanghai_date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, 10, tzinfo=clock.SHANGHAI).isoformat()


def _records() -> list[dict]:
    base = {
        "plate_type": "02",
        "plate_no": PLATE_NO,
        "vin": VIN,
        "place": "杭州市文三路",
        "behavior": "机动车违反禁令标志指示",
        "points": 3,
        "fine_fen": 20_000,
    }
    return [
        {
            **base,
            "violation_id": "BENCH-1",
            "occurred_at": _at(25),
            "decision_no": "BENCHD1",
            "decided_at": _at(20),
        },
        {**base, "violation_id": "BENCH-2", "occurred_at": _at(3)},
        {
            **base,
            "violation_id": "BENCH-3",
            "occurred_at": _at(9),
            "decision_no": "BENCHD3",
            "decided_at": _at(2),
        },
    ]


async def setup(ctx: BenchContext) -> Request:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "agency",
            "create",
            "--name",
            "杭州市公安局交通警察支队",
            "--kind",
            "traffic",
            "--region",
            "330100",
        ],
        env={**os.environ, **ctx.env},
        capture_output=True,
        text=True,
        check=True,
    )
    creds = json.loads(out.stdout.strip().splitlines()[-1])
    body = json.dumps({"records": _records()}, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    pushed = await ctx.client.post(
        ctx.api + AGENCY_PATH,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Agency-Key": creds["key"],
            "X-Timestamp": timestamp,
            "X-Signature": signature(creds["secret"], "POST", AGENCY_PATH, timestamp, body),
        },
    )
    if pushed.status_code != 200 or pushed.json()["created"] != 3:
        raise SetupFailed(f"agency upsert: HTTP {pushed.status_code} {pushed.text[:300]}")
    resident = await sign_in_resident(ctx, index=7301)
    bound = await ctx.client.post(
        ctx.api + "/api/v1/me/vehicles",
        json={"plate_type": "02", "plate_no": PLATE_NO, "vin_tail": VIN[-6:]},
        headers=resident.authorization,
    )
    if bound.status_code != 201:
        raise SetupFailed(f"bind: HTTP {bound.status_code} {bound.text[:300]}")
    return Request(
        f"/api/v1/violations?plate_type=02&plate_no={quote(PLATE_NO)}",
        headers=resident.authorization,
    )


async def check(ctx: BenchContext, request: Request, result: WrkResult) -> list[str]:
    answer = await ctx.client.get(ctx.api + request.path, headers=dict(request.headers))
    if answer.status_code != 200:
        return [f"lookup after the load: HTTP {answer.status_code}"]
    views = {v["violation_id"]: v for v in answer.json()["violations"]}
    problems = []
    if set(views) != {"BENCH-1", "BENCH-2", "BENCH-3"}:
        problems.append(f"violations after the load: {sorted(views)}")
    elif views["BENCH-1"]["late_fee_fen"] != 3_000:
        problems.append(f"overdue late fee {views['BENCH-1']['late_fee_fen']}, expected 3000")
    proofs = await ctx.fetchval("SELECT count(*) FROM violation_vehicle_access")
    if proofs != 1:
        problems.append(f"{proofs} proof rows after a read-only load (expected 1)")
    return problems


SCENARIO = Scenario(
    "violations_lookup",
    "cached lookup of a bound vehicle's violations with today's late fees",
    setup,
    check=check,
)
