"""GET /healthz: the whole request path plus one PostgreSQL round trip and one Redis PING."""

from __future__ import annotations

from bench.context import BenchContext
from bench.scenarios import Request, Scenario


async def setup(ctx: BenchContext) -> Request:
    return Request("/healthz")


SCENARIO = Scenario(
    "healthz", "liveness with a real database query and Redis ping per request", setup
)
