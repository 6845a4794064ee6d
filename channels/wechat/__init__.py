"""WeChat adapters: mini-program login, city-service face verification, WeChat Pay v2
(JSAPI) and subscribe messages, all on wechatpy and pointed at ``api_base_url``.

:func:`build_wechat_channel` wires them from one :class:`WeChatSettings`; the three
open-platform adapters share one client, hence one Redis-held access token.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.wechat.face import WeChatFaceVerifier
from channels.wechat.login import WeChatLogin
from channels.wechat.messages import WeChatMessages
from channels.wechat.pay import WeChatPayGateway
from channels.wechat.sdk import build_client, build_pay
from channels.wechat.settings import WeChatSettings


@dataclass(frozen=True)
class WeChatChannel:
    login: WeChatLogin
    face: WeChatFaceVerifier
    pay: WeChatPayGateway
    messages: WeChatMessages


def build_wechat_channel(settings: WeChatSettings) -> WeChatChannel:
    client = build_client(settings)
    return WeChatChannel(
        login=WeChatLogin(client, settings),
        face=WeChatFaceVerifier(client, settings),
        pay=WeChatPayGateway(build_pay(settings), settings),
        messages=WeChatMessages(client, settings),
    )


__all__ = [
    "WeChatChannel",
    "WeChatFaceVerifier",
    "WeChatLogin",
    "WeChatMessages",
    "WeChatPayGateway",
    "WeChatSettings",
    "build_wechat_channel",
]
