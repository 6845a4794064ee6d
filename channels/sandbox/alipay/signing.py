"""RSA2 the way Alipay's open platform does it, written independently of python-alipay-sdk.

Alipay signs and verifies ``SHA256withRSA`` (PKCS#1 v1.5) over a canonical string: the
parameters sorted by name, joined as ``k=v`` with ``&``, empty values left out. Requests
leave out ``sign`` only (``sign_type`` is signed); asynchronous notifications leave out both
``sign`` and ``sign_type``. Synchronous responses are signed over the exact JSON text of the
``<method>_response`` object, which is why the sandbox writes that text itself.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

REQUEST_UNSIGNED_FIELDS: frozenset[str] = frozenset({"sign"})
NOTIFY_UNSIGNED_FIELDS: frozenset[str] = frozenset({"sign", "sign_type"})


def canonical_string(params: Mapping[str, str], *, unsigned: Iterable[str]) -> str:
    skip = set(unsigned)
    return "&".join(
        f"{key}={value}" for key, value in sorted(params.items()) if key not in skip and value != ""
    )


@lru_cache(maxsize=16)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("Alipay keys are RSA keys")
    return key


@lru_cache(maxsize=16)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("Alipay keys are RSA keys")
    return key


def rsa2_sign(text: str, private_pem: str) -> str:
    signature = _private_key(private_pem).sign(
        text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
    )
    return base64.b64encode(signature).decode("ascii")


def rsa2_verify(text: str, signature_b64: str, public_pem: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=False)
    except (binascii.Error, ValueError):
        return False
    try:
        _public_key(public_pem).verify(
            signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        return False
    return True


def response_key(method: str) -> str:
    """``alipay.trade.query`` answers under ``alipay_trade_query_response``."""
    return method.replace(".", "_") + "_response"


def signed_response_text(
    key: str, payload: Mapping[str, Any], private_pem: str, *, alipay_cert_sn: str | None = None
) -> str:
    """The body of a signed answer: the signature covers the exact text of ``payload``; in
    certificate mode ``alipay_cert_sn`` names the certificate whose key verifies it."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    cert = f',"alipay_cert_sn":"{alipay_cert_sn}"' if alipay_cert_sn else ""
    return f'{{"{key}":{text}{cert},"sign":"{rsa2_sign(text, private_pem)}"}}'


def unsigned_response_text(key: str, payload: Mapping[str, Any]) -> str:
    """Gateway-level refusals (bad app id, bad signature) are not signed: nothing is trusted yet."""
    return json.dumps({key: payload}, ensure_ascii=False, separators=(",", ":"))
