"""Checks wechatpy leaves to us: who signed an answer, and that its numbers are sane.

wechatpy parses WeChat Pay's XML but never verifies the answer's signature, app id or
merchant id, and hands amounts back as strings. Every answer and notification goes
through here before the gateway believes it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from channels.wechat.settings import WeChatSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")


class WireError(ValueError):
    """The answer or notification is not what WeChat would send for this merchant."""


def md5_sign(fields: Mapping[str, object], api_key: str) -> str:
    pairs = [f"{k}={v}" for k, v in sorted(fields.items()) if k != "sign" and v not in ("", None)]
    pairs.append(f"key={api_key}")
    return hashlib.md5("&".join(pairs).encode("utf-8")).hexdigest().upper()


def check_merchant_fields(fields: Mapping[str, object], settings: WeChatSettings) -> None:
    """appid, mch_id and the MD5 signature all have to be ours."""
    if fields.get("appid") != settings.appid:
        raise WireError("appid does not match")
    if fields.get("mch_id") != settings.mch_id:
        raise WireError("mch_id does not match")
    sign_type = fields.get("sign_type", "MD5")
    if sign_type != "MD5":
        raise WireError(f"unsupported sign_type {sign_type!r}")
    sign = fields.get("sign")
    if not isinstance(sign, str) or not hmac.compare_digest(
        sign.upper(), md5_sign(fields, settings.api_key)
    ):
        raise WireError("signature does not match")


def flat_strings(parsed: object) -> dict[str, str]:
    """xmltodict's ``{"xml": {...}}`` as a flat str→str dict (nested or repeated → error)."""
    if not isinstance(parsed, Mapping) or not isinstance(parsed.get("xml"), Mapping):
        raise WireError("not a WeChat <xml> document")
    flat: dict[str, str] = {}
    for key, value in parsed["xml"].items():
        if value is None:
            flat[key] = ""
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise WireError(f"field {key!r} is not a plain value")
    return flat


def fen(value: object, name: str) -> int:
    if not isinstance(value, str) or not value.isdigit():
        raise WireError(f"{name} is not a whole number of fen")
    return int(value)


def shanghai_time(value: str | None, fmt: str = "%Y%m%d%H%M%S") -> datetime | None:
    """WeChat's local timestamps (Asia/Shanghai) as aware UTC datetimes."""
    if not value:
        return None
    try:
        local = datetime.strptime(value, fmt).replace(tzinfo=SHANGHAI)
    except ValueError as exc:
        raise WireError(f"bad time {value!r}") from exc
    return local.astimezone(UTC)
