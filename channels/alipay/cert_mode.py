"""Alipay's public-key-certificate mode (公钥证书模式) on python-alipay-sdk's DCAliPay.

DCAliPay computes ``app_cert_sn`` and ``alipay_root_cert_sn`` (MD5 over issuer DN and
serial; the root's joins its RSA roots' serials with ``_``), sends both with every call
and verifies with the key inside Alipay's certificate. What it does not do is look at the
``alipay_cert_sn`` an answer names, nor follow Alipay's silent certificate upgrade
(支付宝公钥证书无感知升级). CertAliPay does both, the way Alipay's own SDKs do:

- it holds Alipay's certificates by serial (the configured one first);
- an answer naming a serial it holds is verified with that certificate's key;
- an answer naming another serial makes it fetch that certificate with
  ``alipay.open.app.alipaycert.download`` (an unsigned answer: base64 of the PEM), keep
  it only if it chains to one of the root certificates we were given (signature, validity)
  and its own serial is the one named, then verify the answer with it;
- anything else (download refused, a certificate not from Alipay's roots, a serial that
  does not match) refuses the answer and logs why.

Notifications carry no serial as a rule; they are verified with the key of any certificate
held (a reissued certificate keeps Alipay's key), and by the named one when one is given.
A fetched certificate is kept in the process, so each process downloads it once.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import warnings
from datetime import UTC, datetime
from typing import Any
from urllib.request import urlopen

from alipay import DCAliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from Cryptodome.Hash import SHA256
from Cryptodome.PublicKey import RSA
from Cryptodome.Signature import PKCS1_v1_5
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

log = logging.getLogger("yiwang.channels.alipay")
DOWNLOAD = "alipay.open.app.alipaycert.download"
PEM_END = "-----END CERTIFICATE-----"
MAX_CHAIN = 4


class UntrustedCertificate(ValueError):
    """A certificate offered as Alipay's that does not chain to Alipay's roots."""


def pem_blocks(text: str) -> list[str]:
    return [block.strip() + "\n" + PEM_END for block in text.split(PEM_END) if block.strip()]


def check_chain(content: str, roots: list[x509.Certificate], now: datetime) -> None:
    """The first certificate in ``content`` is issued, through any certificates after it,
    by one of ``roots``, each link's signature verifying and each certificate in force."""
    certs = [x509.load_pem_x509_certificate(b.encode()) for b in pem_blocks(content)]
    if not certs:
        raise UntrustedCertificate("no certificate in the download")
    current, rest = certs[0], certs[1:]
    for _ in range(MAX_CHAIN):
        if not current.not_valid_before_utc <= now <= current.not_valid_after_utc:
            raise UntrustedCertificate(
                f"certificate {current.subject.rfc4514_string()} is not in force"
            )
        issuers = [c for c in roots + rest if c.subject == current.issuer]
        for issuer in issuers:
            key = issuer.public_key()
            if not isinstance(key, rsa.RSAPublicKey) or current.signature_hash_algorithm is None:
                continue
            try:
                key.verify(
                    current.signature,
                    current.tbs_certificate_bytes,
                    padding.PKCS1v15(),
                    current.signature_hash_algorithm,
                )
            except InvalidSignature:
                continue
            if issuer in roots:
                return
            current, rest = issuer, [c for c in rest if c is not issuer]
            break
        else:
            raise UntrustedCertificate(
                f"certificate {current.subject.rfc4514_string()} is not issued by Alipay's roots"
            )
    raise UntrustedCertificate("certificate chain too long")


