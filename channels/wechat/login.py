"""Mini-program login: the wx.login code becomes an openid (and unionid) via jscode2session."""

from __future__ import annotations

from channels.base import ChannelLogin, ChannelRejected
from channels.wechat.errors import call_wechat
from channels.wechat.sdk import SharedTokenWeChatClient
from channels.wechat.settings import WeChatSettings


class WeChatLogin:
    """WeChat vouches only for the openid; real names come from face verification."""

    channel = "wechat"

    def __init__(self, client: SharedTokenWeChatClient, settings: WeChatSettings) -> None:
        self._client = client
        self._timeout = settings.timeout_seconds

    async def login(self, code: str) -> ChannelLogin:
        if not code:
            raise ChannelRejected("empty login code", channel_code="40029")
        result = await call_wechat(
            lambda: self._client.wxa.code_to_session(code), timeout=self._timeout
        )
        openid = result.get("openid") if isinstance(result, dict) else None
        if not isinstance(openid, str) or not openid:
            raise ChannelRejected("jscode2session answered without an openid")
        unionid = result.get("unionid")
        return ChannelLogin(
            channel="wechat",
            subject=openid,
            unionid=unionid if isinstance(unionid, str) and unionid else None,
        )
