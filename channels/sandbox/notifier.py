"""Deliver payment and refund notifications the way the channels do: retry until acknowledged.

Each channel has a published retry schedule; the sandbox follows it, with every delay
multiplied by ``time_scale`` so tests can run a whole schedule in milliseconds. A delivery
counts as acknowledged only when the merchant answers with the channel's exact success
body (``is_ack``). Every attempt is recorded, so tests can count them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

log = logging.getLogger("yiwang.sandbox.notifier")

WECHAT_RETRY_SECONDS: tuple[float, ...] = (
    15,
    15,
    30,
    180,
    600,
    1200,
    1800,
    1800,
    1800,
    3600,
    10800,
    10800,
    10800,
    21600,
    21600,
)
ALIPAY_RETRY_SECONDS: tuple[float, ...] = (240, 600, 600, 3600, 7200, 21600, 54000)


@dataclass
class Attempt:
    url: str
    status: int | None
    body: str
    acknowledged: bool


@dataclass
class Delivery:
    """One notification and every attempt made to deliver it."""

    key: str
    url: str
    body: bytes
    content_type: str
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: bool = False
    # Called before every attempt for extra headers (the provincial app signs each attempt
    # afresh, so a retry carries a current timestamp and a new nonce).
    headers: Callable[[], Mapping[str, str]] | None = None


@dataclass
class Notifier:
    time_scale: float = 1.0
    timeout: float = 5.0
    deliveries: list[Delivery] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    # One client for every delivery, as a channel keeps its connections: a client per
    # notification costs ~50 ms of CPU (its TLS context), and at tens of payments a second
    # the sandbox's loop fell so far behind that its own connects timed out.
    _client: httpx.AsyncClient | None = None

    def _shared_client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def send(
        self,
        *,
        key: str,
        url: str,
        body: bytes,
        content_type: str,
        schedule: tuple[float, ...],
        is_ack: Callable[[int, str], bool],
        copies: int = 1,
        headers: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        """Start delivering ``copies`` identical notifications in parallel, in the background."""
        for _ in range(max(1, copies)):
            delivery = Delivery(
                key=key, url=url, body=body, content_type=content_type, headers=headers
            )
            self.deliveries.append(delivery)
            task = asyncio.get_running_loop().create_task(self._run(delivery, schedule, is_ack))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(
        self,
        delivery: Delivery,
        schedule: tuple[float, ...],
        is_ack: Callable[[int, str], bool],
    ) -> None:
        delays = (0.0, *schedule)
        for delay in delays:
            if delay:
                await asyncio.sleep(delay * self.time_scale)
            attempt = await self._attempt(self._shared_client(), delivery, is_ack)
            delivery.attempts.append(attempt)
            if attempt.acknowledged:
                delivery.acknowledged = True
                return
        log.info("notification %s gave up after %d attempts", delivery.key, len(delays))

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        delivery: Delivery,
        is_ack: Callable[[int, str], bool],
    ) -> Attempt:
        headers = {"Content-Type": delivery.content_type}
        if delivery.headers is not None:
            headers.update(delivery.headers())
        try:
            response = await client.post(delivery.url, content=delivery.body, headers=headers)
        except httpx.HTTPError as exc:
            return Attempt(delivery.url, None, repr(exc), False)
        text = response.text
        return Attempt(delivery.url, response.status_code, text, is_ack(response.status_code, text))

    def for_key(self, key: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.key == key]

    async def drain(self) -> None:
        """Wait for every delivery in flight (used on shutdown and by tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
