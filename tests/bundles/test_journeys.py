"""The 新生儿出生一件事 journey against ``yiwang serve --demo`` (SQLite, embedded Redis, the
sandbox and the worker in one command, started in a fresh directory) and against the
PostgreSQL live server with ``--workers 2``. Run with ``-s`` to see the timeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.bundles.demo import seed as seed_bundles
from app.catalog.demo import seed_reference
from tests.bundles.journey import birth_journey
from tests.journeys import face_verify, sign_in, verified_resident
from tests.sandbox_process import free_port, wait_until_up


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    home = tmp_path_factory.mktemp("bundle-demo")
    api_port, sandbox_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "YIWANG_VAR_DIR", "YIWANG_SANDBOX_PORT")
    }
    log = (home / "demo.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--demo", "--port", str(api_port),
         "--sandbox-port", str(sandbox_port)],
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT,
        # Its own process group: Sanic kills the group of a worker that never reported
        # ready (30 s, on a loaded machine), which must not take this test process along.
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 400
        while b"Worker ready" not in (home / "demo.log").read_bytes():
            printed = (home / "demo.log").read_text(errors="replace")
            assert process.poll() is None, printed[-4000:]
            assert time.monotonic() < deadline, "the demo did not start within 400 s"
            time.sleep(0.2)
        api = f"http://127.0.0.1:{api_port}"
        assert httpx.get(api + "/readyz", timeout=10).status_code == 200
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        wait_until_up(sandbox + "/sandbox/health", timeout=30)
        yield api, sandbox, home / "var"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        printed = (home / "demo.log").read_text(errors="replace")
        assert "Traceback" not in printed, printed[-4000:]


async def test_the_birth_bundle_on_the_demo(demo: tuple[str, str, Path]) -> None:
    api_url, sandbox_url, var = demo
    agencies = json.loads((var / "demo-bundle-agencies.json").read_text())
    async with (
        httpx.AsyncClient(base_url=api_url, timeout=20) as api,
        httpx.AsyncClient(base_url=sandbox_url, timeout=20) as sandbox,
    ):
        wechat = await sign_in(api, sandbox, "wechat", "o-demo-wangfang")
        verified = await face_verify(api, sandbox, wechat["token"], "o-demo-wangfang")
        assert verified.status_code == 200, verified.text
        app = await sign_in(api, sandbox, "app", "zlb-demo-wangfang")
        assert app["citizen"]["id"] == wechat["citizen"]["id"]
        done = await birth_journey(api, wechat["token"], app["token"], agencies)
    assert done["channel"] == "wechat" and done["rating"]["channel"] == "app"


@pytest.fixture(scope="module")
def pg_server(env: dict[str, str], database: None, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """``yiwang serve --workers 2`` on the session's PostgreSQL and Redis, in its own process
    group (Sanic kills the group of a worker that is not ready within 30 s, which a loaded
    machine can cause: then it is started again, up to six times)."""
    home = tmp_path_factory.mktemp("bundle-pg")
    for attempt in range(6):
        api_port, sandbox_port = free_port(), free_port()
        server_env = {**os.environ, **env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}",
                      "YIWANG_SANDBOX_PORT": str(sandbox_port), "YIWANG_LOG_FORMAT": "json"}
        log_path = home / f"serve-{attempt}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--workers", "2", "--port", str(api_port),
             "--sandbox-port", str(sandbox_port)],
            env=server_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        api = f"http://127.0.0.1:{api_port}"
        deadline = time.monotonic() + 300
        up = False
        while process.poll() is None and time.monotonic() < deadline:
            try:
                up = httpx.get(api + "/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                up = False
            if up:
                break
            time.sleep(0.5)
        if up:
            break
        process.terminate()
        process.wait(timeout=30)
        log.close()
    else:
        raise AssertionError(log_path.read_text(errors="replace")[-4000:])
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    try:
        wait_until_up(sandbox + "/sandbox/health", timeout=60)
        yield api, sandbox
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


async def test_the_birth_bundle_on_postgresql_with_two_workers(
    clean: None, pg_server: tuple[str, str], settings, tmp_path: Path
) -> None:
    async with (
        httpx.AsyncClient(base_url=pg_server[0], timeout=20) as api,
        httpx.AsyncClient(base_url=pg_server[1], timeout=20) as sandbox,
    ):
        await _pg_journey(api, sandbox, settings, tmp_path)


async def _pg_journey(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, settings, tmp_path: Path
) -> None:
    await seed_reference()
    agencies = await seed_bundles(settings.vault(), tmp_path)
    who, wechat_token = await verified_resident(
        api, sandbox, "wechat", id_number="330382199508150025", name="王芳"
    )
    app = await sign_in(api, sandbox, "app", who["app"]["user_id"])
    done = await birth_journey(api, wechat_token, app["token"], agencies)
    assert done["status"] == "completed"
