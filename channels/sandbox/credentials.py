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
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from channels.sandbox.alipay_certs import issue


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
    # --- WeChat Pay API v3 (public-key mode). The merchant's API key pair and its
    # certificate serial: the server signs requests and paySign with the private key, the
    # sandbox checks them with the public key (what WeChat holds from the API certificate).
    wechat_apiv3_key: str = ""
    wechat_merchant_private_key: str = ""
    wechat_merchant_public_key: str = ""
    wechat_merchant_serial: str = ""
    # WeChat Pay's own key pair (微信支付公钥): the sandbox signs answers and notifications,
    # the server verifies them with the public key named by its PUB_KEY_ID_….
    wechat_pay_private_key: str = ""
    wechat_pay_public_key: str = ""
    wechat_pay_public_key_id: str = ""
    # --- Alipay certificate mode (公钥证书): the sandbox's roots (PEM blocks separated by a
    # blank line), the certificate of Alipay's key and that of the merchant's app key.
    alipay_root_cert: str = ""
    alipay_public_cert: str = ""
    alipay_app_public_cert: str = ""
    # The sandbox CA's key, for reissuing Alipay's certificate (the server never uses it).
    alipay_root_private_key: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def rsa_pair(*, pkcs8: bool = False) -> tuple[str, str]:
    """PKCS#1 PEM for Alipay's keys; PKCS#8 for WeChat's, as apiclient_key.pem comes."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    layout = serialization.PrivateFormat
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        layout.PKCS8 if pkcs8 else layout.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def wechat_public_key_id() -> str:
    """WeChat's form: ``PUB_KEY_ID_`` then the merchant-scoped digits of the key."""
    return "PUB_KEY_ID_" + "".join(str(secrets.randbelow(10)) for _ in range(32))


def with_alipay_certificates(creds: SandboxCredentials) -> SandboxCredentials:
    """Certificates for the credentials' own Alipay and app keys (made once, then kept)."""
    certs = issue(creds.alipay_public_key, creds.alipay_app_public_key)
    return replace(
        creds,
        alipay_root_cert=certs.root_chain,
        alipay_public_cert=certs.alipay_cert,
        alipay_app_public_cert=certs.app_cert,
        alipay_root_private_key=certs.root_key,
    )


def generate() -> SandboxCredentials:
    app_private, app_public = rsa_pair()
    ali_private, ali_public = rsa_pair()
    mch_private, mch_public = rsa_pair(pkcs8=True)
    pay_private, pay_public = rsa_pair(pkcs8=True)
    creds = SandboxCredentials(
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
        wechat_apiv3_key=secrets.token_hex(16),
        wechat_merchant_private_key=mch_private,
        wechat_merchant_public_key=mch_public,
        wechat_merchant_serial=secrets.token_hex(20).upper(),
        wechat_pay_private_key=pay_private,
        wechat_pay_public_key=pay_public,
        wechat_pay_public_key_id=wechat_public_key_id(),
    )
    return with_alipay_certificates(creds)


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
        stored = json.loads(path.read_text())
        if all(stored.get(f.name) for f in fields(SandboxCredentials)):
            return SandboxCredentials(**stored)
        fresh = asdict(generate())
        # A file from before a channel mode existed keeps its old credentials and gains
        # the new ones, so a demo's known orders and keys survive the upgrade.
        creds = SandboxCredentials(**{**fresh, **{k: v for k, v in stored.items() if v}})
        if not stored.get("alipay_public_cert") or not stored.get("alipay_root_private_key"):
            creds = with_alipay_certificates(creds)
    else:
        creds = generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(creds.to_json())
    path.chmod(0o600)
    return creds
