"""Agency request signatures (see the public contract in DESIGN.md).

X-Signature = hex(HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nSHA256_HEX(body))), with
X-Timestamp within five minutes of our clock. A signature is accepted once: a replay of the
same signed request inside the window is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import redis.asyncio as aioredis

from app.agency.models import Agency
from app.errors import AgencyReplayed, AgencySignatureInvalid, AgencyTimestampSkewed, InvalidInput
from infra import clock
from infra.pii import PiiVault

MAX_SKEW = timedelta(minutes=5)
# market: the market-regulation registry of legal persons (市场监管).
KINDS = ("traffic", "fees", "health", "market")


def signature(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    message = "\n".join([method.upper(), path, timestamp, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignedRequest:
    key: str | None
    timestamp: str | None
    signature: str | None
    method: str
    path: str
    body: bytes


@dataclass
class AgencyGate:
    vault: PiiVault
    redis: aioredis.Redis

    async def authenticate(self, request: SignedRequest) -> Agency:
        if not request.key or not request.timestamp or not request.signature:
            raise AgencySignatureInvalid("X-Agency-Key, X-Timestamp and X-Signature are required.")
        try:
            sent_at = int(request.timestamp)
        except ValueError as exc:
            raise AgencySignatureInvalid("X-Timestamp must be Unix seconds.") from exc
        if abs(clock.now().timestamp() - sent_at) > MAX_SKEW.total_seconds():
            raise AgencyTimestampSkewed()
        agency = await Agency.get_or_none(key=request.key, active=True)
        if agency is None:
            raise AgencySignatureInvalid()
        secret = self.vault.decrypt("agency_secret", agency.secret_enc)
        expected = signature(secret, request.method, request.path, request.timestamp, request.body)
        if not hmac.compare_digest(expected, request.signature.lower()):
            raise AgencySignatureInvalid()
        first_time = await self.redis.set(
            f"agency-sig:{expected}", b"1", ex=int(MAX_SKEW.total_seconds() * 2), nx=True
        )
        if not first_time:
            raise AgencyReplayed()
        return agency


async def create_agency(
    vault: PiiVault,
    *,
    name: str,
    kind: str,
    webhook_url: str | None = None,
    region_code: str | None = None,
) -> tuple[Agency, str]:
    """Register an agency; returns it and its secret (shown once, stored encrypted)."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if not name.strip():
        raise InvalidInput("name is required", field="name")
    secret = secrets.token_urlsafe(32)
    agency = await Agency.create(
        key="ak_" + secrets.token_hex(16),
        secret_enc=vault.encrypt("agency_secret", secret),
        name=name.strip(),
        kind=kind,
        webhook_url=webhook_url,
        region_code=region_code,
        created_at=clock.now(),
    )
    return agency, secret
