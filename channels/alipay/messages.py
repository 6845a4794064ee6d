"""Mini-program template messages (``alipay.open.app.mini.templatemessage.send``)."""

from __future__ import annotations

import json

from channels.alipay.client import AlipayClient
from channels.base import Channel, OutboundMessage


class AlipayMessages:
    channel: Channel = "alipay"

    def __init__(self, client: AlipayClient) -> None:
        self._client = client

    async def send(self, message: OutboundMessage) -> None:
        # Alipay fills the template's keywords from {"keyword1": {"value": "…"}, …}.
        data = {key: {"value": value} for key, value in message.data.items()}
        biz: dict[str, str] = {
            "to_user_id": message.subject,
            "user_template_id": message.template_id,
            "data": json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        }
        if message.page:
            biz["page"] = message.page
        await self._client.call("alipay.open.app.mini.templatemessage.send", biz)
