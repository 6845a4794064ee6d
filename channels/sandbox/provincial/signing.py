"""The province's request signature, as the sandbox checks and produces it.

Written independently of the adapter's signer (``channels/app/signing.py``) on purpose:
both follow docs/channels/app.md, so a mistake in one shows up as a failed call instead
of being mirrored on both sides.

String to sign: ``METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA256_HEX(body)``, where PATH is the
request target (path plus ``?query`` when there is one). Notifications use PATH
``/notify`` because the province cannot know how a merchant's gateway rewrites paths.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

TIMESTAMP_WINDOW_SECONDS = 300
NOTIFY_PATH = "/notify"


class SignatureError(Exception):
    """A request failed authentication; ``code`` is the stable code from the spec."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    message = "\n".join((method.upper(), path, timestamp, nonce, digest)).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def notification_headers(client_id: str, secret: str, body: bytes) -> dict[str, str]:
    """Fresh headers for one delivery attempt of a notification."""
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    return {
        "X-Client-Id": client_id,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": signature(secret, "POST", NOTIFY_PATH, timestamp, nonce, body),
    }


@dataclass
class NonceBook:
    """Nonces seen inside the timestamp window; older ones can no longer be replayed anyway."""

    seen: dict[str, float] = field(default_factory=dict)

    def spend(self, client_id: str, nonce: str, now: float) -> bool:
        """Record a nonce; False when it was already used within the window."""
        horizon = now - 2 * TIMESTAMP_WINDOW_SECONDS
        if len(self.seen) > 10_000:
            self.seen = {k: t for k, t in self.seen.items() if t >= horizon}
        key = f"{client_id}:{nonce}"
        used_at = self.seen.get(key)
        if used_at is not None and used_at >= horizon:
            return False
        self.seen[key] = now
        return True


def authenticate(
    *,
    client_id: str,
    secret: str,
    nonces: NonceBook,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
) -> None:
    """Check one inbound call. The nonce is spent only after the signature holds, so a
    forger cannot burn a legitimate caller's nonces."""
    current = time.time() if now is None else now
    got_client = headers.get("x-client-id")
    timestamp = headers.get("x-timestamp")
    nonce = headers.get("x-nonce")
    sig = headers.get("x-signature")
    if not (got_client and timestamp and nonce and sig):
        raise SignatureError(
            "SIGNATURE_INVALID", "X-Client-Id, X-Timestamp, X-Nonce and X-Signature are required"
        )
    if got_client != client_id:
        raise SignatureError("CLIENT_UNKNOWN", "unknown X-Client-Id")
    if not timestamp.isdigit():
        raise SignatureError("TIMESTAMP_EXPIRED", "X-Timestamp must be unix seconds")
    if abs(current - int(timestamp)) > TIMESTAMP_WINDOW_SECONDS:
        raise SignatureError("TIMESTAMP_EXPIRED", "X-Timestamp is outside the ±300 s window")
    expected = signature(secret, method, path, timestamp, nonce, body)
    if not hmac.compare_digest(expected, sig.lower()):
        raise SignatureError("SIGNATURE_INVALID", "X-Signature does not match")
    if not nonces.spend(client_id, nonce, current):
        raise SignatureError("NONCE_REPLAYED", "X-Nonce was already used")
