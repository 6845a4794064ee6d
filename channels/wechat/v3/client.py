"""wechatpayv3's client, pointed at ``base_url`` and verifying answers by serial.

The library's Core knows one WeChat Pay public key and, for any other serial, falls back
to downloading platform certificates, which public-key merchants no longer get
(``/v3/certificates`` answers them 403). KeyRingCore keeps every key the merchant holds,
picks the one named by ``Wechatpay-Serial``, and also refuses stale answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core

from channels.wechat.v3.settings import WeChatPayV3Settings
from channels.wechat.v3.verify import V3WireError, check_signed, load_keys


class KeyRingCore(Core):  # type: ignore[misc]
    def __init__(self, settings: WeChatPayV3Settings) -> None:
        current_id, current_pem = next(iter(settings.public_keys.items()))
        super().__init__(
            mchid=settings.mch_id,
            cert_serial_no=settings.cert_serial,
            private_key=settings.private_key,
            apiv3_key=settings.apiv3_key,
            timeout=settings.timeout_seconds,
            public_key=current_pem,
            public_key_id=current_id,
        )
        self._gate_way = settings.base_url.rstrip("/")
        self.keys = load_keys(settings.public_keys)
        self.last_refusal = ""

    def _verify_signature(self, headers: Mapping[str, Any], body: str) -> bool:
        try:
            check_signed({k: str(v) for k, v in headers.items()}, body, self.keys)
        except V3WireError as exc:
            self.last_refusal = str(exc)
            return False
        return True


def build_pay_v3(settings: WeChatPayV3Settings) -> WeChatPay:
    """A JSAPI client whose requests and answer checks go through KeyRingCore."""
    current_id, current_pem = next(iter(settings.public_keys.items()))
    pay = WeChatPay(
        wechatpay_type=WeChatPayType.MINIPROG,
        mchid=settings.mch_id,
        private_key=settings.private_key,
        cert_serial_no=settings.cert_serial,
        appid=settings.appid,
        apiv3_key=settings.apiv3_key,
        timeout=settings.timeout_seconds,
        public_key=current_pem,
        public_key_id=current_id,
    )
    pay._core = KeyRingCore(settings)
    return pay
