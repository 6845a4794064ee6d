"""Alipay certificate mode's files (ALIPAY_APP_CERT_FILE, ALIPAY_PUBLIC_CERT_FILE,
ALIPAY_ROOT_CERT_FILE), read when ALIPAY_SIGN_MODE=cert (app.config.ChannelModes).

Each must be readable PEM certificates; otherwise startup stops naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509


class AlipayCertSettingsError(ValueError):
    """A certificate-mode setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class AlipayCertificates:
    app_public_cert: str
    alipay_public_cert: str
    alipay_root_cert: str


def _cert_file(env: Mapping[str, str], name: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        raise AlipayCertSettingsError(f"{name} is required with ALIPAY_SIGN_MODE=cert")
    try:
        text = Path(raw).read_text()
    except OSError as exc:
        raise AlipayCertSettingsError(f"{name}: cannot read {raw}: {exc.strerror}") from exc
    try:
        x509.load_pem_x509_certificates(text.encode())
    except ValueError as exc:
        raise AlipayCertSettingsError(f"{name}: {raw} is not PEM certificates") from exc
    return text


def alipay_certificates_from_env(env: Mapping[str, str]) -> AlipayCertificates:
    return AlipayCertificates(
        app_public_cert=_cert_file(env, "ALIPAY_APP_CERT_FILE"),
        alipay_public_cert=_cert_file(env, "ALIPAY_PUBLIC_CERT_FILE"),
        alipay_root_cert=_cert_file(env, "ALIPAY_ROOT_CERT_FILE"),
    )
