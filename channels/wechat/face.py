"""City-service face verification (实名核身): a verify_result becomes a proven identity.

WeChat answers MD5 digests of the name and ID number. The city-service real-name
disclosure may add them in clear; they are trusted only when they hash to the digests,
so a disclosure can never claim a different person than the one verified.
"""

from __future__ import annotations

import hashlib
from typing import Any

from channels.base import ChannelRejected, FaceVerification, RealName
from channels.wechat.errors import call_wechat
from channels.wechat.sdk import SharedTokenWeChatClient
from channels.wechat.settings import WeChatSettings

FACE_INFO_PATH = "cityservice/face/identify/getinfo"


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def disclosed_real_name(result: dict[str, Any], name_md5: str, id_md5: str) -> RealName | None:
    name, id_number = result.get("name"), result.get("id_card_number")
    if not isinstance(name, str) or not isinstance(id_number, str):
        return None
    if md5_upper(name) != name_md5 or md5_upper(id_number) != id_md5:
        return None
    return RealName(name=name, id_number=id_number)


class WeChatFaceVerifier:
    def __init__(self, client: SharedTokenWeChatClient, settings: WeChatSettings) -> None:
        self._client = client
        self._settings = settings

    async def identify(self, verify_result: str) -> FaceVerification:
        if not verify_result:
            raise ChannelRejected("empty verify_result", channel_code="84001")
        result = await call_wechat(
            lambda: self._client.post(
                FACE_INFO_PATH,
                data={"verify_result": verify_result},
                api_base_url=self._settings.base_url,
            ),
            timeout=self._settings.timeout_seconds,
        )
        if not isinstance(result, dict):
            raise ChannelRejected("face verification answered with a non-JSON body")
        openid = result.get("openid")
        name_md5 = str(result.get("name_utf8_md5") or "").upper()
        id_md5 = str(result.get("id_card_number_md5") or "").upper()
        if not isinstance(openid, str) or not openid or not name_md5 or not id_md5:
            raise ChannelRejected("face verification answer lacks openid or digests")
        passed = result.get("identify_ret") == 0
        return FaceVerification(
            openid=openid,
            passed=passed,
            id_number_md5=id_md5,
            name_md5=name_md5,
            real_name=disclosed_real_name(result, name_md5, id_md5) if passed else None,
        )
