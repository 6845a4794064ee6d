"""What the WeChat Pay API v3 adapter needs, given once by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# WeChat's API v3 host; the sandbox's base URL replaces it in tests and the demo.
WECHAT_PAY_V3_HOST = "https://api.mch.weixin.qq.com"


@dataclass(frozen=True)
class WeChatPayV3Settings:
    appid: str
    mch_id: str
    # The merchant API certificate's private key (apiclient_key.pem, PKCS#8) and serial.
    private_key: str
    cert_serial: str
    # 32 characters; decrypts notification resources (AEAD_AES_256_GCM).
    apiv3_key: str
    # WeChat Pay public keys by id (PUB_KEY_ID_…): the current one first; a second one
    # while WeChat rotates, so either signature verifies.
    public_keys: Mapping[str, str] = field(default_factory=dict)
    base_url: str = WECHAT_PAY_V3_HOST
    # Where notification nonces are remembered across worker processes (replay guard).
    redis_url: str = ""
    timeout_seconds: float = 5.0

    def __repr__(self) -> str:
        keys = ", ".join(self.public_keys)
        return f"WeChatPayV3Settings(mch_id={self.mch_id!r}, public_keys=[{keys}], secrets=…)"
