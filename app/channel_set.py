"""Builds the channel adapters from settings: the one place app code names an adapter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.config import Settings
from channels.alipay import AlipaySettings, build_alipay_channel
from channels.app import AppChannelSettings, build_app_channel
from channels.base import Channel, FaceVerifier, Login, Messages, Pay
from channels.wechat import WeChatSettings, build_wechat_channel


@dataclass
class ChannelSet:
    logins: dict[Channel, Login]
    face: FaceVerifier
    pay: dict[Channel, Pay]
    messages: dict[Channel, Messages]
    # Releases the adapters' connection pools (the provincial app's HTTP client).
    aclose: Callable[[], Awaitable[None]]


def build_channels(settings: Settings) -> ChannelSet:
    c = settings.channels
    wechat = build_wechat_channel(
        WeChatSettings(
            appid=c.wechat_appid,
            secret=c.wechat_secret,
            mch_id=c.wechat_mch_id,
            api_key=c.wechat_api_key,
            api_base_url=c.wechat_api_base_url,
            redis_url=settings.redis_url,
            timeout_seconds=c.timeout_seconds,
        )
    )
    alipay = build_alipay_channel(
        AlipaySettings(
            app_id=c.alipay_app_id,
            seller_id=c.alipay_seller_id,
            app_private_key=c.alipay_app_private_key,
            alipay_public_key=c.alipay_public_key,
            gateway_url=c.alipay_gateway_url,
            timeout_seconds=c.timeout_seconds,
        )
    )
    app = build_app_channel(
        AppChannelSettings(
            client_id=c.app_client_id,
            client_secret=c.app_client_secret,
            base_url=c.app_base_url,
            timeout_seconds=c.timeout_seconds,
        )
    )
    return ChannelSet(
        logins={"wechat": wechat.login, "alipay": alipay.login, "app": app.login},
        face=wechat.face,
        pay={"wechat": wechat.pay, "alipay": alipay.pay, "app": app.pay},
        messages={"wechat": wechat.messages, "alipay": alipay.messages, "app": app.messages},
        aclose=app.aclose,
    )
