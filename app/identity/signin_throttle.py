"""Operator sign-in throttling: backoff per account and per client, never a lockout.

Locking an account after a few wrong passwords lets anyone who knows a username lock its
owner out. Instead each failure makes the next try wait: after ``free_failures`` failures
the wait doubles with each one (1 s, 2 s, 4 s, …) up to ``max_delay``. The wait applies to
the account (a guesser spread over many addresses) and to the client address (one address
trying many accounts); a try inside it is refused before the password is checked, so
guessing stays slow, while the owner is at most ``max_delay`` away from signing in.

Repeated failures on one account raise an alert: a warning log line, the counter
``yiwang_operator_signin_alerts_total`` (``GET /metrics``) and, through ``on_alert``, a
record on the audit chain, at ``alert_after`` failures and at every multiple of it.

A hard lock would need a second factor for its owner to lift it (and lifting it audited);
operators have none yet, so there is no hard lock (docs/design-notes.md).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

from app.errors import SignInThrottled
from infra import clock, metrics

log = logging.getLogger("yiwang.identity.signin")

# Failures are forgotten an hour after the last one.
WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class SignInThrottle:
    redis: aioredis.Redis
    free_failures: int
    max_delay_seconds: int
    alert_after: int
    # Told of each alert (the composition root writes it to the audit chain).
    on_alert: Callable[[str, int, str], Awaitable[None]] | None = None

    def _keys(self, username: str, client: str) -> tuple[str, str]:
        return f"signin:account:{username}", f"signin:client:{client}"

    def delay_after(self, failures: int) -> int:
        """Seconds the next try waits after ``failures`` consecutive failures."""
        if failures < self.free_failures:
            return 0
        return min(1 << min(failures - self.free_failures, 30), self.max_delay_seconds)

    async def check(self, username: str, client: str) -> None:
        """SignInThrottled (with the seconds to wait) while either key is backing off."""
        now = clock.now().timestamp()
        wait = 0.0
        for key in self._keys(username, client):
            failures, last = await self.redis.hmget(key, ["n", "at"])  # type: ignore[misc]
            if failures is None or last is None:
                continue
            ready_at = float(last) + self.delay_after(int(failures))
            wait = max(wait, ready_at - now)
        if wait > 0:
            raise SignInThrottled(retry_after=math.ceil(wait))

    async def failed(self, username: str, client: str) -> None:
        now = clock.now().timestamp()
        pipe = self.redis.pipeline(transaction=False)
        for key in self._keys(username, client):
            pipe.hincrby(key, "n", 1)
            pipe.hset(key, "at", str(now))
            pipe.expire(key, WINDOW_SECONDS)
        account_failures = int((await pipe.execute())[0])
        if account_failures >= self.alert_after and account_failures % self.alert_after == 0:
            metrics.SIGNIN_ALERTS.inc()
            log.warning(
                "operator sign-in: %d failed tries for account %r within the hour (last from %s)",
                account_failures,
                username,
                client,
            )
            if self.on_alert is not None:
                await self.on_alert(username, account_failures, client)

    async def succeeded(self, username: str, client: str) -> None:
        await self.redis.delete(*self._keys(username, client))
