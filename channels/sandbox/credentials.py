"""Merchant credentials shared by the sandbox and the server it stands in for.

The real channels hand a merchant an app id, secrets and keys once, at registration. The
sandbox does the same: :func:`load_or_create` makes a fresh set (including RSA-2048 keys
for Alipay's RSA2 signing) and keeps it in a JSON file, so a demo restart keeps working
with the orders it already knows.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class SandboxCredentials:
    wechat_appid: str
    wechat_secret: str
    wechat_mch_id: str
    wechat_api_key: str
    alipay_app_id: str
    alipay_seller_id: str
    # The merchant's key pair: the server signs with the private key; the sandbox
    # verifies with the public key (what a merchant uploads to Alipay's console).
    alipay_app_private_key: str
    alipay_app_public_key: str
    # Alipay's own key pair: the sandbox signs with it; the server verifies with the public.
    alipay_private_key: str
    alipay_public_key: str
    app_client_id: str
    app_client_secret: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def _rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def generate() -> SandboxCredentials:
    app_private, app_public = _rsa_pair()
    ali_private, ali_public = _rsa_pair()
    return SandboxCredentials(
        wechat_appid="wx" + secrets.token_hex(8),
        wechat_secret=secrets.token_hex(16),
        wechat_mch_id=str(1_900_000_000 + secrets.randbelow(99_999_999)),
        wechat_api_key=secrets.token_hex(16),
        alipay_app_id="2021" + "".join(str(secrets.randbelow(10)) for _ in range(12)),
        alipay_seller_id="2088" + "".join(str(secrets.randbelow(10)) for _ in range(12)),
        alipay_app_private_key=app_private,
        alipay_app_public_key=app_public,
        alipay_private_key=ali_private,
        alipay_public_key=ali_public,
        app_client_id="zlb-" + secrets.token_hex(6),
        app_client_secret=secrets.token_hex(24),
    )


def encode(creds: SandboxCredentials) -> str:
    """One line for an environment file: base64 of the JSON, keys and certificates included,
    so several processes on several machines (the sandbox, each instance) share one set."""
    return base64.b64encode(json.dumps(asdict(creds), separators=(",", ":")).encode()).decode()


def decode(text: str) -> SandboxCredentials:
    """The inverse of :func:`encode`; ValueError (naming nothing secret) when it is not one."""
    try:
        data = json.loads(base64.b64decode(text.strip(), validate=True))
        return SandboxCredentials(**data)
    except (ValueError, TypeError) as exc:
        raise ValueError("not a sandbox credentials line (base64 of their JSON)") from exc


def load_or_create(path: Path) -> SandboxCredentials:
    if path.exists():
        return SandboxCredentials(**json.loads(path.read_text()))
    creds = generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(creds.to_json())
    path.chmod(0o600)
    return creds
