"""Replay protection for WeChat Pay v3 notifications: each signed nonce is accepted once.

A notification is fresh for five minutes either side of its timestamp, so a nonce kept in
Redis a little longer than that window (shared by every worker process) is enough: after
it expires, the timestamp check refuses the replay instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import redis.asyncio as aioredis

from channels.wechat.v3.verify import FRESHNESS_SECONDS

NONCE_TTL_SECONDS = 2 * FRESHNESS_SECONDS + 60


class RedisNonceGuard:
    def __init__(self, redis_url: str, mch_id: str) -> None:
        self._redis_url = redis_url
        self._prefix = f"yiwang:wechat:v3:{mch_id}:nonce:"
        self._redis: aioredis.Redis | None = None

    async def first_sight(self, headers: Mapping[str, str]) -> bool:
        lowered = {k.lower(): v for k, v in headers.items()}
        signed = "\n".join(
            lowered.get(name, "")
            for name in ("wechatpay-serial", "wechatpay-timestamp", "wechatpay-nonce")
        )
        if self._redis is None:
            self._redis = aioredis.from_url(self._redis_url)
        key = self._prefix + hashlib.sha256(signed.encode()).hexdigest()
        return bool(await self._redis.set(key, "1", nx=True, ex=NONCE_TTL_SECONDS))
