"""Everything the WeChat adapters need to know, given once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WeChatSettings:
    appid: str
    secret: str
    mch_id: str
    api_key: str
    # WeChat's API host, or the sandbox's base URL (e.g. http://127.0.0.1:8001/).
    api_base_url: str
    # Where the access token is shared between worker processes.
    redis_url: str
    timeout_seconds: float = 5.0

    @property
    def base_url(self) -> str:
        """``api_base_url`` with exactly one trailing slash, as the SDK concatenates paths."""
        return self.api_base_url.rstrip("/") + "/"

    def __repr__(self) -> str:
        return f"WeChatSettings(appid={self.appid!r}, mch_id={self.mch_id!r}, secrets=…)"
