"""Alipay certificate-mode settings (ALIPAY_SIGN_MODE and the three certificate files).

Kept in a block of its own so it moves as one piece onto the settings model being
rewritten; it reads only the mapping it is given, and fails fast naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

ALIPAY_SIGN_MODES = ("key", "cert")


class AlipayCertSettingsError(ValueError):
    """A certificate-mode setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class AlipayCertificates:
    app_public_cert: str
    alipay_public_cert: str
    alipay_root_cert: str


def alipay_sign_mode(env: Mapping[str, str]) -> str:
    mode = env.get("ALIPAY_SIGN_MODE", "key").strip().lower() or "key"
    if mode not in ALIPAY_SIGN_MODES:
        raise AlipayCertSettingsError(f"ALIPAY_SIGN_MODE must be key or cert, got {mode!r}")
    return mode


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
