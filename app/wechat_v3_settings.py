"""WeChat Pay API v3's keys (merchant key and serial, APIv3 key, WeChat Pay public keys),
read when WECHAT_PAY_API=v3 (app.config.ChannelModes).

Key files are checked for what they must be (a PKCS#8 RSA private key, RSA public keys),
the serial, key length and key ids for their form; otherwise startup stops naming the
variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PUBLIC_KEY_ID = re.compile(r"PUB_KEY_ID_[0-9A-Za-z]{8,64}")
CERT_SERIAL = re.compile(r"[0-9A-Fa-f]{8,40}")


class WeChatV3SettingsError(ValueError):
    """A v3 setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class WeChatPayV3Credentials:
    private_key: str
    cert_serial: str
    apiv3_key: str
    # PUB_KEY_ID_… → PEM; the current key first, the one being rotated out second.
    public_keys: Mapping[str, str] = field(default_factory=dict)
    base_url: str = "https://api.mch.weixin.qq.com"

    def __repr__(self) -> str:
        return f"WeChatPayV3Credentials(public_keys={list(self.public_keys)}, secrets=…)"


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise WeChatV3SettingsError(f"{name} is required for WeChat Pay API v3")
    return value


def _pem_file(env: Mapping[str, str], name: str, *, private: bool) -> str:
    path = Path(_required(env, name))
    try:
        text = path.read_text()
    except OSError as exc:
        raise WeChatV3SettingsError(f"{name}: cannot read {path}: {exc.strerror}") from exc
    try:
        key = (
            serialization.load_pem_private_key(text.encode(), password=None)
            if private
            else serialization.load_pem_public_key(text.encode())
        )
    except (ValueError, TypeError) as exc:
        raise WeChatV3SettingsError(f"{name}: {path} is not a PEM RSA key") from exc
    if not isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        raise WeChatV3SettingsError(f"{name}: {path} is not an RSA key")
    if private and "BEGIN PRIVATE KEY" not in text:
        raise WeChatV3SettingsError(f"{name}: {path} must be PKCS#8 (apiclient_key.pem)")
    return text


def _public_key(env: Mapping[str, str], suffix: str) -> tuple[str, str]:
    id_name = f"WECHAT_PAY_PUBLIC_KEY{suffix}_ID"
    key_id = _required(env, id_name)
    if not PUBLIC_KEY_ID.fullmatch(key_id):
        raise WeChatV3SettingsError(f"{id_name} must look like PUB_KEY_ID_…")
    return key_id, _pem_file(env, f"WECHAT_PAY_PUBLIC_KEY{suffix}_FILE", private=False)


def wechat_v3_from_env(env: Mapping[str, str]) -> WeChatPayV3Credentials:
    serial = _required(env, "WECHAT_MCH_CERT_SERIAL")
    if not CERT_SERIAL.fullmatch(serial):
        raise WeChatV3SettingsError("WECHAT_MCH_CERT_SERIAL must be the certificate's hex serial")
    apiv3_key = _required(env, "WECHAT_APIV3_KEY")
    if len(apiv3_key.encode()) != 32:
        raise WeChatV3SettingsError("WECHAT_APIV3_KEY must be exactly 32 characters")
    keys = dict([_public_key(env, "")])
    if env.get("WECHAT_PAY_PUBLIC_KEY_2_ID") or env.get("WECHAT_PAY_PUBLIC_KEY_2_FILE"):
        second_id, second_pem = _public_key(env, "_2")
        if second_id in keys:
            raise WeChatV3SettingsError("WECHAT_PAY_PUBLIC_KEY_2_ID repeats the current key id")
        keys[second_id] = second_pem
    return WeChatPayV3Credentials(
        private_key=_pem_file(env, "WECHAT_MCH_PRIVATE_KEY_FILE", private=True),
        cert_serial=serial.upper(),
        apiv3_key=apiv3_key,
        public_keys=keys,
        base_url=env.get("WECHAT_PAY_BASE_URL", "https://api.mch.weixin.qq.com"),
    )
