"""Agency request signatures (see the public contract in DESIGN.md).

X-Signature = hex(HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nSHA256_HEX(body))), with
X-Timestamp within five minutes of our clock.

Replay protection binds a nonce, so that honest repeats are not refused. A client that sends
``X-Nonce`` (16 to 64 of ``A-Za-z0-9_-``, fresh per request) signs
METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA256_HEX(body), and each nonce is accepted once per
agency. A client that sends none keeps the original signature: its state-changing requests
are accepted once per signature, as before, while its reads (GET, HEAD) are not held to
that, because two identical reads in one second are honest and a replayed read changes
nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
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


# Ten digits of Unix seconds last until the year 2286; anything longer is not a timestamp.
_TIMESTAMP = re.compile(r"^\d{1,10}$")
_SIGNATURE = re.compile(r"^[0-9a-fA-F]{64}$")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SAFE_METHODS = frozenset({"GET", "HEAD"})


def signature(
    secret: str, method: str, path: str, timestamp: str, body: bytes, nonce: str | None = None
) -> str:
    parts = [method.upper(), path, timestamp]
    if nonce is not None:
        parts.append(nonce)
    message = "\n".join([*parts, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignedRequest:
    key: str | None
    timestamp: str | None
    signature: str | None
    method: str
    path: str
    body: bytes
    nonce: str | None = None


@dataclass
class AgencyGate:
    vault: PiiVault
    redis: aioredis.Redis

    async def authenticate(self, request: SignedRequest) -> Agency:
        if not request.key or not request.timestamp or not request.signature:
            raise AgencySignatureInvalid("X-Agency-Key, X-Timestamp and X-Signature are required.")
        if not _TIMESTAMP.match(request.timestamp):
            raise AgencySignatureInvalid("X-Timestamp must be Unix seconds.")
        if not _SIGNATURE.match(request.signature):
            raise AgencySignatureInvalid("X-Signature must be 64 hexadecimal digits.")
        if request.nonce is not None and not _NONCE.match(request.nonce):
            raise AgencySignatureInvalid("X-Nonce must be 16 to 64 of A-Za-z0-9_-.")
        if abs(clock.now().timestamp() - int(request.timestamp)) > MAX_SKEW.total_seconds():
            raise AgencyTimestampSkewed()
        agency = await Agency.get_or_none(key=request.key, active=True)
        if agency is None:
            raise AgencySignatureInvalid()
        secret = self.vault.decrypt("agency_secret", agency.secret_enc)
        expected = signature(
            secret, request.method, request.path, request.timestamp, request.body, request.nonce
        )
        if not hmac.compare_digest(expected, request.signature.lower()):
            raise AgencySignatureInvalid()
        await self._refuse_replay(agency, request, expected)
        return agency

    async def _refuse_replay(self, agency: Agency, request: SignedRequest, expected: str) -> None:
        if request.nonce is not None:
            key = f"agency-nonce:{agency.key}:{request.nonce}"
        elif request.method.upper() in SAFE_METHODS:
            return
        else:
            key = f"agency-sig:{expected}"
        first_time = await self.redis.set(key, b"1", ex=int(MAX_SKEW.total_seconds() * 2), nx=True)
        if not first_time:
            raise AgencyReplayed()


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
