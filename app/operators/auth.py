"""Operator accounts: argon2id passwords, throttled sign-ins (no lockout), their own sessions.

Operator tokens live under ``opsess:`` in Redis and in ``operator_session``; resident tokens
live under ``sess:`` and ``resident_session``. A token of one kind is unknown to the other.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import InvalidInput, OperatorLoginFailed, TokenInvalid
from app.identity.signin_throttle import SignInThrottle
from app.operators.models import Operator, OperatorSession
from infra import clock

ROLES = ("platform_admin", "department_operator", "reviewer")
CACHE_SECONDS = 600
_REVOKED = b"revoked"
_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile defaults
# Verified against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class OperatorPrincipal:
    """The signed-in operator and the scope every catalog query is filtered by."""

    id: int
    username: str
    role: str
    departments: tuple[str, ...] = field(default=())
    regions: tuple[str, ...] = field(default=())
    token_hash: str = ""
    expires_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "platform_admin"

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "role": self.role,
            "departments": list(self.departments),
            "regions": list(self.regions),
        }


def principal_of(
    op: Operator, token_hash: str = "", expires_at: datetime | None = None
) -> OperatorPrincipal:
    return OperatorPrincipal(
        op.id,
        op.username,
        op.role,
        tuple(op.departments or ()),
        tuple(op.regions or ()),
        token_hash,
        expires_at,
    )


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _check_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_operator(
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    departments: list[str] | None = None,
    regions: list[str] | None = None,
) -> Operator:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", fields={"role": role})
    if len(password) < 12:
        raise InvalidInput("An operator password has at least 12 characters.")
    if role != "platform_admin" and not departments:
        raise InvalidInput("Department operators and reviewers need at least one department.")
    return await Operator.create(
        username=username,
        display_name=display_name or username,
        password_hash=await asyncio.to_thread(hash_password, password),
        role=role,
        departments=list(departments or []),
        regions=list(regions or []),
        created_at=clock.now(),
    )


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key(token_hash: str) -> str:
    return f"opsess:{token_hash}"


@dataclass
class OperatorAuth:
    redis: aioredis.Redis
    ttl: timedelta
    throttle: SignInThrottle

    async def sign_in(
        self, username: str, password: str, client: str = "local"
    ) -> tuple[str, OperatorPrincipal]:
        """A token for the operator, or OperatorLoginFailed / SignInThrottled.

        Failures slow the next try of the account and of the client (signin_throttle);
        they never lock the owner out. Unknown usernames are throttled the same way, so
        the answers tell nothing about which accounts exist.
        """
        await self.throttle.check(username, client)
        op = await Operator.get_or_none(username=username, active=True)
        if op is None:
            await asyncio.to_thread(_check_password, _DUMMY_HASH, password)
            await self.throttle.failed(username, client)
            raise OperatorLoginFailed()
        now = clock.now()
        if not await asyncio.to_thread(_check_password, op.password_hash, password):
            await self.throttle.failed(username, client)
            raise OperatorLoginFailed()
        await self.throttle.succeeded(username, client)
        token = secrets.token_urlsafe(32)
        session = await OperatorSession.create(
            token_hash=_hash_token(token),
            operator_id=op.id,
            created_at=now,
            expires_at=now + self.ttl,
        )
        return token, principal_of(op, session.token_hash, session.expires_at)

    async def resolve(self, token: str) -> OperatorPrincipal:
        token_hash = _hash_token(token)
        cached = await self.redis.get(_key(token_hash))
        if cached == _REVOKED:
            raise TokenInvalid()
        if cached is not None:
            data = json.loads(cached)
            principal = OperatorPrincipal(
                data["id"],
                data["username"],
                data["role"],
                tuple(data["departments"]),
                tuple(data["regions"]),
                token_hash,
                datetime.fromisoformat(data["expires_at"]),
            )
        else:
            principal = await self._load(token_hash)
        if principal.expires_at is None or principal.expires_at <= clock.now():
            raise TokenInvalid()
        return principal

    async def _load(self, token_hash: str) -> OperatorPrincipal:
        session = await OperatorSession.get_or_none(token_hash=token_hash).prefetch_related(
            "operator"
        )
        if session is None or session.revoked_at is not None or not session.operator.active:
            raise TokenInvalid()
        principal = principal_of(session.operator, token_hash, session.expires_at)
        remaining = int((session.expires_at - clock.now()).total_seconds())
        if remaining > 0:
            entry = {**principal.as_dict(), "expires_at": session.expires_at.isoformat()}
            await self.redis.set(
                _key(token_hash), json.dumps(entry), ex=min(remaining, CACHE_SECONDS), nx=True
            )
        return principal

    async def revoke(self, principal: OperatorPrincipal) -> None:
        await OperatorSession.filter(token_hash=principal.token_hash, revoked_at=None).update(
            revoked_at=clock.now()
        )
        await self.redis.set(_key(principal.token_hash), _REVOKED, ex=CACHE_SECONDS * 24)
