"""Alipay login: my.getAuthCode's code → access token → the member's certified profile.

Alipay certifies its members' real names, so a certified profile (``is_certified`` "T",
``cert_type`` "0" = resident ID card) is what makes a Yiwang citizen verified.
"""

from __future__ import annotations

from channels.alipay.client import AlipayClient
from channels.base import Channel, ChannelLogin, ChannelRejected, RealName

RESIDENT_ID_CARD = "0"


class AlipayLogin:
    channel: Channel = "alipay"

    def __init__(self, client: AlipayClient) -> None:
        self._client = client

    async def login(self, code: str) -> ChannelLogin:
        if not code:
            raise ChannelRejected(
                "an Alipay auth code is required", channel_code="isv.code-invalid"
            )
        token = await self._client.call(
            "alipay.system.oauth.token", grant_type="authorization_code", code=code
        )
        user_id, access_token = token.get("user_id"), token.get("access_token")
        if not user_id or not access_token:
            raise ChannelRejected("alipay.system.oauth.token: answer lacks user_id/access_token")
        profile = await self._client.call("alipay.user.info.share", auth_token=access_token)
        if profile.get("user_id") != user_id:
            raise ChannelRejected("alipay.user.info.share: profile is for another user")
        real_name = certified_name(profile)
        return ChannelLogin(channel="alipay", subject=str(user_id), real_name=real_name)


def certified_name(profile: dict[str, object]) -> RealName | None:
    """The real name only when Alipay vouches for it with a resident ID card."""
    name, cert_no = profile.get("user_name"), profile.get("cert_no")
    if profile.get("is_certified") != "T" or profile.get("cert_type") != RESIDENT_ID_CARD:
        return None
    if not isinstance(name, str) or not isinstance(cert_no, str) or not name or not cert_no:
        return None
    mobile = profile.get("mobile")
    return RealName(
        name=name,
        id_number=cert_no.upper(),
        phone=mobile if isinstance(mobile, str) and mobile else None,
    )
