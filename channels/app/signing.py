"""The province's HMAC-SHA256 request signature (docs/channels/app.md, "Authentication").

One signer for both directions: we sign every call to the province, and we check the
province's notifications, which it signs the same way with the same client secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

TIMESTAMP_WINDOW_SECONDS = 300
# Notifications are signed with this PATH line, whatever path they are posted to.
NOTIFY_PATH = "/notify"


class SignatureMismatch(Exception):
    """Inbound headers do not prove the province sent this body."""


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    body_digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{body_digest}".encode()


def sign(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = string_to_sign(method, path, timestamp, nonce, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    client_id: str,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four authentication headers; ``timestamp`` and ``nonce`` are fresh by default."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16) if nonce is None else nonce
    return {
        "X-Client-Id": client_id,
        "X-Timestamp": ts,
        "X-Nonce": nonce,
        "X-Signature": sign(secret, method, path, ts, nonce, body),
    }


def verify(
    client_id: str,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float | None = None,
) -> None:
    """Raise SignatureMismatch unless the headers sign ``body`` with our secret, recently."""
    lowered = {k.lower(): v for k, v in headers.items()}
    got_client = lowered.get("x-client-id")
    timestamp = lowered.get("x-timestamp")
    nonce = lowered.get("x-nonce")
    signature = lowered.get("x-signature")
    if not (got_client and timestamp and nonce and signature):
        raise SignatureMismatch("authentication headers are missing")
    if got_client != client_id:
        raise SignatureMismatch("X-Client-Id is not ours")
    if not timestamp.isdigit():
        raise SignatureMismatch("X-Timestamp is not unix seconds")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > TIMESTAMP_WINDOW_SECONDS:
        raise SignatureMismatch("X-Timestamp is outside the ±300 s window")
    expected = sign(secret, method, path, timestamp, nonce, body)
    if not hmac.compare_digest(expected, signature.lower()):
        raise SignatureMismatch("X-Signature does not match")