class CertAliPay(DCAliPay):  # type: ignore[misc]
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The SDK computes serials lazily with pyOpenSSL's deprecated X509.get_issuer; work
        # them out once here, with that warning silenced, so no call path ever warns.
        self._app_cert_sn = self._sn(self._app_public_key_cert_string)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self._alipay_root_cert_sn = self.get_root_cert_sn(self._alipay_root_cert_string)
        self._yiwang_alipay_cert_sn = self._sn(self._alipay_public_key_cert_string)
        self._roots = [
            x509.load_pem_x509_certificate(b.encode())
            for b in pem_blocks(self._alipay_root_cert_string)
        ]
        self._held: dict[str, RSA.RsaKey] = {self._yiwang_alipay_cert_sn: self._alipay_public_key}
        self._held_lock = threading.Lock()

    def _sn(self, pem: str) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return str(self.get_cert_sn(pem))

    @property
    def alipay_cert_sn(self) -> str:
        """The serial of the Alipay certificate we were configured with."""
        return str(self._yiwang_alipay_cert_sn)

    @property
    def held_cert_sns(self) -> list[str]:
        """Every Alipay certificate serial this process verifies with."""
        with self._held_lock:
            return list(self._held)

    # ------------------------------------------------------------------ answers

    def _verify_and_return_sync_response(self, raw_string: str, response_type: str) -> Any:
        try:
            answer = json.loads(raw_string)
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or "sign" not in answer or "error_response" in answer:
            return super()._verify_and_return_sync_response(raw_string, response_type)
        named = answer.get("alipay_cert_sn")
        if not isinstance(named, str) or not named:
            log.warning("alipay answer in certificate mode names no alipay_cert_sn: refused")
            raise AliPayValidationError
        key = self._key_for(named)
        plain = self._get_string_to_be_signed(raw_string, response_type)
        if not _rsa2_verifies(key, plain, str(answer["sign"])):
            raise AliPayValidationError
        return json.loads(plain)

    def _key_for(self, sn: str) -> RSA.RsaKey:
        with self._held_lock:
            held = self._held.get(sn)
        if held is not None:
            return held
        try:
            cert = self._download(sn)
            check_chain(cert, self._roots, datetime.now(UTC))
            got = self._sn(pem_blocks(cert)[0])
            if got != sn:
                raise UntrustedCertificate(f"the downloaded certificate's serial is {got}")
        except (UntrustedCertificate, AliPayException, ValueError, OSError) as exc:
            log.error(
                "alipay answer names alipay_cert_sn %s, not held; its certificate was not "
                "accepted (%s): refused",
                sn,
                exc,
            )
            raise AliPayValidationError from exc
        key = RSA.importKey(self._public_key_of(pem_blocks(cert)[0]))
        with self._held_lock:
            self._held[sn] = key
        log.warning("alipay certificate upgraded: now also verifying with alipay_cert_sn %s", sn)
        return key

    def _public_key_of(self, pem: str) -> str:
        cert = x509.load_pem_x509_certificate(pem.encode())
        return (
            cert.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def _download(self, sn: str) -> str:
        """``alipay.open.app.alipaycert.download``; Alipay does not sign this answer (the
        root certificates vouch for what it carries)."""
        data = self.build_body(DOWNLOAD, {"alipay_cert_sn": sn})
        url = self._gateway + "?" + self.sign_data(data)
        raw = urlopen(url, timeout=self._config.timeout).read().decode()
        body = json.loads(raw).get(DOWNLOAD.replace(".", "_") + "_response") or {}
        if body.get("code") != "10000" or not body.get("alipay_cert_content"):
            raise ValueError(f"download refused: {body.get('sub_code') or body.get('code')}")
        return base64.b64decode(body["alipay_cert_content"], validate=True).decode()

    # ------------------------------------------------------------------ notifications

    def verify(self, data: dict[str, Any], signature: str) -> bool:
        """A notification: by the certificate it names if it names one we hold, else by
        any certificate held (a reissued certificate keeps Alipay's key)."""
        if "sign_type" in data and data.pop("sign_type") != self._sign_type:
            raise AliPayException(None, "Unknown sign type")
        named = data.get("alipay_cert_sn")
        message = "&".join(f"{k}={v}" for k, v in self._ordered_data(data))
        with self._held_lock:
            keys = [self._held[named]] if named in self._held else list(self._held.values())
        return any(_rsa2_verifies(key, message, signature) for key in keys)


def _rsa2_verifies(key: RSA.RsaKey, message: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature.encode(), validate=False)
    except ValueError:
        return False
    return bool(PKCS1_v1_5.new(key).verify(SHA256.new(message.encode()), raw))
