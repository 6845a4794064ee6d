"""Shared pieces of the Alipay tests: settings for the sandbox, people, a notify receiver.

The receiver is a real HTTP server on a free port, so the sandbox's notifier delivers to it
exactly as it would to Yiwang's ``/notify/alipay``.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from channels.alipay import AlipayChannel, AlipaySettings, build_alipay_channel
from channels.base import PayRequest
from infra import clock
from tests.sandbox_process import RunningSandbox

SHANGHAI = ZoneInfo("Asia/Shanghai")


def settings_for(sandbox: RunningSandbox, **overrides: Any) -> AlipaySettings:
    creds = sandbox.credentials
    settings = AlipaySettings(
        app_id=creds.alipay_app_id,
        seller_id=creds.alipay_seller_id,
        app_private_key=creds.alipay_app_private_key,
        alipay_public_key=creds.alipay_public_key,
        gateway_url=sandbox.base_url + "/gateway.do",
        timeout_seconds=5.0,
    )
    return replace(settings, **overrides)


def channel_for(sandbox: RunningSandbox, **overrides: Any) -> AlipayChannel:
    return build_alipay_channel(settings_for(sandbox, **overrides))


def rsa_pair() -> tuple[str, str]:
    """A key pair nobody registered: for forgeries."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def sign_notification(form: dict[str, str], private_pem: str) -> dict[str, str]:
    """Sign a notification form the way Alipay does (everything but sign and sign_type)."""
    fields = {k: v for k, v in form.items() if k not in ("sign", "sign_type")}
    text = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {**fields, "sign_type": "RSA2", "sign": base64.b64encode(signature).decode()}


def new_person(sandbox: RunningSandbox, *, phone: str | None = "13800138000") -> dict[str, str]:
    """Create a resident; answers their Alipay user_id, WeChat openid, name and ID number."""
    name = "张" + secrets.choice("伟芳娜敏静丽强磊军洋")
    id_number = "33010619900307" + f"{secrets.randbelow(1000):03d}" + "x"
    body: dict[str, Any] = {"name": name, "id_number": id_number}
    if phone:
        body["phone"] = phone
    answer = httpx.post(sandbox.base_url + "/sandbox/users", json=body, timeout=5).json()
    return {
        "user_id": answer["alipay"]["user_id"],
        "openid": answer["wechat"]["openid"],
        "name": name,
        "id_number": id_number.upper(),
    }


def login_code(sandbox: RunningSandbox, channel: str, user: str) -> str:
    response = httpx.post(
        f"{sandbox.base_url}/sandbox/{channel}/login-codes", json={"user": user}, timeout=5
    )
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def pay_request(
    person: dict[str, str],
    amount_fen: int,
    *,
    notify_url: str = "http://127.0.0.1:9/none",
    mode: str = "jsapi",
    expires_in: timedelta = timedelta(minutes=30),
) -> PayRequest:
    return PayRequest(
        out_trade_no="YW" + secrets.token_hex(10),
        amount_fen=amount_fen,
        description="交通违法罚款 浙A12345",
        payer_subject=person["user_id"],
        notify_url=notify_url,
        expires_at=clock.now() + expires_in,
        mode=mode,
    )


def sandbox_pay(sandbox: RunningSandbox, **body: Any) -> httpx.Response:
    return httpx.post(sandbox.base_url + "/sandbox/alipay/payments", json=body, timeout=5)


def notifications(sandbox: RunningSandbox, out_trade_no: str) -> list[dict[str, Any]]:
    response = httpx.get(
        sandbox.base_url + "/sandbox/alipay/notifications",
        params={"out_trade_no": out_trade_no},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    return list(response.json()["deliveries"])


def wait_until(predicate: Callable[[], bool], *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def shanghai_today() -> Any:
    return clock.shanghai_now().date()


@dataclass
class Received:
    body: bytes
    content_type: str
    answered: str


@dataclass
class NotifyReceiver:
    """Answers each notification with ``answer(body, content_type)`` and records it."""

    answer: Callable[[bytes, str], str]
    url: str = ""
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def notify_receiver(answer: Callable[[bytes, str], str]) -> Iterator[NotifyReceiver]:
    receiver = NotifyReceiver(answer)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            content_type = self.headers.get("Content-Type", "")
            with receiver.lock:
                text = receiver.answer(body, content_type)
                receiver.received.append(Received(body, content_type, text))
            payload = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/notify/alipay"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
