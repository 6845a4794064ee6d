"""Steps a resident or an agency takes, shared by the journey tests (live server + sandbox)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from app.identity.id_numbers import with_check_digit
from infra import clock

ID_NUMBER = with_check_digit("33010619900307123")


async def new_person(
    sandbox: httpx.AsyncClient, id_number: str = ID_NUMBER, name: str = "张三"
) -> dict:
    r = await sandbox.post(
        "/sandbox/users", json={"name": name, "id_number": id_number, "phone": "13800138000"}
    )
    assert r.status_code == 201, r.text
    return r.json()


async def login_code(sandbox: httpx.AsyncClient, channel: str, user: str) -> str:
    r = await sandbox.post(f"/sandbox/{channel}/login-codes", json={"user": user})
    assert r.status_code == 201, r.text
    return r.json()["code"]


async def sign_in(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, channel: str, user: str
) -> dict:
    code = await login_code(sandbox, channel, user)
    r = await api.post("/api/v1/sessions", json={"channel": channel, "code": code})
    assert r.status_code == 201, r.text
    return r.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def face_verify(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, token: str, openid: str
) -> httpx.Response:
    r = await sandbox.post("/sandbox/wechat/face-verifications", json={"openid": openid})
    assert r.status_code == 201, r.text
    return await api.post(
        "/api/v1/me/verification",
        json={"channel": "wechat", "verify_result": r.json()["verify_result"]},
        headers=bearer(token),
    )


async def verified_resident(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, channel: str, **person: str
) -> tuple[dict, str]:
    """A sandbox person signed in on ``channel`` (WeChat ones pass face verification)."""
    who = await new_person(sandbox, **person)
    user = {"wechat": who["wechat"]["openid"], "alipay": who["alipay"]["user_id"],
            "app": who["app"]["user_id"]}[channel]
    session = await sign_in(api, sandbox, channel, user)
    if channel == "wechat":
        r = await face_verify(api, sandbox, session["token"], user)
        assert r.status_code == 200, r.text
    return who, session["token"]


def create_agency_via_cli(
    env: dict[str, str], kind: str = "fees", name: str = "浙江省教育考试院",
    webhook_url: str | None = None, region: str = "330000",
) -> dict[str, str]:
    command = [sys.executable, "-m", "app", "agency", "create", "--name", name, "--kind", kind,
               "--region", region]
    if webhook_url:
        command += ["--webhook-url", webhook_url]
    out = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def signed_headers(
    key: str, secret: str, method: str, path: str, body: bytes, ts: int | None = None
) -> dict[str, str]:
    timestamp = str(ts if ts is not None else int(clock.now().timestamp()))
    message = f"{method}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"
    sig = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return {"X-Agency-Key": key, "X-Timestamp": timestamp, "X-Signature": sig}


async def agency_post(
    api: httpx.AsyncClient, creds: dict[str, str], path: str, payload: Any, *, ts: int | None = None
) -> httpx.Response:
    """A signed agency POST. A retry of the same body must carry a new timestamp (``ts``):
    the server refuses an identical signed request as a replay."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = signed_headers(creds["key"], creds["secret"], "POST", path, body, ts)
    headers["Content-Type"] = "application/json"
    return await api.post(path, content=body, headers=headers)


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 15.0, every: float = 0.1
) -> Any:
    """Poll ``check`` until it returns something truthy (background work finishing)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(every)
