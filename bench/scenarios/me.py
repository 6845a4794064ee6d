"""GET /api/v1/me as a signed-in resident: token check (Redis-cached session) + citizen view.

A read must write nothing: after the load the resident still has exactly the one citizen
row and the one live session that setup created, and the token still answers that citizen.
The checks look at this resident only, so scenarios that add their own citizens to the
same session's database do not disturb them.
"""

from __future__ import annotations

import uuid

from bench.context import BenchContext
from bench.residents import sign_in_resident
from bench.scenarios import Request, Scenario
from bench.wrk import WrkResult


async def setup(ctx: BenchContext) -> Request:
    resident = await sign_in_resident(ctx)
    return Request("/api/v1/me", headers=resident.authorization)


async def check(ctx: BenchContext, request: Request, result: WrkResult) -> list[str]:
    answer = await ctx.client.get(ctx.api + request.path, headers=dict(request.headers))
    if answer.status_code != 200 or "id_number_masked" not in answer.json():
        return [f"GET /api/v1/me after the load: HTTP {answer.status_code}"]
    citizen_id = uuid.UUID(answer.json()["id"])
    problems = []
    citizens = await ctx.fetchval("SELECT count(*) FROM citizen WHERE id = $1", citizen_id)
    sessions = await ctx.fetchval(
        "SELECT count(*) FROM resident_session WHERE citizen_id = $1 AND revoked_at IS NULL",
        citizen_id,
    )
    if citizens != 1:
        problems.append(f"{citizens} citizen rows for the resident after a read-only load")
    if sessions != 1:
        problems.append(f"{sessions} live sessions for the resident after a read-only load")
    return problems


SCENARIO = Scenario(
    "me", "authenticated read of the signed-in citizen (masked)", setup, check=check
)
