"""The one place that drives python-alipay-sdk, and turns its habits into our errors.

The SDK's habits, and what this module does about them:
- Business errors come back as a dict with ``code != "10000"``; they are not raised. They
  become :class:`ChannelRejected` carrying the ``sub_code`` (``ACQ.TRADE_NOT_EXIST``…).
- Gateway refusals (``error_response``, unsigned answers such as ``isv.invalid-signature``)
  are raised as ``AliPayException`` whose only payload is the raw body, kept in a
  name-mangled attribute; we read the codes back out of that body.
- An answer whose signature does not verify (``AliPayValidationError``) or that is not
  JSON tells us nothing about what happened at Alipay, so it is ChannelUnavailable:
  the caller retries or queries later, as for a timeout.
- Every call is synchronous (``urlopen``), so it runs through :func:`run_blocking`.
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig

from channels.alipay.cert_mode import CertAliPay
from channels.alipay.settings import AlipaySettings
from channels.base import ChannelError, ChannelRejected, ChannelUnavailable, run_blocking

log = logging.getLogger("yiwang.channels.alipay")

SUCCESS_CODE = "10000"
T = TypeVar("T")


class AlipayClient:
    def __init__(self, settings: AlipaySettings) -> None:
        self.settings = settings
        self.sdk = build_sdk(settings)
        # The SDK knows only production and Alipay's own sandbox; point it at ours.
        self.sdk._gateway = settings.gateway_url

    async def run(self, func: Callable[[], T], *, what: str) -> T:
        """Run one SDK call off the loop; map every failure onto the channel error tree."""
        # urlopen's timeout is per socket operation; the outer one bounds the whole call.
        try:
            return await run_blocking(func, timeout=self.settings.timeout_seconds + 1.0)
        except ChannelError:
            raise
        except AliPayException as exc:
            raise rejected_from_exception(what, exc) from exc
        except AliPayValidationError as exc:
            raise ChannelUnavailable(f"{what}: Alipay's answer failed signature check") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise ChannelUnavailable(f"{what}: Alipay unreachable ({exc!r})") from exc
        except Exception as exc:
            # The SDK parses whatever came back; a malformed answer surfaces as anything.
            log.warning("alipay %s: unreadable answer: %r", what, exc)
            raise ChannelUnavailable(f"{what}: unreadable answer from Alipay") from exc

    async def call(
        self, method: str, biz_content: dict[str, Any] | None = None, **params: Any
    ) -> dict[str, Any]:
        """Call one open-platform method; the verified response object when code is 10000."""
        result = await self.run(
            lambda: self.sdk.server_api(method, biz_content or {}, **params), what=method
        )
        if not isinstance(result, dict):
            raise ChannelUnavailable(f"{method}: unreadable answer from Alipay")
        code = str(result.get("code", ""))
        if code != SUCCESS_CODE:
            raise rejection(method, result)
        return result


def build_sdk(settings: AlipaySettings) -> AliPay:
    """Public-key mode (AliPay) or certificate mode (CertAliPay), as settings say."""
    if settings.sign_mode == "cert":
        sdk = CertAliPay(
            appid=settings.app_id,
            app_private_key_string=settings.app_private_key,
            app_public_key_cert_string=settings.app_public_cert,
            alipay_public_key_cert_string=settings.alipay_public_cert,
            alipay_root_cert_string=settings.alipay_root_cert,
            sign_type="RSA2",
        )
        sdk._config = AliPayConfig(timeout=settings.timeout_seconds)
        return sdk
    return AliPay(
        appid=settings.app_id,
        app_private_key_string=settings.app_private_key,
        alipay_public_key_string=settings.alipay_public_key,
        sign_type="RSA2",
        config=AliPayConfig(timeout=settings.timeout_seconds),
    )


def rejection(method: str, payload: dict[str, Any]) -> ChannelRejected:
    code = str(payload.get("code", ""))
    sub_code = str(payload.get("sub_code") or "") or None
    sub_msg = payload.get("sub_msg") or payload.get("msg") or ""
    if sub_code and "cert-sn" in sub_code:
        # Our certificates are not the ones Alipay issued: an operator must act.
        log.error("alipay refused %s: %s %s (check ALIPAY_*_CERT_FILE)", method, sub_code, sub_msg)
    return ChannelRejected(
        f"{method}: {code} {sub_code or ''} {sub_msg}".strip(),
        channel_code=sub_code or code or None,
    )


def rejected_from_exception(method: str, exc: AliPayException) -> ChannelRejected:
    raw = getattr(exc, "_AliPayException__message", "")
    try:
        body = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, dict) and "code" in value:
                return rejection(method, value)
    return ChannelRejected(f"{method}: refused by Alipay ({exc})")
