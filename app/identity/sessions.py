"""Resident sessions: opaque 256-bit tokens, stored hashed, cached in Redis for every worker.

PostgreSQL holds the truth; Redis holds a cache entry per token and, on logout, a tombstone
that wins over any concurrent cache refill (refills use SET NX). A revoked token therefore
stops working at once on every worker.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis.asyncio as aioredis

from app.errors import TokenInvalid
from app.identity.models import ChannelAccount, Session
from infra import clock

CACHE_SECONDS = 3600
_REVOKED = b"revoked"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the citizen and the channel account the token was issued to."""

    citizen_id: uuid.UUID
    account_id: int
    channel: str
    token_hash: str
    expires_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cache_key(token_hash: str) -> str:
    return f"sess:{token_hash}"


@dataclass
class SessionStore:
    redis: aioredis.Redis
    ttl: timedelta

    async def issue(self, account: ChannelAccount) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        now = clock.now()
        session = await Session.create(
            token_hash=hash_token(token),
            citizen_id=account.citizen_id,  # type: ignore[attr-defined]
            account_id=account.id,
            channel=account.channel,
            created_at=now,
            expires_at=now + self.ttl,
        )
        # Cached now, so the first request with the new token needs no PostgreSQL (at a
        # release minute thousands of residents sign in and book within seconds).
        await self._fill(
            Principal(
                account.citizen_id,  # type: ignore[attr-defined]
                account.id,
                account.channel,
                session.token_hash,
                session.expires_at,
            )
        )
        return token, session

    async def resolve(self, token: str) -> Principal:
        token_hash = hash_token(token)
        cached = await self.redis.get(_cache_key(token_hash))
        if cached == _REVOKED:
            raise TokenInvalid()
        if cached is not None:
            data = json.loads(cached)
            principal = Principal(
                uuid.UUID(data["c"]),
                data["a"],
                data["ch"],
                token_hash,
                datetime.fromisoformat(data["e"]),
            )
        else:
            principal = await self._load(token_hash)
        if principal.expires_at <= clock.now():
            raise TokenInvalid()
        return principal

    async def _load(self, token_hash: str) -> Principal:
        session = await Session.get_or_none(token_hash=token_hash)
        if session is None or session.revoked_at is not None:
            raise TokenInvalid()
        principal = Principal(
            session.citizen_id,  # type: ignore[attr-defined]
            session.account_id,  # type: ignore[attr-defined]
            session.channel,
            token_hash,
            session.expires_at,
        )
        await self._fill(principal)
        return principal

    async def _fill(self, principal: Principal) -> None:
        """The cache entry every worker reads (SET NX: a logout's tombstone always wins)."""
        remaining = int((principal.expires_at - clock.now()).total_seconds())
        if remaining > 0:
            entry = json.dumps(
                {
                    "c": str(principal.citizen_id),
                    "a": principal.account_id,
                    "ch": principal.channel,
                    "e": principal.expires_at.isoformat(),
                }
            )
            await self.redis.set(
                _cache_key(principal.token_hash),
                entry,
                ex=min(remaining, CACHE_SECONDS),
                nx=True,
            )

    async def revoke(self, principal: Principal) -> None:
        await Session.filter(token_hash=principal.token_hash, revoked_at=None).update(
            revoked_at=clock.now()
        )
        remaining = max(1, int((principal.expires_at - clock.now()).total_seconds()))
        await self.redis.set(
            _cache_key(principal.token_hash), _REVOKED, ex=min(remaining, CACHE_SECONDS * 24)
        )

    async def forget(self, token_hashes: list[str]) -> None:
        """Drop cache entries whose citizen changed (after a merge); the DB refills them."""
        if token_hashes:
            await self.redis.delete(*[_cache_key(h) for h in token_hashes])
