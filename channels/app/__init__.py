"""The provincial app (浙里办-style) channel: SSO login, the unified cashier, app messages.

The province publishes an HTTP protocol rather than an SDK (docs/channels/app.md), so the
adapters speak it with ``httpx.AsyncClient`` directly and never block the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.app.client import ProvincialClient
from channels.app.login import AppLogin
from channels.app.messages import AppMessages
from channels.app.pay import AppPayGateway
from channels.app.settings import AppChannelSettings

__all__ = [
    "AppChannel",
    "AppChannelSettings",
    "AppLogin",
    "AppMessages",
    "AppPayGateway",
    "build_app_channel",
]


@dataclass(frozen=True)
class AppChannel:
    """The three adapters over one connection pool; ``aclose`` releases it."""

    login: AppLogin
    pay: AppPayGateway
    messages: AppMessages
    client: ProvincialClient

    async def aclose(self) -> None:
        await self.client.aclose()


def build_app_channel(settings: AppChannelSettings) -> AppChannel:
    client = ProvincialClient(settings)
    return AppChannel(
        login=AppLogin(client),
        pay=AppPayGateway(client),
        messages=AppMessages(client),
        client=client,
    )
