"""Shared pieces of the WeChat channel tests: a sandbox process, adapter settings pointing
at it, people, and a local HTTP receiver standing in for our notify URLs."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import redis

from channels.base import Acknowledgement
from channels.wechat import WeChatSettings
from tests.sandbox_process import RunningSandbox, running_sandbox

REDIS_URL = "redis://127.0.0.1:6379/2"


@contextmanager
def wechat_sandbox(workdir: Path) -> Iterator[RunningSandbox]:
    """A sandbox process; the shared-token keys it caused in Redis db 2 are removed after."""
    with running_sandbox(workdir, time_scale=0.001) as sandbox:
        try:
            yield sandbox
        finally:
            client = redis.Redis.from_url(REDIS_URL)
            appid = sandbox.credentials.wechat_appid
            keys = list(client.scan_iter(f"yiwang:wechat:{appid}*"))
            if keys:
                client.delete(*keys)
            client.close()


def settings_for(sandbox: RunningSandbox, **overrides: object) -> WeChatSettings:
    creds = sandbox.credentials
    values: dict[str, object] = {
        "appid": creds.wechat_appid,
        "secret": creds.wechat_secret,
        "mch_id": creds.wechat_mch_id,
        "api_key": creds.wechat_api_key,
        "api_base_url": sandbox.base_url + "/",
        "redis_url": REDIS_URL,
        "timeout_seconds": 5.0,
    }
    values.update(overrides)
    return WeChatSettings(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    openid: str
    alipay_user_id: str


def create_person(sandbox: RunningSandbox, name: str = "张三", id_number: str = "") -> Person:
    id_number = id_number or "33010619900307123X"
    answer = httpx.post(
        sandbox.base_url + "/sandbox/users", json={"name": name, "id_number": id_number}
    )
    answer.raise_for_status()
    body = answer.json()
    return Person(name, id_number, body["wechat"]["openid"], body["alipay"]["user_id"])


def login_code(sandbox: RunningSandbox, channel: str, user: str) -> str:
    answer = httpx.post(f"{sandbox.base_url}/sandbox/{channel}/login-codes", json={"user": user})
    answer.raise_for_status()
    return str(answer.json()["code"])


def sandbox_get(sandbox: RunningSandbox, path: str, **params: str) -> dict:
    answer = httpx.get(sandbox.base_url + path, params=params)
    answer.raise_for_status()
    return answer.json()


def sandbox_post(sandbox: RunningSandbox, path: str, body: dict) -> httpx.Response:
    return httpx.post(sandbox.base_url + path, json=body)


async def eventually(
    check: Callable[[], bool], *, timeout: float = 10.0, interval: float = 0.02
) -> None:
    """Poll until ``check()`` is true: notifications and refunds arrive asynchronously."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(interval)
    raise AssertionError("condition not met within timeout")


@dataclass
class Receiver:
    """Our notify URL: records every body and answers whatever ``respond`` decides."""

    respond: Callable[[bytes], Acknowledgement]
    bodies: list[bytes] = field(default_factory=list)
    url: str = ""

    def received(self) -> list[bytes]:
        return list(self.bodies)


@contextmanager
def notify_receiver(respond: Callable[[bytes], Acknowledgement]) -> Iterator[Receiver]:
    receiver = Receiver(respond)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                receiver.bodies.append(body)
            ack = receiver.respond(body)
            payload = ack.body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", ack.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/notify/wechat"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
