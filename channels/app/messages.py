"""App messages: a templated notice to one provincial-app account."""

from __future__ import annotations

from typing import Any, Literal

from channels.app.client import ProvincialClient
from channels.base import OutboundMessage


class AppMessages:
    channel: Literal["app"] = "app"

    def __init__(self, client: ProvincialClient) -> None:
        self._client = client

    async def send(self, message: OutboundMessage) -> None:
        body: dict[str, Any] = {
            "user_id": message.subject,
            "template_id": message.template_id,
            "data": dict(message.data),
            "page": message.page,
        }
        await self._client.call("POST", "/messages/api/send", json=body)
