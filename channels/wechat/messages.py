"""Mini-program subscribe messages (订阅消息) to one openid."""

from __future__ import annotations

from channels.base import ChannelRejected, OutboundMessage
from channels.wechat.errors import call_wechat
from channels.wechat.sdk import SharedTokenWeChatClient
from channels.wechat.settings import WeChatSettings


class WeChatMessages:
    """43101 (the person has not subscribed) and 40003 (unknown openid) are rejections."""

    channel = "wechat"

    def __init__(self, client: SharedTokenWeChatClient, settings: WeChatSettings) -> None:
        self._client = client
        self._timeout = settings.timeout_seconds

    async def send(self, message: OutboundMessage) -> None:
        if not message.subject or not message.template_id:
            raise ChannelRejected("a subscribe message needs an openid and a template_id")
        # WeChat wants every template field wrapped as {"value": ...}.
        data = {key: {"value": value} for key, value in message.data.items()}
        await call_wechat(
            lambda: self._client.wxa.send_subscribe_message(
                message.subject, message.template_id, data, page=message.page
            ),
            timeout=self._timeout,
        )
