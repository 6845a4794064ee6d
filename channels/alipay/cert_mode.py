"""Alipay's public-key-certificate mode (公钥证书模式) on python-alipay-sdk's DCAliPay.

DCAliPay computes ``app_cert_sn`` and ``alipay_root_cert_sn`` (MD5 over issuer DN and
serial; the root's joins its RSA roots' serials with ``_``), sends both with every call
and verifies with the key inside Alipay's certificate. What it does not do is look at the
``alipay_cert_sn`` an answer names: an answer signed under another Alipay certificate
(Alipay rotated it, or someone else signed) would be checked against the wrong key or,
worse, trusted on a match by chance. CertAliPay refuses an answer whose ``alipay_cert_sn``
is not the certificate we hold, and logs why; the operator installs the new certificate.
"""

from __future__ import annotations

import json
import logging
import warnings
from typing import Any

from alipay import DCAliPay
from alipay.exceptions import AliPayValidationError

log = logging.getLogger("yiwang.channels.alipay")


class CertAliPay(DCAliPay):  # type: ignore[misc]
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The SDK computes serials lazily with pyOpenSSL's deprecated X509.get_issuer; work
        # them out once here, with that warning silenced, so no call path ever warns.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self._app_cert_sn = self.get_cert_sn(self._app_public_key_cert_string)
            self._alipay_root_cert_sn = self.get_root_cert_sn(self._alipay_root_cert_string)
            self._yiwang_alipay_cert_sn = self.get_cert_sn(self._alipay_public_key_cert_string)

    @property
    def alipay_cert_sn(self) -> str:
        """The serial of the Alipay certificate we verify with."""
        return str(self._yiwang_alipay_cert_sn)

    def _verify_and_return_sync_response(self, raw_string: str, response_type: str) -> Any:
        try:
            answer = json.loads(raw_string)
        except ValueError:
            answer = None
        if isinstance(answer, dict) and "sign" in answer and "error_response" not in answer:
            named = answer.get("alipay_cert_sn")
            if named != self.alipay_cert_sn:
                log.warning(
                    "alipay answer names alipay_cert_sn %r, we hold %s: refused",
                    named,
                    self.alipay_cert_sn,
                )
                raise AliPayValidationError
        return super()._verify_and_return_sync_response(raw_string, response_type)
