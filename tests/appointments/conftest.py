"""In-process appointments on the test's PostgreSQL and Redis, with a recording channel seam."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import redis.asyncio as aioredis

from app.appointments.service import Appointments, build_appointments
from app.config import Settings
from app.identity.sessions import SessionStore
from channels.base import OutboundMessage
from infra import clock
from infra.pii import PiiVault


class RecordingMessages:
    """The channel seam: records what would be sent (the sandbox does the same on the wire)."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.sent: list[OutboundMessage] = []

    async def send(self, message: OutboundMessage) -> None:
        self.sent.append(message)


@pytest.fixture
def vault(settings: Settings) -> PiiVault:
    return settings.vault()


@pytest.fixture
def sessions(redis: aioredis.Redis) -> SessionStore:
    return SessionStore(redis, timedelta(days=7))


@pytest.fixture
def messages() -> dict[str, RecordingMessages]:
    return {ch: RecordingMessages(ch) for ch in ("wechat", "alipay", "app")}


@pytest.fixture
async def appts(
    clean: None, settings: Settings, redis: aioredis.Redis, vault: PiiVault, messages: dict
) -> AsyncIterator[Appointments]:
    rules = settings.appointments.model_copy()
    service = build_appointments(rules, redis, vault, messages)
    service.register_outbox_handlers()
    yield service


def travel_to(instant: datetime) -> None:
    """Move the in-process clock so that now() is ``instant``."""
    clock.travel(instant - clock.now())
