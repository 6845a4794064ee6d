"""GET /api/v1/catalog?channel=wechat&region=330106 with If-None-Match: the cached channel read.

What the mini-programs do on every open: revalidate their copy. Each request costs one Redis
GET (the shared catalog version) and a per-worker memo lookup, then a 304. Setup loads the
catalog seed (``yiwang catalog seed``, idempotent) and takes the current ETag.
"""

from __future__ import annotations

import asyncio
import os
import sys

from bench.context import BenchContext
from bench.scenarios import Request, Scenario
from bench.wrk import WrkResult

PATH = "/api/v1/catalog?channel=wechat&region=330106"


async def setup(ctx: BenchContext) -> Request:
    seed = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "catalog", "seed", env={**os.environ, **ctx.env}
    )
    if await seed.wait() != 0:
        raise RuntimeError("yiwang catalog seed failed")
    first = await ctx.client.get(ctx.api + PATH)
    first.raise_for_status()
    return Request(PATH, headers={"If-None-Match": first.headers["etag"]}, expect_status=304)


async def check(ctx: BenchContext, request: Request, result: WrkResult) -> list[str]:
    answer = await ctx.client.get(ctx.api + PATH, headers=dict(request.headers))
    if answer.status_code != 304:
        return [
            f"the catalog changed or lost its ETag under a read-only load: {answer.status_code}"
        ]
    full = await ctx.client.get(ctx.api + PATH)
    if full.status_code != 200 or full.headers.get("etag") != request.headers["If-None-Match"]:
        return ["a full read after the load answers a different ETag"]
    return []


SCENARIO = Scenario(
    "catalog", "cached channel catalog read, If-None-Match revalidation (304)", setup, check=check
)
