"""GET /healthz: liveness, the whole request path and nothing else (no database, no Redis).

/readyz is the probe that asks PostgreSQL and Redis; this is the floor of every request."""

from __future__ import annotations

from bench.context import BenchContext
from bench.scenarios import Request, Scenario


async def setup(ctx: BenchContext) -> Request:
    return Request("/healthz")


SCENARIO = Scenario(
    "healthz", "liveness: the request path alone, touching nothing", setup
)
