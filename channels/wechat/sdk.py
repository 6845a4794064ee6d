"""wechatpy clients pointed at ``settings.api_base_url`` and sharing one access token.

WeChat allows a limited number of token fetches a day, and fetching a new token retires
the old one, so every worker process must use the same token. It lives in Redis
(wechatpy's RedisStorage, key prefix per appid); a Redis lock makes sure only one worker
fetches when it is missing or rejected, and the others pick up its result.
"""

from __future__ import annotations

import time
from typing import Any

import redis
import requests
from redis.backoff import NoBackoff
from redis.retry import Retry
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.pay import WeChatPay
from wechatpy.session.redisstorage import RedisStorage

from channels.wechat.settings import WeChatSettings

# Stored tokens expire this long before WeChat's own expiry, so none is used at the edge.
TOKEN_EXPIRY_MARGIN_SECONDS = 300


class SharedTokenWeChatClient(WeChatClient):
    """WeChatClient whose token fetch goes to the configured host under a Redis lock."""

    def __init__(self, settings: WeChatSettings, redis_client: redis.Redis) -> None:
        storage = RedisStorage(redis_client, prefix=f"yiwang:wechat:{settings.appid}")
        super().__init__(
            settings.appid, settings.secret, session=storage, timeout=settings.timeout_seconds
        )
        self.API_BASE_URL = settings.base_url + "cgi-bin/"
        self.wxa.API_BASE_URL = settings.base_url
        self._settings = settings
        self._redis = redis_client
        self._lock_name = f"yiwang:wechat:{settings.appid}:token-lock"

    @property
    def access_token(self) -> str:
        """The shared token; when Redis has none, one worker fetches under the lock.

        Redis expires the stored token before WeChat does (TOKEN_EXPIRY_MARGIN_SECONDS), so
        a token found there is usable; the double check inside the lock makes late arrivals
        reuse the token the first worker fetched.
        """
        token = self.session.get(self.access_token_key)
        if token:
            return str(token)
        timeout = self._settings.timeout_seconds
        with self._redis.lock(self._lock_name, timeout=timeout * 2, blocking_timeout=timeout):
            token = self.session.get(self.access_token_key)
            if not token:
                self._fetch_from_wechat()
                token = self.session.get(self.access_token_key)
        return str(token)

    def fetch_access_token(self) -> dict[str, Any]:
        """Replace a token WeChat rejected (40001/40014/42001): wechatpy calls this then.

        The token seen before waiting tells the two cases apart: if another worker has
        stored a different one meanwhile, that one is fresh and is used as is.
        """
        seen = self.session.get(self.access_token_key)
        timeout = self._settings.timeout_seconds
        with self._redis.lock(self._lock_name, timeout=timeout * 2, blocking_timeout=timeout):
            current = self.session.get(self.access_token_key)
            if current and current != seen:
                ttl = self._redis.ttl(self.session.key_name(self.access_token_key))
                self.expires_at = int(time.time()) + max(int(ttl), 0)
                return {"access_token": current, "expires_in": ttl}
            return self._fetch_from_wechat()

    def _fetch_from_wechat(self) -> dict[str, Any]:
        response = self._http.get(
            self._settings.base_url + "cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
            },
            timeout=self._settings.timeout_seconds,
        )
        try:
            response.raise_for_status()
            result = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeChatClientException(None, f"token fetch failed: {exc!r}") from exc
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"))
        token = result.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatClientException(None, "token fetch answered without access_token")
        expires_in = int(result.get("expires_in", 7200))
        ttl = max(expires_in - TOKEN_EXPIRY_MARGIN_SECONDS, 60)
        self.session.set(self.access_token_key, token, ttl)
        self.expires_at = int(time.time()) + ttl
        return result


def build_client(settings: WeChatSettings) -> SharedTokenWeChatClient:
    redis_client = redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.timeout_seconds,
        socket_connect_timeout=settings.timeout_seconds,
        # One retry on a fresh connection when the server closed the old one.
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[redis.ConnectionError],
    )
    return SharedTokenWeChatClient(settings, redis_client)


def build_pay(settings: WeChatSettings) -> WeChatPay:
    pay = WeChatPay(
        appid=settings.appid,
        api_key=settings.api_key,
        mch_id=settings.mch_id,
        timeout=settings.timeout_seconds,
    )
    pay.API_BASE_URL = settings.base_url
    return pay
