"""What each channel can do. A mini-app or item needing more than a channel has is still
listed there, marked unavailable with the reason (the service set never differs silently)."""

from __future__ import annotations

CHANNELS: tuple[str, ...] = ("app", "wechat", "alipay")

CAPABILITIES: dict[str, str] = {
    "payment": "在线支付",
    "location": "定位",
    "scan": "扫码",
    "face": "人脸核身",
    "nfc": "NFC 读取身份证",
}

# The provincial app reads ID cards by NFC; the mini-program containers cannot.
CHANNEL_CAPABILITIES: dict[str, frozenset[str]] = {
    "app": frozenset({"payment", "location", "scan", "face", "nfc"}),
    "wechat": frozenset({"payment", "location", "scan", "face"}),
    "alipay": frozenset({"payment", "location", "scan", "face"}),
}

CHANNEL_NAMES = {"app": "浙里办 app", "wechat": "微信城市服务", "alipay": "支付宝城市服务"}


def missing_capabilities(channel: str, needs: list[str] | tuple[str, ...]) -> list[str]:
    have = CHANNEL_CAPABILITIES[channel]
    return sorted(n for n in needs if n not in have)


def lack_reason(channel: str, missing: list[str]) -> str:
    names = "、".join(f"{CAPABILITIES.get(m, m)} ({m})" for m in missing)
    return f"{CHANNEL_NAMES[channel]} lacks {names}; use the 浙里办 app"
