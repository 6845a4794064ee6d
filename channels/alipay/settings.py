"""How Yiwang reaches Alipay: one frozen value, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlipaySettings:
    app_id: str
    # The merchant's PID (2088…): notifications must name it as seller_id.
    seller_id: str
    # PEM text. Ours signs requests; Alipay's verifies answers and notifications.
    app_private_key: str
    alipay_public_key: str
    # The full gateway URL, e.g. https://openapi.alipay.com/gateway.do or the sandbox's.
    gateway_url: str
    timeout_seconds: float = 5.0
    # --- Certificate mode (公钥证书模式, ALIPAY_SIGN_MODE=cert): the app's public-key
    # certificate, Alipay's public-key certificate (its key then replaces
    # ``alipay_public_key``) and Alipay's root certificates, PEM text as Alipay issues them.
    sign_mode: str = "key"
    app_public_cert: str = ""
    alipay_public_cert: str = ""
    alipay_root_cert: str = ""

    def __repr__(self) -> str:
        # Keys never end up in logs or tracebacks.
        return (
            f"AlipaySettings(app_id={self.app_id!r}, sign_mode={self.sign_mode!r}, "
            f"gateway_url={self.gateway_url!r})"
        )
