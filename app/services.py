"""The services one process needs, built once from settings (server worker or job worker)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import redis.asyncio as aioredis

from app import schema
from app.agency.signing import AgencyGate
from app.channel_set import ChannelSet, build_channels
from app.config import Settings
from app.identity.accounts import Accounts
from app.identity.sessions import SessionStore
from infra import db, outbox
from infra.jobs import JobQueue, open_queue
from infra.pii import PiiVault
from infra.redis import connect


@dataclass
class Services:
    settings: Settings
    redis: aioredis.Redis
    jobs: JobQueue
    vault: PiiVault
    channels: ChannelSet
    sessions: SessionStore
    accounts: Accounts
    agency_gate: AgencyGate

    async def kick_outbox(self, event_id: int) -> None:
        """Ask a worker to deliver an event now (the sweep would find it anyway)."""
        await self.jobs.enqueue("deliver_outbox_event", event_id, job_id=f"outbox:{event_id}")

    async def close(self) -> None:
        await self.jobs.pool.aclose()
        await self.redis.aclose()
        await db.close_database()


async def open_services(settings: Settings) -> Services:
    await db.open_database(schema.config(settings.database_url))
    redis = connect(settings.redis_url)
    vault = PiiVault(settings.pii_key, settings.pii_hash_key)
    channels = build_channels(settings)
    sessions = SessionStore(redis, timedelta(seconds=settings.session_ttl_seconds))
    services = Services(
        settings=settings,
        redis=redis,
        jobs=JobQueue(await open_queue(settings.redis_url)),
        vault=vault,
        channels=channels,
        sessions=sessions,
        accounts=Accounts(vault, sessions, channels.logins, channels.face),
        agency_gate=AgencyGate(vault, redis),
    )
    register_outbox_handlers(services)
    return services


def register_outbox_handlers(services: Services) -> None:
    """Each room adds its event kinds here; handlers must be idempotent."""
    _ = (services, outbox)
