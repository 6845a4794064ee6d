"""One verified gateway request, as the method handlers see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sanic import Sanic

from channels.sandbox.alipay.state import AlipayState
from channels.sandbox.config import SandboxConfig
from channels.sandbox.credentials import SandboxCredentials
from channels.sandbox.people import People


@dataclass(frozen=True)
class GatewayCall:
    app: Sanic
    method: str
    params: dict[str, str]
    biz: dict[str, Any]

    @property
    def state(self) -> AlipayState:
        return self.app.ctx.alipay

    @property
    def config(self) -> SandboxConfig:
        return self.app.ctx.config

    @property
    def credentials(self) -> SandboxCredentials:
        return self.app.ctx.config.credentials

    @property
    def people(self) -> People:
        return self.app.ctx.people

    def text(self, name: str) -> str:
        """A biz_content field as a string ('' when absent or not a string)."""
        value = self.biz.get(name)
        return value if isinstance(value, str) else ""
