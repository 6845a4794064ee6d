"""Alipay adapters (python-alipay-sdk, RSA2): login, payments and mini-program messages.

``build_alipay_channel(settings)`` wires all three onto one SDK client.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.alipay.client import AlipayClient
from channels.alipay.login import AlipayLogin
from channels.alipay.messages import AlipayMessages
from channels.alipay.pay import AlipayPayGateway
from channels.alipay.settings import AlipaySettings

__all__ = [
    "AlipayChannel",
    "AlipayLogin",
    "AlipayMessages",
    "AlipayPayGateway",
    "AlipaySettings",
    "build_alipay_channel",
]


@dataclass(frozen=True)
class AlipayChannel:
    login: AlipayLogin
    pay: AlipayPayGateway
    messages: AlipayMessages


def build_alipay_channel(settings: AlipaySettings) -> AlipayChannel:
    client = AlipayClient(settings)
    return AlipayChannel(
        login=AlipayLogin(client), pay=AlipayPayGateway(client), messages=AlipayMessages(client)
    )
