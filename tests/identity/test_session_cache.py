"""A session is in the shared cache from the moment it is issued, and logout still wins."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from app.errors import TokenInvalid
from app.identity.models import ChannelAccount, Citizen, Session
from app.identity.sessions import SessionStore, _cache_key
from infra import clock


async def _account() -> ChannelAccount:
    now = clock.now()
    citizen = await Citizen.create(
        id=uuid.uuid4(), verified=True, name_masked="张*", created_at=now, verified_at=now
    )
    return await ChannelAccount.create(
        channel="app",
        subject=f"u-{citizen.id.hex}",
        citizen_id=citizen.id,
        created_at=now,
        last_login_at=now,
    )


async def test_a_new_token_resolves_without_the_database(
    clean: None, redis: aioredis.Redis
) -> None:
    sessions = SessionStore(redis, timedelta(days=1))
    account = await _account()
    token, session = await sessions.issue(account)
    assert await redis.get(_cache_key(session.token_hash)) is not None
    # The row is gone from PostgreSQL; the cache entry alone answers.
    await Session.filter(token_hash=session.token_hash).delete()
    principal = await sessions.resolve(token)
    assert principal.citizen_id == account.citizen_id  # type: ignore[attr-defined]
    assert principal.account_id == account.id and principal.channel == "app"


async def test_logout_of_a_freshly_issued_token_wins_over_its_cache_entry(
    clean: None, redis: aioredis.Redis
) -> None:
    sessions = SessionStore(redis, timedelta(days=1))
    token, _ = await sessions.issue(await _account())
    await sessions.revoke(await sessions.resolve(token))
    with pytest.raises(TokenInvalid):
        await sessions.resolve(token)
