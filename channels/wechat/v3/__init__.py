"""WeChat Pay API v3 in public-key mode (微信支付公钥), on wechatpayv3.

Selected with ``WECHAT_PAY_API=v3`` (the default); v2 (channels.wechat.pay) stays for a
merchant that still runs it, and both notification routes work during a switch.
"""

from __future__ import annotations

from channels.wechat.v3.client import build_pay_v3
from channels.wechat.v3.pay import WeChatPayV3Gateway
from channels.wechat.v3.replay import RedisNonceGuard
from channels.wechat.v3.settings import WeChatPayV3Settings


def build_pay_v3_gateway(settings: WeChatPayV3Settings) -> WeChatPayV3Gateway:
    return WeChatPayV3Gateway(build_pay_v3(settings), settings)


__all__ = [
    "RedisNonceGuard",
    "WeChatPayV3Gateway",
    "WeChatPayV3Settings",
    "build_pay_v3_gateway",
]
