"""统一认证 login: the ticket from the app's SSO becomes a verified channel identity."""

from __future__ import annotations

from typing import Literal

from channels.app.client import ProvincialClient
from channels.base import ChannelLogin, ChannelRejected, ChannelUnavailable, RealName


class AppLogin:
    channel: Literal["app"] = "app"

    def __init__(self, client: ProvincialClient) -> None:
        self._client = client

    async def login(self, code: str) -> ChannelLogin:
        if not code:
            raise ChannelRejected("empty SSO ticket", channel_code="TICKET_INVALID")
        data = await self._client.call("POST", "/sso/ticket/validate", json={"ticket": code})
        user_id = data.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            raise ChannelUnavailable("SSO answer has no user_id")
        real_name = None
        # The province vouches for name and ID number only for verified accounts.
        if data.get("verified") is True:
            name, id_number, phone = data.get("name"), data.get("id_number"), data.get("phone")
            if not isinstance(name, str) or not isinstance(id_number, str):
                raise ChannelUnavailable("SSO answer is verified but lacks name or id_number")
            real_name = RealName(
                name=name,
                id_number=id_number.upper(),
                phone=phone if isinstance(phone, str) else None,
            )
        return ChannelLogin(channel="app", subject=user_id, real_name=real_name)
