"""The payments tests run against the v3 instance by default; a test parametrized with
``@on_both_wechat_apis`` runs again against the v2 instance (conftest's wechat_v2_stack),
which also runs Alipay in certificate mode.

``api``, ``services`` and ``stack_env`` follow ``wechat_api``, so one test body proves a
money path on both WeChat Pay APIs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.config import Settings
from tests.conftest import LiveServer

on_both_wechat_apis = pytest.mark.parametrize("wechat_api", ["v3", "v2"], indirect=True)


@pytest.fixture
def wechat_api(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "v3"))


@pytest.fixture
def stack_env(wechat_api: str, env: dict[str, str], request: pytest.FixtureRequest) -> dict:
    return request.getfixturevalue("wechat_v2_stack").env if wechat_api == "v2" else env


@pytest.fixture
async def api(
    wechat_api: str, live_server: LiveServer, request: pytest.FixtureRequest
) -> AsyncIterator[httpx.AsyncClient]:
    base = request.getfixturevalue("wechat_v2_stack").api if wechat_api == "v2" else live_server.api
    async with httpx.AsyncClient(base_url=base, timeout=20) as client:
        yield client


@pytest.fixture
async def services(
    wechat_api: str,
    settings: Settings,
    database: None,
    live_server: LiveServer,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Any]:
    """The services of the instance under test, built in the test process."""
    from app.runtime.services import build_services

    chosen = request.getfixturevalue("wechat_v2_stack").settings if wechat_api == "v2" else settings
    built = await build_services(chosen)
    yield built
    await built.jobs.pool.aclose()
    await built.redis.aclose()
