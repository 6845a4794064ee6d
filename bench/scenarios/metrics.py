"""GET /metrics: merging every worker process's files into one Prometheus exposition.

A scraper asks every 15-60 s, so this is not a hot path; the figure says what one scrape
costs next to a bare request, and that it stays cheap as the files grow with the series
that earlier scenarios in the session created.
"""

from __future__ import annotations

from bench.context import BenchContext
from bench.scenarios import Request, Scenario


async def setup(ctx: BenchContext) -> Request:
    return Request("/metrics")


SCENARIO = Scenario("metrics", "one Prometheus scrape, merged over the worker processes", setup)
