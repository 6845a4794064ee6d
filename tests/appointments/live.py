"""Helpers for tests against the live ``yiwang serve --workers 2``."""

from __future__ import annotations

import asyncio
import secrets
import uuid

from tortoise import connections

from app.identity.models import ChannelAccount, Citizen
from app.identity.sessions import SessionStore
from infra import clock


async def fresh_ids() -> None:
    """Tables are truncated between tests with RESTART IDENTITY, but the server's workers
    cache slot facts by id for a few seconds; start each test's ids somewhere new."""
    base = secrets.randbelow(10**9) + 10**6
    conn = connections.get("default")
    for table in (
        "appt_institution",
        "appt_department",
        "appt_resource",
        "appt_slot",
        "appt_booking",
        "appt_waitlist",
    ):
        await conn.execute_script(f"SELECT setval('{table}_id_seq', {base})")


async def verified_people(sessions: SessionStore, n: int, channel: str = "app") -> list[str]:
    """``n`` verified citizens with one channel account and one session each; their tokens."""
    now = clock.now()
    citizens = [
        Citizen(id=uuid.uuid4(), verified=True, name_masked="张*", created_at=now, verified_at=now)
        for _ in range(n)
    ]
    await Citizen.bulk_create(citizens, batch_size=1000)
    accounts = [
        ChannelAccount(
            channel=channel,
            subject=f"u-{c.id.hex}",
            citizen_id=c.id,
            created_at=now,
            last_login_at=now,
        )
        for c in citizens
    ]
    await ChannelAccount.bulk_create(accounts, batch_size=1000)
    stored = await ChannelAccount.filter(channel=channel, subject__in=[a.subject for a in accounts])
    tokens: list[str] = []
    for account in stored:
        token, _ = await sessions.issue(account)
        tokens.append(token)
    return tokens


class RawConnection:
    """One keep-alive HTTP/1.1 connection speaking just enough to POST JSON and read the
    answer. httpx costs ~1 ms of client CPU per request, which on a 2-core machine shared
    with the server would measure the client, not the server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
