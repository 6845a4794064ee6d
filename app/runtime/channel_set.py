"""Builds the channel adapters from settings: the one place app code names an adapter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.config import Settings
from channels.alipay import AlipaySettings, build_alipay_channel
from channels.app import AppChannelSettings, build_app_channel
from channels.base import Channel, FaceVerifier, Login, Messages, Pay, ReplayGuard
from channels.wechat import WeChatSettings, build_wechat_channel
from channels.wechat.v3 import RedisNonceGuard, WeChatPayV3Settings, build_pay_v3_gateway


@dataclass
class ChannelSet:
    logins: dict[Channel, Login]
    face: FaceVerifier
    pay: dict[Channel, Pay]
    messages: dict[Channel, Messages]
    # Releases the adapters' connection pools (the provincial app's HTTP client).
    aclose: Callable[[], Awaitable[None]]
    # Notification parsers by route ("wechat/v2", "wechat/v3"): both WeChat Pay APIs'
    # notifications are understood whichever one pays, so none in flight is lost in a
    # switch. A dialect whose keys are not configured is absent and its route refuses.
    notify_dialects: dict[str, Pay]
    replay_guards: dict[str, ReplayGuard]


def _wechat_pay(settings: Settings, v2: Pay) -> tuple[Pay, dict[str, Pay], dict[str, ReplayGuard]]:
    """The WeChat Pay adapter WECHAT_PAY_API selects, and the notify dialects configured."""
    c = settings.channels
    dialects: dict[str, Pay] = {}
    guards: dict[str, ReplayGuard] = {}
    if c.wechat_api_key:
        dialects["wechat/v2"] = v2
    if c.wechat_v3 is not None:
        dialects["wechat/v3"] = build_pay_v3_gateway(
            WeChatPayV3Settings(
                appid=c.wechat_appid,
                mch_id=c.wechat_mch_id,
                private_key=c.wechat_v3.private_key,
                cert_serial=c.wechat_v3.cert_serial,
                apiv3_key=c.wechat_v3.apiv3_key,
                public_keys=dict(c.wechat_v3.public_keys),
                base_url=c.wechat_v3.base_url,
                redis_url=settings.redis_url,
                timeout_seconds=c.timeout_seconds,
            )
        )
        guards["wechat/v3"] = RedisNonceGuard(settings.redis_url, c.wechat_mch_id)
    return dialects[f"wechat/{c.wechat_pay_api}"], dialects, guards


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
    certs = c.alipay_certificates
    alipay = build_alipay_channel(
        AlipaySettings(
            app_id=c.alipay_app_id,
            seller_id=c.alipay_seller_id,
            app_private_key=c.alipay_app_private_key,
            alipay_public_key=c.alipay_public_key,
            gateway_url=c.alipay_gateway_url,
            timeout_seconds=c.timeout_seconds,
            sign_mode=c.alipay_sign_mode,
            app_public_cert=certs.app_public_cert if certs else "",
            alipay_public_cert=certs.alipay_public_cert if certs else "",
            alipay_root_cert=certs.alipay_root_cert if certs else "",
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
    wechat_pay, dialects, guards = _wechat_pay(settings, wechat.pay)
    return ChannelSet(
        logins={"wechat": wechat.login, "alipay": alipay.login, "app": app.login},
        face=wechat.face,
        pay={"wechat": wechat_pay, "alipay": alipay.pay, "app": app.pay},
        messages={"wechat": wechat.messages, "alipay": alipay.messages, "app": app.messages},
        notify_dialects=dialects,
        replay_guards=guards,
        aclose=app.aclose,
    )
