"""What a scenario gets to prepare its data: the live server's URLs, its env, an HTTP client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.services import fetchval


@dataclass(frozen=True)
class BenchContext:
    """One per run. ``api`` and ``sandbox`` are base URLs (no trailing slash); ``env`` is the
    server's environment (DATABASE_URL, REDIS_URL, keys), e.g. to run ``python -m app
    agency create`` for a scenario that needs a signed agency; ``workdir`` is a temporary
    directory for request bodies and data files the Lua scripts read."""

    api: str
    sandbox: str
    env: Mapping[str, str]
    client: httpx.AsyncClient
    workdir: Path

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    async def fetchval(self, query: str, *args: object) -> object:
        """One value from the bench database (after-run invariants)."""
        return await fetchval(self.database_url, query, *args)
